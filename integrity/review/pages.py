"""The review team's pages under /app/: the review queue, and the case page's forms for comments,
workflow steps, conflicts of interest and assignment (also the member's answer to a request).

Which forms a case page shows comes from the case's `actions` (the workflow's `allowed_actions`);
the services check every rule again when a form is sent, and a refused step re-renders the page
with the service's reason next to the forms.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from integrity.cases import service as cases_service
from integrity.cases.forms import category_codes, municipality_groups
from integrity.cases.schemas import CaseSort
from integrity.cases.tables import CaseStatus, CommentKind
from integrity.context import ServiceContext, provide_service_context
from integrity.errors import Forbidden, Invalid, WrongState
from integrity.reference import category, municipality
from integrity.review import actors, queue
from integrity.review import service as review
from integrity.review.actors import ActorLinkIn
from integrity.review.case_page import case_page
from integrity.security.guards import Principal
from integrity.web.i18n import language_of_scope
from integrity.web.labels import DONE_MESSAGES
from integrity.web.pages import (
    page,
    requires_page_login,
    requires_page_review_team,
    see_other,
)

PAGE_SIZE = 20
#: Steps the pages take only with their box ticked (what the public loses is said beside it).
CONFIRMED_STEPS = frozenset({"retract", "confirm_retraction"})
RETURN_PAGES = {"case": "", "preview": "/publication/preview"}


async def _text(request: Request[Any, Any, Any], name: str, limit: int = 25_000) -> str:
    form = await request.form()
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


class ReviewPages(Controller):
    path = "/app"
    include_in_schema = False
    guards = [requires_page_login]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    @get("/queue", operation_id="review_queue_page", guards=[requires_page_review_team])
    async def queue(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        status: Annotated[str | None, QueryParameter(max_length=20)] = None,
        municipality_code: Annotated[str | None, QueryParameter(name="municipality", max_length=60)] = None,
        category_code: Annotated[str | None, QueryParameter(name="category", max_length=40)] = None,
        assigned: Annotated[str | None, QueryParameter(max_length=5)] = None,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
        stepped_away: Annotated[str | None, QueryParameter(max_length=1)] = None,
        waiting: Annotated[str | None, QueryParameter(max_length=1)] = None,
        sort: Annotated[str | None, QueryParameter(max_length=10)] = None,
    ) -> Template:
        wanted = (
            CaseStatus(status)
            if status is not None and status in CaseStatus.__members__ and status != "draft"
            else None
        )
        place = municipality_code if municipality_code and municipality(municipality_code) else ""
        topic = category_code if category_code and category(category_code) else ""
        mine = assigned == "1"
        order = CaseSort(sort) if sort is not None and sort in CaseSort.__members__ else CaseSort.newest
        waiting_for_me = await queue.waiting_for(principal)
        only = waiting_for_me if waiting == "1" else None
        found = await cases_service.list_cases(
            ctx,
            principal,
            status=wanted,
            municipality_code=place or None,
            category_code=topic or None,
            assigned_to_me=mine,
            q=q,
            page=page_number,
            page_size=PAGE_SIZE,
            sort=order,
            only=only,
        )
        filters = {
            "status": wanted.value if wanted else "",
            "municipality": place,
            "category": topic,
            "assigned": "1" if mine else "",
            "q": (q or "").strip(),
            "waiting": "1" if only is not None else "",
            "sort": order.value if order is not CaseSort.newest else "",
        }
        return page(
            "app/queue.html",
            stepped_away=stepped_away == "1",
            waiting_count=len(waiting_for_me),
            waiting_for_me=waiting_for_me,
            sorts=[s.value for s in CaseSort],
            cases=found.items,
            total=found.total,
            page_number=page_number,
            pages=max(1, -(-found.total // PAGE_SIZE)),
            filters=filters,
            filter_query=[(k, v) for k, v in filters.items() if v],
            statuses=[s.value for s in CaseStatus if s != CaseStatus.draft],
            municipality_groups=municipality_groups(language_of_scope(request.scope)),
            category_codes=category_codes(),
            me=principal.id,
        )

    @post("/cases/{case_id:uuid}/transitions", operation_id="case_transition_submit", status_code=303)
    async def take_step(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        action = await _text(request, "action", 40)
        reason = await _text(request, "reason")
        back = await _text(request, "return_to", 20)
        suffix = RETURN_PAGES.get(back, "")
        try:
            if action in CONFIRMED_STEPS and await _text(request, "confirm", 1) != "1":
                raise Invalid("tick the box to confirm what this does", code="confirmation_missing")
            await review.transition(ctx, principal, case_id, action, reason or None)
        except (WrongState, Invalid) as exc:
            if suffix:
                from integrity.publication.preview_page import preview_page

                return await preview_page(
                    ctx, principal, case_id, exc.status_code, action_error=exc, failed_action=action
                )
            case = await cases_service.get_case(ctx, principal, case_id)
            return await case_page(
                principal,
                case,
                exc.status_code,
                action_error=exc,
                values={"action": action, "reason": reason},
            )
        # The page it leads to says the step was taken (and, once published, where the public reads it).
        done = f"?done={action}" if action in DONE_MESSAGES else ""
        if action == "withdraw" or action == "start_review":
            return see_other(f"/app/cases/{case_id}{done}")
        return see_other(f"/app/cases/{case_id}{suffix}{done}")

    @post("/cases/{case_id:uuid}/comments", operation_id="case_comment_submit", status_code=303)
    async def comment(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        kind = await _text(request, "kind", 20)
        body = await _text(request, "body")
        if kind not in CommentKind.__members__:
            kind = CommentKind.note.value
        try:
            await review.add_comment(ctx, principal, case_id, body, CommentKind(kind))
        except (WrongState, Invalid) as exc:
            case = await cases_service.get_case(ctx, principal, case_id)
            return await case_page(
                principal,
                case,
                exc.status_code,
                action_error=exc,
                values={"comment_kind": kind, "body": body},
            )
        return see_other(f"/app/cases/{case_id}#comments")

    @post("/cases/{case_id:uuid}/conflicts", operation_id="case_conflict_submit", status_code=303)
    async def conflict(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        # An editor records another member's conflict by naming them; without a name, one's own.
        named = await _text(request, "member_id", 40)
        try:
            member_id = uuid.UUID(named) if named else None
        except ValueError:
            member_id = uuid.UUID(int=0)
        try:
            await review.declare_conflict(ctx, principal, case_id, member_id)
        except (WrongState, Invalid, Forbidden) as exc:
            case = await cases_service.get_case(ctx, principal, case_id)
            return await case_page(principal, case, exc.status_code, action_error=exc)
        if member_id not in (None, principal.id):
            return see_other(f"/app/cases/{case_id}")
        # The case is out of their sight from now on: back to the queue, which says why.
        return see_other("/app/queue?stepped_away=1")

    @post("/cases/{case_id:uuid}/assignment", operation_id="case_assignment_submit", status_code=303)
    async def assignment(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        try:
            reviewer = uuid.UUID(await _text(request, "reviewer_id", 40))
        except ValueError:
            reviewer = uuid.UUID(int=0)
        try:
            await review.assign(ctx, principal, case_id, reviewer)
        except (WrongState, Invalid) as exc:
            case = await cases_service.get_case(ctx, principal, case_id)
            return await case_page(principal, case, exc.status_code, action_error=exc)
        return see_other(f"/app/cases/{case_id}")

    @post(
        "/cases/{case_id:uuid}/actors/{actor_id:uuid}/link",
        operation_id="case_actor_link_submit",
        status_code=303,
    )
    async def link_actor(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        actor_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        chosen = await _text(request, "shared_actor_id", 40)
        typed = await _text(request, "aliases", 4000)
        aliases = [alias.strip() for alias in typed.split(",") if alias.strip()] if typed else None
        data = ActorLinkIn(name=await _text(request, "name", 400), aliases=aliases)
        if chosen and chosen != "new":
            try:
                data = ActorLinkIn(shared_actor_id=uuid.UUID(chosen), aliases=aliases)
            except ValueError:
                data = ActorLinkIn(shared_actor_id=uuid.UUID(int=0), aliases=aliases)
        try:
            await actors.link_actor(ctx, principal, case_id, actor_id, data)
        except (WrongState, Invalid, Forbidden) as exc:
            case = await cases_service.get_case(ctx, principal, case_id)
            # What was typed stays in the form of the actor it was typed for.
            typed_link = {"actor_id": str(actor_id), "name": data.name or "", "aliases": typed}
            return await case_page(principal, case, exc.status_code, action_error=exc, typed_link=typed_link)
        return see_other(f"/app/cases/{case_id}#actors-heading")
