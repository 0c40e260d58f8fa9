"""Who sees which case: the member who filed it and the review team (admins run the platform
without reading evidence), except a team member who declared a conflict of interest on it; anyone
else is told the case does not exist."""

from __future__ import annotations

import uuid
from typing import Any

from integrity.cases.filers import filed_by
from integrity.cases.tables import (
    Case,
    CaseStatus,
    Conflict,
)
from integrity.errors import Forbidden, NotFound, WrongState
from integrity.security.guards import Principal
from integrity.security.roles import REVIEW_TEAM


def can_read(principal: Principal, row: dict[str, Any]) -> bool:
    if filed_by(principal, row):
        return True
    return principal.role in REVIEW_TEAM and row["status"] != CaseStatus.draft


async def conflicted(principal: Principal, case_id: uuid.UUID) -> bool:
    """Whether the caller declared (or an editor recorded) a conflict of interest on the case."""
    return bool(await Conflict.exists().where((Conflict.case == case_id) & (Conflict.member == principal.id)))


async def load_case_row(principal: Principal, case_id: uuid.UUID) -> dict[str, Any]:
    """The case row if the caller may read it; an unknown and a forbidden case look the same, and
    so does a case the caller has a conflict of interest on (need-to-know: its narrative, files,
    notes and submitter are out of their reach)."""
    row = await Case.select().where(Case.id == case_id).first()
    if row is None or not can_read(principal, row):
        raise NotFound("no such case", code="case_not_found")
    if not filed_by(principal, row) and await conflicted(principal, case_id):
        raise NotFound("no such case", code="case_not_found")
    return row


def require_submitter(principal: Principal, row: dict[str, Any], doing: str) -> None:
    if not filed_by(principal, row):
        # The review team may read the case, so it learns that only the submitter may do this.
        raise Forbidden(f"only the member who filed the case may {doing}", code="submitter_only")


def require_draft(row: dict[str, Any]) -> None:
    if row["status"] != CaseStatus.draft:
        raise WrongState(
            "the case has been submitted: filed material can no longer change", code="case_submitted"
        )
