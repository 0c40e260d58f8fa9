"""The editors' preservation pages of a case: its court-ready exports (``/app/cases/{id}/exports``:
ask for a package for a recipient's age key, approve another editor's request, download an
approved package) and its legal holds (``/app/cases/{id}/holds``: ask for one, confirm another
editor's request, ask for its release). Plain forms: they work without JavaScript."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from integrity.cases import service as cases_service
from integrity.context import ServiceContext, provide_service_context
from integrity.errors import IntegrityError
from integrity.preservation import erasure, exports, holds, retention
from integrity.security.guards import Principal
from integrity.web.labels import N_
from integrity.web.pages import (
    page,
    requires_page_admin,
    requires_page_login,
    requires_page_review_team,
    see_other,
)

#: What each page says after each step.
DONE = {
    "exports": {
        "requested": N_(
            "The export is asked for: another editor approves it, then either of you can download it."
        ),
        "approved": N_("The export is approved: the package can be downloaded."),
    },
    "holds": {
        "requested": N_("The hold is asked for: it holds once another editor confirms it."),
        "confirmed": N_("Confirmed."),
        "release": N_("The release is asked for: the hold stands until another editor confirms it."),
        "shred_requested": N_("Shredding is asked for: it is done once another editor confirms it."),
        "originals_shredded": N_(
            "The originals are shredded: the published copies and the case file remain."
        ),
    },
}

Done = Annotated[str | None, QueryParameter(max_length=20)]


async def _text(request: Request[Any, Any, Any], name: str, limit: int) -> str:
    value = (await request.form()).get(name)
    return value[:limit] if isinstance(value, str) else ""


class PreservationPages(Controller):
    path = "/app/cases/{case_id:uuid}"
    include_in_schema = False
    guards = [requires_page_review_team]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    async def _page(
        self,
        ctx: ServiceContext,
        principal: Principal,
        case_id: uuid.UUID,
        which: str,
        status_code: int = 200,
        *,
        done: str | None = None,
        error: IntegrityError | None = None,
        typed: str = "",
        shred_reason: str = "",
    ) -> Template:
        case = await cases_service.get_case(ctx, principal, case_id)
        listed: dict[str, Any] = (
            {"exports": await exports.list_exports(principal, case_id), "recipient": typed}
            if which == "exports"
            else {
                "holds": await holds.list_holds(ctx, principal, case_id),
                "shred_requests": await retention.shred_requests(ctx, principal, case_id),
                "shred_scope": await retention.shred_scope(case_id, case.status),
                "held": await holds.is_held(case_id),
                "reason": typed,
                "shred_reason": shred_reason,
            }
        )
        return page(
            f"app/{which}.html",
            status_code,
            case=case,
            done=DONE[which].get(done or ""),
            error=error,
            **listed,
        )

    async def _step(
        self,
        ctx: ServiceContext,
        principal: Principal,
        case_id: uuid.UUID,
        which: str,
        step: Callable[[], Awaitable[Any]],
        done: str,
        typed: str = "",
    ) -> Template | Redirect:
        """Take the step; the page again with the problem (and what was typed) if it is refused."""
        try:
            made = await step()
        except IntegrityError as exc:
            return await self._page(ctx, principal, case_id, which, exc.status_code, error=exc, typed=typed)
        anchor = "export" if which == "exports" else "hold"
        return see_other(f"/app/cases/{case_id}/{which}?done={done}#{anchor}-{made.id}")

    @get("/exports", operation_id="exports_page")
    async def exports_page(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        done: Done = None,
    ) -> Template:
        return await self._page(ctx, principal, case_id, "exports", done=done)

    @post("/exports", operation_id="export_request_submit", status_code=303)
    async def request_export(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        recipient = await _text(request, "recipient", 200)
        return await self._step(
            ctx,
            principal,
            case_id,
            "exports",
            lambda: exports.request_export(ctx, principal, case_id, recipient),
            "requested",
            recipient,
        )

    @post("/exports/{export_id:uuid}/approve", operation_id="export_approve_submit", status_code=303)
    async def approve_export(
        self,
        case_id: FromPath[uuid.UUID],
        export_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        return await self._step(
            ctx,
            principal,
            case_id,
            "exports",
            lambda: exports.approve_export(ctx, principal, case_id, export_id),
            "approved",
        )

    @get("/holds", operation_id="holds_page")
    async def holds_page(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        done: Done = None,
    ) -> Template:
        return await self._page(ctx, principal, case_id, "holds", done=done)

    @post("/holds", operation_id="hold_request_submit", status_code=303)
    async def request_hold(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        reason = await _text(request, "reason", 4000)
        return await self._step(
            ctx,
            principal,
            case_id,
            "holds",
            lambda: holds.request_hold(ctx, principal, case_id, reason),
            "requested",
            reason,
        )

    @post("/holds/{hold_id:uuid}/confirm", operation_id="hold_confirm_submit", status_code=303)
    async def confirm_hold(
        self,
        case_id: FromPath[uuid.UUID],
        hold_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        return await self._step(
            ctx,
            principal,
            case_id,
            "holds",
            lambda: holds.confirm(ctx, principal, case_id, hold_id),
            "confirmed",
        )

    @post("/shredding", operation_id="shred_request_submit", status_code=303)
    async def request_shredding(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        reason = await _text(request, "shred_reason", 4000)
        try:
            made = await retention.request_shredding(ctx, principal, case_id, reason)
        except IntegrityError as exc:
            return await self._page(
                ctx, principal, case_id, "holds", exc.status_code, error=exc, shred_reason=reason
            )
        return see_other(f"/app/cases/{case_id}/holds?done=shred_requested#shred-{made.id}")

    @post("/shredding/{request_id:uuid}/confirm", operation_id="shred_confirm_submit", status_code=303)
    async def confirm_shredding(
        self,
        case_id: FromPath[uuid.UUID],
        request_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        try:
            step = await retention.confirm_shredding(ctx, principal, case_id, request_id)
        except IntegrityError as exc:
            return await self._page(ctx, principal, case_id, "holds", exc.status_code, error=exc)
        if step.scope == "originals":
            return see_other(f"/app/cases/{case_id}/holds?done=originals_shredded#shredding")
        # The case is gone (its tombstone and custody entry remain): back to the queue.
        return see_other("/app/queue")

    @post("/holds/{hold_id:uuid}/release", operation_id="hold_release_submit", status_code=303)
    async def release_hold(
        self,
        case_id: FromPath[uuid.UUID],
        hold_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        return await self._step(
            ctx,
            principal,
            case_id,
            "holds",
            lambda: holds.release(ctx, principal, case_id, hold_id),
            "release",
        )


class ErasurePages(Controller):
    """A member's "forget me" page (``/app/erasure``) and the admins' page that confirms erasures
    (``/app/admin/erasures``): two admins, each a different one."""

    path = "/app"
    include_in_schema = False
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    @get("/erasure", operation_id="erasure_page", guards=[requires_page_login])
    async def own(self, principal: NamedDependency[Principal], done: Done = None) -> Template:
        return page(
            "app/erasure.html",
            erasure=await erasure.my_erasure(principal),
            done={"requested": N_ERASURE_ASKED, "withdrawn": N_ERASURE_WITHDRAWN}.get(done or ""),
        )

    @post("/erasure", operation_id="erasure_request_submit", status_code=303, guards=[requires_page_login])
    async def ask(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        if await _text(request, "understood", 10) != "1":
            return page(
                "app/erasure.html",
                422,
                erasure=await erasure.my_erasure(principal),
                error=N_("Tick the box to say that you understand this cannot be undone."),
            )
        try:
            await erasure.request_erasure(ctx, principal)
        except IntegrityError as exc:
            return page(
                "app/erasure.html", exc.status_code, erasure=await erasure.my_erasure(principal), error=exc
            )
        return see_other("/app/erasure?done=requested")

    @post(
        "/erasure/withdraw",
        operation_id="erasure_withdraw_submit",
        status_code=303,
        guards=[requires_page_login],
    )
    async def withdraw(
        self, principal: NamedDependency[Principal], ctx: NamedDependency[ServiceContext]
    ) -> Template | Redirect:
        try:
            await erasure.withdraw_erasure(ctx, principal)
        except IntegrityError as exc:
            return page(
                "app/erasure.html", exc.status_code, erasure=await erasure.my_erasure(principal), error=exc
            )
        return see_other("/app/erasure?done=withdrawn")

    async def _admin_page(
        self, principal: Principal, status_code: int = 200, *, done: str | None = None, error: Any = None
    ) -> Template:
        return page(
            "admin/erasures.html",
            status_code,
            erasures=await erasure.pending_erasures(principal),
            done=ERASURE_DONE.get(done or ""),
            error=error,
        )

    @get("/admin/erasures", operation_id="erasures_page", guards=[requires_page_admin])
    async def pending(self, principal: NamedDependency[Principal], done: Done = None) -> Template:
        return await self._admin_page(principal, done=done)

    @post(
        "/admin/erasures/{erasure_id:uuid}/confirm",
        operation_id="erasure_confirm_submit",
        status_code=303,
        guards=[requires_page_admin],
    )
    async def confirm(
        self,
        erasure_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        try:
            made = await erasure.confirm_erasure(ctx, principal, erasure_id)
        except IntegrityError as exc:
            return await self._admin_page(principal, exc.status_code, error=exc)
        return see_other(f"/app/admin/erasures?done={made.status}")


N_ERASURE_ASKED = N_("Your erasure is asked for: two admins confirm it, then it is carried out.")
N_ERASURE_WITHDRAWN = N_("Your request is withdrawn: nothing was erased.")
ERASURE_DONE = {
    "confirmed": N_("Confirmed: a second admin confirms it, and then it is carried out."),
    "done": N_("The member is erased: their unpublished cases shredded, their account anonymised."),
}
