"""The publication preview (`app/preview.html`): the public version as readers will get it, with
the approve, publish, correct and retract steps the case allows. Publication and review-team
handlers both render it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from litestar.response import Template

from integrity.cases import service, workflow
from integrity.cases.access import load_case_row
from integrity.cases.schemas import CaseOut
from integrity.cases.sealing import case_key
from integrity.context import ServiceContext
from integrity.errors import WrongState
from integrity.publication import drafts, revisions, takedowns
from integrity.publication.schemas import DraftOut
from integrity.publication.tables import Decision, TakedownReason
from integrity.security.guards import Principal
from integrity.security.roles import EDITOR
from integrity.web.pages import page

#: Pages of each file shown on the draft page (and every page with a finding, however far in).
SHOWN_PAGES = 30


@dataclass
class FileView:
    """A file to be published as the approvers see it: its pages, each with the boxes around the
    protected names the leak check found there (fractions of the page)."""

    name: str
    rendition_id: uuid.UUID
    pages: int
    shown: list[tuple[int, list[tuple[float, float, float, float]]]]


def files_as_published(case: CaseOut, draft: DraftOut) -> list[FileView]:
    views = []
    names = {attachment.id: attachment.filename for attachment in case.attachments}
    for decision in draft.attachments:
        if decision.rendition_id is None or decision.decision in (None, Decision.withhold):
            continue
        found = [f for f in draft.leak_check.findings if f.attachment_id == decision.attachment_id]
        pages = decision.pages or 1
        numbers = sorted(set(range(1, min(pages, SHOWN_PAGES) + 1)) | {f.page for f in found if f.page})
        views.append(
            FileView(
                name=names.get(decision.attachment_id, str(decision.attachment_id)),
                rendition_id=decision.rendition_id,
                pages=pages,
                shown=[
                    (n, [(b.x, b.y, b.width, b.height) for f in found if f.page == n and (b := f.box)])
                    for n in numbers
                ],
            )
        )
    return views


async def preview_page(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, status_code: int = 200, **context: Any
) -> Template:
    case = await service.get_case(ctx, principal, case_id)
    row = await load_case_row(principal, case_id)
    # The publication steps need facts the case's own answer leaves out: a proposal waiting for a
    # second editor, and who last changed the draft.
    facts = replace(
        await service.case_facts(case_id),
        proposal=await revisions.proposal_fact(case_id),
        draft_changed_by=await drafts.last_changed_by(case_id),
    )
    actions = workflow.allowed_actions(principal, row, facts)
    context.setdefault("action_error", None)
    context.setdefault("failed_action", None)
    context.setdefault("done", None)
    try:
        shown = await revisions.preview(ctx, principal, case_id)
    except WrongState as exc:
        # Only a missing draft is shown as such; a conflict or an own case is refused as a page.
        if exc.code != "no_draft":
            raise
        shown = None
    return page(
        "app/preview.html",
        status_code,
        case=case,
        preview=shown,
        step_actions=[a for a in actions if a in workflow.PUBLICATION_ACTIONS],
        proposal=await revisions.load_proposal(case_key(ctx, row), case_id),
        published_files=files_as_published(case, await drafts.get_draft(ctx, principal, case_id))
        if shown
        else [],
        text_actions=workflow.NEEDS_REASON,
        takedowns=await takedowns.list_takedowns(principal, case_id),
        takedown_reasons=[reason.value for reason in TakedownReason],
        published_revisions=await revisions.published_revision_numbers(case_id),
        me=principal.id,
        is_editor=principal.role == EDITOR,
        **context,
    )
