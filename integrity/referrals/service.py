"""Referrals: the review team records that a case was sent to an institution, the institution's
answers, appeals to a supervising body, and the referral's closing; each is a custody entry.

Who: reviewers and editors who may work on the case (not one they filed, not one they declared a
conflict on), once it has been submitted. The institution is a shared actor record of kind
``institution`` (found by its registry number or folded name, or made), so its page can gather
what it received and how it answered.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from integrity import db
from integrity.cases.access import load_case_row
from integrity.cases.filers import filed_by
from integrity.cases.sealing import CaseKey, case_key
from integrity.cases.service import case_facts
from integrity.cases.tables import Actor, ActorKind, Attachment, Case, CaseStatus
from integrity.cases.validation import clean_text
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import Forbidden, Invalid, NotFound, WrongState
from integrity.reference import ReferralKind, fold, referral_kind, referral_kinds
from integrity.referrals import deadlines
from integrity.referrals.schemas import (
    AnswerIn,
    AnswerOut,
    CloseIn,
    InstitutionOut,
    ReferralDocumentOut,
    ReferralIn,
    ReferralKindOut,
    ReferralOut,
)
from integrity.referrals.tables import Referral, ReferralAnswer
from integrity.security.guards import Principal
from integrity.security.roles import REVIEW_TEAM
from integrity.settings import Settings

MAX_INSTITUTION_NAME = 200
MAX_REFERENCE_NUMBER = 100
MAX_ANSWER_TEXT = 20_000
#: The earliest date a referral or an answer can carry.
EARLIEST = datetime.date(1990, 1, 1)
NETWORK_INTERVAL = "The network's own follow-up interval: the law sets no deadline for an answer."


def kinds(settings: Settings) -> list[ReferralKindOut]:
    """The kinds of referral with the days each gives the institution (as configured)."""
    return [
        ReferralKindOut(
            code=kind.code,
            name_latn=kind.name_latn,
            name_cyrl=kind.name_cyrl,
            name_en=kind.name_en,
            deadline_days=deadlines.follow_up_days(kind, settings.referral_follow_up),
            working_days=kind.working_days,
            source=kind.source or NETWORK_INTERVAL,
        )
        for kind in referral_kinds()
    ]


async def team_row(principal: Principal, case_id: uuid.UUID) -> dict[str, Any]:
    row = await load_case_row(principal, case_id)
    if principal.role not in REVIEW_TEAM:
        raise Forbidden("referrals are recorded by the review team", code="review_team_only")
    if filed_by(principal, row):
        raise WrongState("nobody works on a case they filed", code="own_case")
    if principal.id in (await case_facts(case_id)).conflicted:
        raise WrongState("you declared a conflict of interest on this case", code="conflict_declared")
    if row["status"] == CaseStatus.draft:
        raise NotFound("no such case", code="case_not_found")
    return row


def _kind(code: str) -> ReferralKind:
    kind = referral_kind(code)
    if kind is None:
        raise Invalid(
            "no such kind of referral (GET /api/v1/referral-kinds)",
            code="referral_kind_unknown",
            field="kind",
        )
    return kind


def check_day(day: datetime.date, field: str) -> None:
    if day > deadlines.today():
        raise Invalid("the date is in the future", code="date_in_future", field=field)
    if day < EARLIEST:
        raise Invalid("the date is too far in the past", code="date_too_early", field=field)


async def _institution(data: ReferralIn) -> uuid.UUID:
    """The shared institution record the referral went to (found or made)."""
    if (data.institution_actor_id is None) == (data.institution is None):
        raise Invalid(
            "give either institution_actor_id or institution",
            code="institution_ambiguous",
            field="institution",
        )
    if data.institution_actor_id is not None:
        row = (
            await Actor.select(Actor.kind)
            .where((Actor.id == data.institution_actor_id) & Actor.owner_case.is_null())
            .first()
        )
        if row is None:
            raise Invalid("no such shared actor", code="actor_not_found", field="institution_actor_id")
        if row["kind"] != ActorKind.institution:
            raise Invalid(
                "a referral goes to an institution", code="not_an_institution", field="institution_actor_id"
            )
        return data.institution_actor_id
    assert data.institution is not None
    name = clean_text(data.institution.name, "institution.name", MAX_INSTITUTION_NAME)
    number = (data.institution.registry_number or "").strip() or None
    if number is not None and (len(number) > 20 or not number.isdigit()):
        raise Invalid(
            "a registry number is up to 20 digits",
            code="registry_number_invalid",
            field="institution.registry_number",
        )
    records = await Actor.select(Actor.id, Actor.name, Actor.registry_number).where(
        (Actor.kind == ActorKind.institution) & Actor.owner_case.is_null()
    )
    by_number = next((r for r in records if number is not None and r["registry_number"] == number), None)
    if by_number is not None:
        return by_number["id"]
    folded = fold(name)
    by_name = next((r for r in records if r["name"] is not None and fold(r["name"]) == folded), None)
    if by_name is not None:
        if number is not None and by_name["registry_number"] is None:
            await Actor.update({Actor.registry_number: number}).where(Actor.id == by_name["id"])
        return by_name["id"]
    actor_id = uuid.uuid4()
    await Actor.insert(
        Actor(id=actor_id, kind=ActorKind.institution.value, name=name, aliases="[]", registry_number=number)
    )
    return actor_id


async def record_referral(
    ctx: ServiceContext,
    principal: Principal,
    case_id: uuid.UUID,
    data: ReferralIn,
    *,
    appeal_of: uuid.UUID | None = None,
) -> ReferralOut:
    """Record that the case was sent to an institution (or, ``appeal_of``, that an answer was
    appealed to a supervising body): its deadline is fixed now, from the kind's."""
    await team_row(principal, case_id)
    kind = _kind(data.kind)
    check_day(data.sent_at, "sent_at")
    reference = (
        clean_text(data.reference_number, "reference_number", MAX_REFERENCE_NUMBER, required=False) or None
        if data.reference_number
        else None
    )
    due = deadlines.due_date(kind, data.sent_at, ctx.settings.referral_follow_up)
    referral_id = uuid.uuid4()
    async with db.transaction():
        await custody.lock_log()
        current = await Case.select(Case.status).where(Case.id == case_id).first()
        if current is None:
            raise NotFound("no such case", code="case_not_found")
        if appeal_of is not None:
            parent = (
                await Referral.select(Referral.case, Referral.sent_at).where(Referral.id == appeal_of).first()
            )
            if parent is None or parent["case"] != case_id:
                raise NotFound("the case has no such referral", code="referral_not_found")
            if data.sent_at < parent["sent_at"]:
                raise Invalid(
                    "an appeal is sent after what it appeals", code="appeal_before_referral", field="sent_at"
                )
        institution = await _institution(data)
        entry = await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="referral.appealed" if appeal_of is not None else "referral.recorded",
            subject=f"case:{case_id}",
            details={
                "referral": str(referral_id),
                "kind": kind.code,
                "institution": str(institution),
                "sent_at": data.sent_at.isoformat(),
                "due_at": due.isoformat(),
                "made_by": data.made_by.value,
                **({"appeal_of": str(appeal_of)} if appeal_of is not None else {}),
            },
            # Public once the referral is published (it proves the day the network recorded
            # sending it): the team member's pseudonym is then theirs within this case only.
            case_scope=str(case_id),
        )
        await Referral.insert(
            Referral(
                id=referral_id,
                case=case_id,
                kind=kind.code,
                institution=institution,
                sent_at=data.sent_at,
                due_at=due,
                channel=data.channel.value,
                reference_number=reference,
                made_by=data.made_by.value,
                appeal_of=appeal_of,
                recorded_by=principal.id,
                custody_seq=entry.seq,
            )
        )
    return await get_referral(ctx, principal, case_id, referral_id)


async def referral_row(case_id: uuid.UUID, referral_id: uuid.UUID) -> dict[str, Any]:
    row = await Referral.select().where((Referral.id == referral_id) & (Referral.case == case_id)).first()
    if row is None:
        raise NotFound("the case has no such referral", code="referral_not_found")
    return row


async def record_answer(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, referral_id: uuid.UUID, data: AnswerIn
) -> ReferralOut:
    """Record the institution's answer: when it came and what it decided (its text sealed)."""
    case = await team_row(principal, case_id)
    referral = await referral_row(case_id, referral_id)
    check_day(data.received_at, "received_at")
    if data.received_at < referral["sent_at"]:
        raise Invalid(
            "an answer comes after the referral", code="answer_before_referral", field="received_at"
        )
    if referral["closed_at"] is not None:
        raise WrongState("the referral is closed", code="referral_closed")
    text = clean_text(data.text, "text", MAX_ANSWER_TEXT, required=False) if data.text else ""
    key = case_key(ctx, case)
    answer_id = uuid.uuid4()
    async with db.transaction():
        await custody.lock_log()
        entry = await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="referral.answered",
            subject=f"case:{case_id}",
            details={
                "referral": str(referral_id),
                "answer": str(answer_id),
                "received_at": data.received_at.isoformat(),
                "outcome": data.outcome.value,
            },
        )
        await ReferralAnswer.insert(
            ReferralAnswer(
                id=answer_id,
                referral=referral_id,
                received_at=data.received_at,
                outcome=data.outcome.value,
                text_sealed=key.seal(f"referral-answer:{answer_id}", text) if text else None,
                recorded_by=principal.id,
                custody_seq=entry.seq,
            )
        )
    return await get_referral(ctx, principal, case_id, referral_id)


async def close_referral(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, referral_id: uuid.UUID, data: CloseIn
) -> ReferralOut:
    """Close the referral with its outcome: nothing more is expected of the institution."""
    await team_row(principal, case_id)
    referral = await referral_row(case_id, referral_id)
    if referral["closed_at"] is not None:
        raise WrongState("the referral is closed already", code="referral_closed")
    today = deadlines.today()
    async with db.transaction():
        await custody.lock_log()
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="referral.closed",
            subject=f"case:{case_id}",
            details={
                "referral": str(referral_id),
                "outcome": data.outcome.value,
                "closed_at": today.isoformat(),
            },
        )
        await Referral.update(
            {Referral.closed_at: today, Referral.closing_outcome: data.outcome.value}
        ).where(Referral.id == referral_id)
    return await get_referral(ctx, principal, case_id, referral_id)


def _document(row: dict[str, Any], key: CaseKey) -> ReferralDocumentOut:
    return ReferralDocumentOut(
        id=row["id"],
        filename=key.open_text(f"filename:{row['id']}", row["filename_sealed"]),
        content_type=row["content_type"],
        size=int(row["size"]),
        sha256=row["sha256"],
        role=row["document_role"] or "other",
        custody_seq=int(row["custody_seq"]),
        answer_id=row["referral_answer_id"],
        shredded_at=row["shredded_at"],
    )


def _out(
    row: dict[str, Any],
    answers: list[dict[str, Any]],
    appeals: list[uuid.UUID],
    documents: list[dict[str, Any]],
    key: CaseKey,
) -> ReferralOut:
    state, late = deadlines.status(
        row["sent_at"],
        row["due_at"],
        answered=bool(answers),
        closed=row["closed_at"] is not None,
        on=deadlines.today(),
    )
    return ReferralOut(
        id=row["id"],
        kind=row["kind"],
        institution=InstitutionOut(
            id=row["institution"],
            name=row["institution.name"] or "",
            registry_number=row["institution.registry_number"],
        ),
        sent_at=row["sent_at"],
        due_at=row["due_at"],
        status=state,
        days_overdue=late,
        channel=row["channel"],
        made_by=row["made_by"],
        reference_number=row["reference_number"],
        appeal_of=row["appeal_of"],
        answers=[
            AnswerOut(
                id=a["id"],
                received_at=a["received_at"],
                outcome=a["outcome"],
                days_to_answer=(a["received_at"] - row["sent_at"]).days,
                in_time=a["received_at"] <= row["due_at"],
                text=key.open(f"referral-answer:{a['id']}", a["text_sealed"]),
            )
            for a in answers
        ],
        appeals=appeals,
        closed_at=row["closed_at"],
        closing_outcome=row["closing_outcome"],
        documents=[_document(d, key) for d in documents],
    )


async def list_referrals(ctx: ServiceContext, principal: Principal, case_id: uuid.UUID) -> list[ReferralOut]:
    """The case's referrals and appeals, in the order they were sent."""
    case = await team_row(principal, case_id)
    rows = (
        await Referral.select(
            *Referral.all_columns(),
            Referral.institution.name.as_alias("institution.name"),
            Referral.institution.registry_number.as_alias("institution.registry_number"),
        )
        .where(Referral.case == case_id)
        .order_by(Referral.sent_at)
        .order_by(Referral.created_at)
    )
    ids = [row["id"] for row in rows]
    answers: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if ids:
        for answer in (
            await ReferralAnswer.select()
            .where(ReferralAnswer.referral.is_in(ids))
            .order_by(ReferralAnswer.received_at)
        ):
            answers.setdefault(answer["referral"], []).append(answer)
    appeals: dict[uuid.UUID, list[uuid.UUID]] = {}
    for row in rows:
        if row["appeal_of"] is not None:
            appeals.setdefault(row["appeal_of"], []).append(row["id"])
    documents: dict[uuid.UUID, list[dict[str, Any]]] = {}
    if ids:
        for document in (
            await Attachment.select()
            .where((Attachment.case == case_id) & Attachment.referral_id.is_in(ids))
            .order_by(Attachment.uploaded_at)
        ):
            documents.setdefault(document["referral_id"], []).append(document)
    key = case_key(ctx, case)
    return [
        _out(row, answers.get(row["id"], []), appeals.get(row["id"], []), documents.get(row["id"], []), key)
        for row in rows
    ]


async def get_referral(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, referral_id: uuid.UUID
) -> ReferralOut:
    for referral in await list_referrals(ctx, principal, case_id):
        if referral.id == referral_id:
            return referral
    raise NotFound("the case has no such referral", code="referral_not_found")
