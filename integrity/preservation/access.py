"""Who may take preservation steps on a case: editors who may work on it."""

from __future__ import annotations

import uuid
from typing import Any

from integrity.accounts.tables import Member
from integrity.cases.access import load_case_row
from integrity.cases.filers import filed_by
from integrity.cases.service import case_facts
from integrity.cases.tables import CaseStatus
from integrity.context import ServiceContext
from integrity.errors import Forbidden, NotFound, WrongState
from integrity.notifications import service as notifications
from integrity.notifications.tables import NotificationKind
from integrity.security.guards import Principal
from integrity.security.roles import ADMIN, EDITOR


async def editor_row(principal: Principal, case_id: uuid.UUID) -> dict[str, Any]:
    row = await load_case_row(principal, case_id)
    if principal.role != EDITOR:
        raise Forbidden("exports are asked for and approved by editors", code="editors_only")
    if filed_by(principal, row):
        raise WrongState("nobody exports a case they filed", code="own_case")
    if principal.id in (await case_facts(case_id)).conflicted:
        raise WrongState("you declared a conflict of interest on this case", code="conflict_declared")
    if row["status"] == CaseStatus.draft:
        raise NotFound("no such case", code="case_not_found")
    return row


async def ask_others(
    ctx: ServiceContext,
    asked_by: uuid.UUID,
    kind: NotificationKind,
    *,
    case: dict[str, Any] | None = None,
    erasure_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Inside the caller's transaction: tell whoever can take the second step that it waits: the
    other editors who may work on the case (not one who declared a conflict), or the other admins
    for an erasure. The notifications' ids, for ``notifications.queue_emails`` once committed."""
    role = ADMIN if erasure_id is not None else EDITOR
    rows = await Member.select(Member.id).where((Member.role == role) & (Member.is_active == True))  # noqa: E712
    excluded = {asked_by}
    if case is not None:
        excluded |= set((await case_facts(case["id"])).conflicted)
    subject = case["id"] if case is not None else erasure_id
    assert subject is not None
    return await notifications.notify(
        [row["id"] for row in rows if row["id"] not in excluded],
        kind,
        case_id=subject,
        reference=case["reference"] if case is not None else "",
        email=ctx.settings.smtp is not None,
    )
