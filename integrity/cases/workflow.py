"""The case state machine as one explicit table: (state, action) -> next state, who, extra rule.

`check` answers whether a caller may take an action now: `Forbidden` (403) when their role may
never take it, `WrongState` (409) when the case's state or a rule stands in the way, with a detail
naming the rule. The same table feeds `allowed_actions`, which the API and the pages show.
Approving, publishing and correcting also need a complete publication draft whose leak check
passes; that costs file reads, so callers compute it (`CaseFacts.publication_problem`) only for
those steps.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from integrity.cases.filers import filed_by
from integrity.cases.tables import CaseStatus
from integrity.errors import Forbidden, WrongState
from integrity.security.guards import Principal
from integrity.security.roles import EDITOR, REVIEW_TEAM

S = CaseStatus


class Who(enum.Enum):
    submitter = "the member who filed the case"
    team = "a reviewer or an editor"
    editor = "an editor"


@dataclass(frozen=True)
class CaseFacts:
    """What the rules look at besides the case row."""

    conflicted: frozenset[uuid.UUID]
    #: Why the publication draft cannot go out yet; looked at only for the steps that need it.
    publication_problem: str | None = None
    #: Who last changed the publication draft (its texts, decisions or copies), when it matters.
    draft_changed_by: uuid.UUID | None = None
    #: The correction or retraction waiting for a second editor: (kind, who proposed it).
    proposal: tuple[str, uuid.UUID] | None = None


#: A rule answers why a step may not be taken now (None when it may).
Rule = Callable[[Principal, dict[str, Any], CaseFacts], WrongState | None]


def not_own_case(principal: Principal, row: dict[str, Any], facts: CaseFacts) -> WrongState | None:
    if filed_by(principal, row):
        return WrongState("nobody reviews, verifies or approves a case they filed", code="own_case")
    return None


def no_conflict(principal: Principal, row: dict[str, Any], facts: CaseFacts) -> WrongState | None:
    if principal.id in facts.conflicted:
        return WrongState("you declared a conflict of interest on this case", code="conflict_declared")
    return None


def four_eyes(principal: Principal, row: dict[str, Any], facts: CaseFacts) -> WrongState | None:
    if row.get("verified_by") == principal.id:
        return WrongState(
            "approval needs an editor other than the reviewer who verified the case (four eyes)",
            code="four_eyes",
        )
    return None


def not_last_draft_editor(principal: Principal, row: dict[str, Any], facts: CaseFacts) -> WrongState | None:
    if facts.draft_changed_by == principal.id:
        return WrongState(
            "approval needs an editor other than whoever last changed the publication draft (four eyes)",
            code="four_eyes_draft",
        )
    return None


def _confirms(kind: str, code: str) -> Rule:
    def rule(principal: Principal, row: dict[str, Any], facts: CaseFacts) -> WrongState | None:
        if facts.proposal is None or facts.proposal[0] != kind:
            return WrongState(f"no {kind} has been proposed", code=code)
        if facts.proposal[1] == principal.id:
            return WrongState(
                f"a {kind} is confirmed by an editor other than the one who proposed it (four eyes)",
                code="four_eyes_proposal",
            )
        return None

    rule.__name__ = f"confirms_{kind}"
    return rule


confirms_correction = _confirms(kind="correction", code="no_correction_proposed")
confirms_retraction = _confirms(kind="retraction", code="no_retraction_proposed")


def draft_complete(principal: Principal, row: dict[str, Any], facts: CaseFacts) -> WrongState | None:
    if facts.publication_problem is None:
        return None
    return WrongState(facts.publication_problem, code="draft_incomplete")


@dataclass(frozen=True)
class Step:
    to: CaseStatus
    who: Who
    rules: tuple[Rule, ...] = ()
    needs_reason: bool = False


INDEPENDENT = (not_own_case, no_conflict)

TABLE: dict[tuple[CaseStatus, str], Step] = {
    (S.draft, "submit"): Step(S.submitted, Who.submitter),
    (S.draft, "withdraw"): Step(S.withdrawn, Who.submitter),
    (S.submitted, "withdraw"): Step(S.withdrawn, Who.submitter),
    (S.in_review, "withdraw"): Step(S.withdrawn, Who.submitter),
    (S.needs_info, "withdraw"): Step(S.withdrawn, Who.submitter),
    (S.submitted, "start_review"): Step(S.in_review, Who.team, INDEPENDENT),
    (S.in_review, "request_info"): Step(S.needs_info, Who.team, INDEPENDENT, needs_reason=True),
    (S.needs_info, "provide_info"): Step(S.in_review, Who.submitter),
    (S.in_review, "verify"): Step(S.verified, Who.team, INDEPENDENT),
    (S.verified, "send_back"): Step(S.in_review, Who.editor, INDEPENDENT, needs_reason=True),
    (S.verified, "approve"): Step(
        S.approved, Who.editor, (*INDEPENDENT, four_eyes, not_last_draft_editor, draft_complete)
    ),
    (S.approved, "publish"): Step(S.published, Who.editor, (*INDEPENDENT, draft_complete)),
    # Every public change takes two editors: one proposes it (with the public note), another
    # confirms it; until then the public sees nothing of it.
    (S.published, "correct"): Step(
        S.published, Who.editor, (*INDEPENDENT, draft_complete), needs_reason=True
    ),
    (S.published, "confirm_correction"): Step(
        S.published, Who.editor, (*INDEPENDENT, confirms_correction, not_last_draft_editor, draft_complete)
    ),
    (S.published, "retract"): Step(S.published, Who.editor, INDEPENDENT, needs_reason=True),
    (S.published, "confirm_retraction"): Step(S.retracted, Who.editor, (*INDEPENDENT, confirms_retraction)),
    (S.submitted, "reject"): Step(S.rejected, Who.team, INDEPENDENT, needs_reason=True),
    (S.in_review, "reject"): Step(S.rejected, Who.team, INDEPENDENT, needs_reason=True),
    (S.needs_info, "reject"): Step(S.rejected, Who.team, INDEPENDENT, needs_reason=True),
    (S.verified, "reject"): Step(S.rejected, Who.team, INDEPENDENT, needs_reason=True),
    (S.rejected, "reopen"): Step(S.in_review, Who.editor, INDEPENDENT),
}

#: Every action the API accepts.
ACTIONS = (
    "submit",
    "start_review",
    "request_info",
    "provide_info",
    "verify",
    "reject",
    "reopen",
    "send_back",
    "approve",
    "publish",
    "correct",
    "confirm_correction",
    "retract",
    "confirm_retraction",
    "withdraw",
)

# Every set below is read off the table, so a step added or changed there changes them too.

#: Steps that need `CaseFacts.publication_problem` worked out.
NEEDS_PUBLICATION_CHECK = frozenset(a for (_, a), step in TABLE.items() if draft_complete in step.rules)
#: Steps that need a reason (for request_info, the request itself).
NEEDS_REASON = frozenset(a for (_, a), step in TABLE.items() if step.needs_reason)
#: Steps on a published case whose reason the public reads as a note (and the feed carries).
PUBLIC_NOTE_ACTIONS = frozenset(
    a for (state, a), step in TABLE.items() if state is S.published and step.needs_reason
)
#: States the public version is made or changed in.
PUBLICATION_STATES = frozenset({S.approved, S.published, S.retracted})
#: Steps that make, publish, change or withdraw the public version (or propose a change to it),
#: in the table's order.
PUBLICATION_ACTIONS = tuple(
    dict.fromkeys(a for (_, a), step in TABLE.items() if step.to in PUBLICATION_STATES)
)
#: Steps that propose a public change for a second editor to confirm, and the step that confirms each.
PROPOSALS = {"correct": "confirm_correction", "retract": "confirm_retraction"}
#: Steps the member who filed the case takes, with the two that are not state changes.
SUBMITTER_ACTIONS = frozenset(
    {"edit", "add_attachments"} | {a for (_, a), step in TABLE.items() if step.who is Who.submitter}
)
#: States in which the review team works on a case, so an editor may hand it to someone.
ASSIGNABLE_STATES = frozenset(state for (state, _), step in TABLE.items() if step.who is Who.team)


def _who_for(action: str) -> set[Who]:
    return {step.who for (_, name), step in TABLE.items() if name == action}


def _is(principal: Principal, row: dict[str, Any], who: Who) -> bool:
    if who is Who.submitter:
        return filed_by(principal, row)
    if who is Who.team:
        return principal.role in REVIEW_TEAM
    return principal.role == EDITOR


def check(principal: Principal, row: dict[str, Any], facts: CaseFacts, action: str) -> Step:
    """The step `action` takes from the case's state, if the caller may take it now."""
    whos = _who_for(action)
    if whos and not any(_is(principal, row, who) for who in whos):
        needed = " or ".join(sorted(who.value for who in whos))
        raise Forbidden(f"only {needed} may {action.replace('_', ' ')}", code="step_not_for_role")
    step = TABLE.get((CaseStatus(row["status"]), action))
    if step is None:
        raise WrongState(
            f"{action.replace('_', ' ')} is not possible while the case is {row['status']}",
            code="step_not_possible",
        )
    if not _is(principal, row, step.who):
        raise Forbidden(f"only {step.who.value} may {action.replace('_', ' ')} now", code="step_not_yours")
    for rule in step.rules:
        refusal = rule(principal, row, facts)
        if refusal is not None:
            raise refusal
    return step


def allowed_actions(principal: Principal, row: dict[str, Any], facts: CaseFacts) -> list[str]:
    """What the caller may do with the case now, for the API's `actions` and the pages' buttons."""
    actions: list[str] = []
    if filed_by(principal, row) and accepts_evidence(row):
        actions.append("add_attachments")
        if row["status"] == S.draft:
            actions.append("edit")
    for (state, action), step in TABLE.items():
        if state != row["status"] or action in actions:
            continue
        if _is(principal, row, step.who) and all(rule(principal, row, facts) is None for rule in step.rules):
            actions.append(action)
    return actions


def accepts_evidence(row: dict[str, Any]) -> bool:
    """Evidence is filed with a draft, or later only as part of an answer to a request for
    information; everything filed before is frozen."""
    return row["status"] in {S.draft, S.needs_info}
