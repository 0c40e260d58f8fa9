"""The publication preview (`app/preview.html`): the public version as readers will get it, with
the approve, publish, correct and retract steps the case allows. Publication and review-team
handlers both render it."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from litestar.response import Template

from integrity.cases import service, workflow
from integrity.cases.access import load_case_row
from integrity.cases.sealing import case_key
from integrity.context import ServiceContext
from integrity.errors import WrongState
from integrity.publication import drafts, revisions
from integrity.security.guards import Principal
from integrity.web.pages import page


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
        text_actions=workflow.NEEDS_REASON,
        **context,
    )
