"""What is waiting for a review-team member: the cases where the next step is theirs.

A reviewer triages submitted cases nobody has taken (or that were handed to them) and reviews the
ones assigned to them; an editor also approves verified cases someone else verified, publishes
approved ones, and confirms the corrections, retractions and takedowns another editor proposed.
Never a case they filed or declared a conflict of interest on.
"""

from __future__ import annotations

import uuid

from integrity.cases.filers import filed_by
from integrity.cases.tables import Case, CaseStatus, Conflict
from integrity.publication.tables import ProposalKind, PublicChangeProposal, Takedown, TakedownStatus
from integrity.security.guards import Principal
from integrity.security.roles import EDITOR, REVIEW_TEAM

__all__ = ["WAITING", "waiting_for"]

#: What is waiting, by the step to take.
WAITING = (
    "triage",
    "review",
    "approve",
    "publish",
    "confirm_correction",
    "confirm_retraction",
    "confirm_takedown",
)


async def waiting_for(principal: Principal) -> dict[uuid.UUID, str]:
    """The cases waiting for ``principal``'s step, each with the step (one of ``WAITING``)."""
    if principal.role not in REVIEW_TEAM:
        return {}
    editor = principal.role == EDITOR
    conflicted = {
        row["case"] for row in await Conflict.select(Conflict.case).where(Conflict.member == principal.id)
    }
    rows = await Case.select(
        Case.id, Case.status, Case.assigned_reviewer, Case.verified_by, Case.submitter_tag
    ).where(
        Case.status.is_in(
            [CaseStatus.submitted, CaseStatus.in_review, CaseStatus.verified, CaseStatus.approved]
        )
    )
    waiting: dict[uuid.UUID, str] = {}
    for row in rows:
        if row["id"] in conflicted or filed_by(principal, row):
            continue
        status, assignee = row["status"], row["assigned_reviewer"]
        if status == CaseStatus.submitted and assignee in (None, principal.id):
            waiting[row["id"]] = "triage"
        elif status == CaseStatus.in_review and assignee == principal.id:
            waiting[row["id"]] = "review"
        elif editor and status == CaseStatus.verified and row["verified_by"] != principal.id:
            waiting[row["id"]] = "approve"
        elif editor and status == CaseStatus.approved:
            waiting[row["id"]] = "publish"
    if editor:
        for proposal in await PublicChangeProposal.select(
            PublicChangeProposal.case, PublicChangeProposal.kind
        ).where(PublicChangeProposal.proposed_by != principal.id):
            if proposal["case"] not in conflicted:
                correction = proposal["kind"] == ProposalKind.correction
                waiting[proposal["case"]] = "confirm_correction" if correction else "confirm_retraction"
        for takedown in await Takedown.select(Takedown.case).where(
            (Takedown.status == TakedownStatus.pending) & (Takedown.proposed_by != principal.id)
        ):
            if takedown["case"] not in conflicted:
                waiting.setdefault(takedown["case"], "confirm_takedown")
    return waiting
