"""The case page (`app/case.html`) as this viewer sees it: the member's own sections, or the review
team's with the workflow steps the case allows them, the request to answer, the draft and the people
an editor may hand the case to. Member and review-team handlers both render it."""

from __future__ import annotations

from typing import Any

from litestar.response import Template

from integrity.cases import workflow
from integrity.cases.filetypes import ACCEPT
from integrity.cases.schemas import CaseOut, CommentOut
from integrity.cases.tables import CaseStatus, CommentKind
from integrity.publication.renditions import DRAFT_STATES, redaction_kind
from integrity.publication.tables import PublicCase
from integrity.review import actors
from integrity.review import service as review
from integrity.review.actors import SharedActorOut
from integrity.security.guards import Principal
from integrity.security.roles import EDITOR, REVIEW_TEAM
from integrity.web.pages import page

#: States in which a case has a public page.
PUBLIC_STATES = frozenset({CaseStatus.published, CaseStatus.retracted})


def latest_request(case: CaseOut) -> CommentOut | None:
    requests = [c for c in case.comments if c.kind == CommentKind.request]
    return requests[-1] if requests else None


async def case_page(principal: Principal, case: CaseOut, status_code: int = 200, **context: Any) -> Template:
    """The case page with everything its sections need for this viewer."""
    team_view = principal.role in REVIEW_TEAM and case.submitter.id != principal.id
    linking = team_view and not case.conflict_declared
    matches: dict[str, list[SharedActorOut]] = {}
    if linking:
        # Shared records whose name holds what the member typed, offered first.
        for actor in case.actors:
            if not actor.protect_identity:
                found = await actors.shared_actors(principal, actor.name, actor.kind)
                matches[str(actor.actor_id)] = [m for m in found if m.id != actor.actor_id]
    context.setdefault("done", None)
    context.setdefault("answer_error", None)
    context.setdefault("answer_files_lost", False)
    public = (
        await PublicCase.select(PublicCase.reference).where(PublicCase.case == case.id).first()
        if case.status in PUBLIC_STATES
        else None
    )
    context.setdefault("public_reference", public["reference"] if public else None)
    context.setdefault("upload_error", None)
    context.setdefault("action_error", None)
    context.setdefault("values", {})
    context.setdefault("typed_link", {})
    return page(
        "app/case.html",
        status_code,
        case=case,
        team_view=team_view,
        team=await review.assignable_team(principal, case) if team_view else [],
        request_comment=latest_request(case),
        step_actions=[a for a in case.actions if a not in workflow.SUBMITTER_ACTIONS],
        text_actions=workflow.NEEDS_REASON,
        publication_actions=workflow.PUBLICATION_ACTIONS,
        drafting=team_view and case.status in DRAFT_STATES and not case.conflict_declared,
        redactable={a.id for a in case.attachments if redaction_kind(a.content_type) and not a.shredded_at},
        linking=linking,
        is_editor=team_view and principal.role == EDITOR,
        upload_accept=ACCEPT,
        actor_matches=matches,
        **context,
    )
