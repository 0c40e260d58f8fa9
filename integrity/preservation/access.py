"""Who may take preservation steps on a case: editors who may work on it."""

from __future__ import annotations

import uuid
from typing import Any

from integrity.cases.access import load_case_row
from integrity.cases.filers import filed_by
from integrity.cases.service import case_facts
from integrity.cases.tables import CaseStatus
from integrity.errors import Forbidden, NotFound, WrongState
from integrity.security.guards import Principal
from integrity.security.roles import EDITOR


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
