"""The case state machine: which actions exist in which state, and who may take them.

The review transitions (triage, verification, approval and publication) join this table with the
review workflow; intake needs the first step, `submit`, and the rule that says when evidence may
still be added.
"""

from __future__ import annotations

from typing import Any

from integrity.cases.tables import CaseStatus
from integrity.security.guards import Principal


def is_submitter(principal: Principal, row: dict[str, Any]) -> bool:
    return row["submitter"] == principal.id


def accepts_evidence(row: dict[str, Any]) -> bool:
    """Evidence is filed with a draft; after submission the filed material is frozen."""
    return row["status"] == CaseStatus.draft


def allowed_actions(principal: Principal, row: dict[str, Any]) -> list[str]:
    """What the caller may do with the case now, for the API's `actions` and the pages' buttons."""
    actions: list[str] = []
    if is_submitter(principal, row) and row["status"] == CaseStatus.draft:
        actions += ["edit", "add_attachments", "submit"]
    return actions
