"""Rules of the cases domain: filing a case, editing a draft, and reading cases as each viewer may.

Every private text of a case (title, narrative, location detail, filenames, protected actors' names,
reasons) is sealed with the case's own data key (`integrity.cases.sealing`); the database holds no
readable copy. Every change is recorded in the custody log in the same transaction."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping
from typing import Any

from piccolo.custom_types import Combinable

from integrity import db
from integrity.cases import workflow
from integrity.cases.access import load_case_row, require_draft, require_submitter
from integrity.cases.actors import case_actors, check_actors, link_actors
from integrity.cases.filers import filed_by, sealed_filer, submitter_id
from integrity.cases.schemas import (
    AttachmentOut,
    CaseIn,
    CaseOut,
    CasePage,
    CaseSort,
    CaseSummaryOut,
    CaseUpdate,
    CommentOut,
    SubmitterOut,
    TransitionOut,
)
from integrity.cases.sealing import CaseKey, case_key
from integrity.cases.tables import (
    Attachment,
    Case,
    CaseCategory,
    CaseReferenceCounter,
    CaseStatus,
    Comment,
    CommentKind,
    Conflict,
    Transition,
)
from integrity.cases.validation import check_categories, check_date, check_municipality, clean_text
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import NotFound
from integrity.reference import fold
from integrity.security.guards import Principal
from integrity.security.roles import REVIEW_TEAM

#: Transitions whose reason only the review team reads.
INTERNAL_REASONS = frozenset({"send_back"})


MAX_TITLE = 300


MAX_NARRATIVE = 100_000


MAX_LOCATION = 2_000


async def _next_reference(year: int) -> str:
    """`PR-<year>-<nnnn>` from a per-year counter bumped inside the caller's transaction. (Public
    references, `IN-...`, are numbered apart, in the order of publication: `publication.revisions`.)"""
    rows = await CaseReferenceCounter.raw(
        "INSERT INTO case_reference_counter (year, last) VALUES ({}, 1) "
        "ON CONFLICT (year) DO UPDATE SET last = case_reference_counter.last + 1 RETURNING last",
        year,
    )
    return f"PR-{year}-{int(rows[0]['last']):04d}"


async def create_case(ctx: ServiceContext, principal: Principal, data: CaseIn) -> CaseOut:
    title = clean_text(data.title, "title", MAX_TITLE)
    narrative = clean_text(data.narrative, "narrative", MAX_NARRATIVE)
    location = (
        clean_text(data.location_detail, "location_detail", MAX_LOCATION, required=False)
        if data.location_detail
        else None
    )
    check_date(data.incident_date)
    check_municipality(data.municipality)
    categories = check_categories(data.categories)
    await check_actors(data.actors)

    case_id = uuid.uuid4()
    data_key, wrapped, key_id = ctx.vault.keyring.new_data_key()
    key = CaseKey(case_id, data_key)
    async with db.transaction():
        await custody.lock_log()
        reference = await _next_reference(datetime.datetime.now(datetime.UTC).year)
        await Case.insert(
            Case(
                id=case_id,
                reference=reference,
                status=CaseStatus.draft.value,
                submitter_tag=principal.filer_tag,
                submitter_sealed=sealed_filer(key, principal.id),
                wrapped_key=wrapped,
                key_id=key_id,
                title_sealed=key.seal("title", title),
                narrative_sealed=key.seal("narrative", narrative),
                location_sealed=key.seal("location", location) if location else None,
                incident_date=data.incident_date,
                incident_date_precision=data.incident_date_precision.value,
                municipality=data.municipality,
            )
        )
        for code in categories:
            await CaseCategory.insert(CaseCategory(case=case_id, code=code))
        await link_actors(key, case_id, data.actors)
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="case.created",
            subject=f"case:{case_id}",
            details={"reference": reference},
        )
    return await get_case(ctx, principal, case_id)


async def update_case(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, data: CaseUpdate
) -> CaseOut:
    row = await load_case_row(principal, case_id)
    require_submitter(principal, row, "edit it")
    key = case_key(ctx, row)
    changes: dict[Any, Any] = {}
    if data.title is not None:
        changes[Case.title_sealed] = key.seal("title", clean_text(data.title, "title", MAX_TITLE))
    if data.narrative is not None:
        narrative = clean_text(data.narrative, "narrative", MAX_NARRATIVE)
        changes[Case.narrative_sealed] = key.seal("narrative", narrative)
    if data.location_detail is not None:
        location = clean_text(data.location_detail, "location_detail", MAX_LOCATION, required=False)
        changes[Case.location_sealed] = key.seal("location", location) if location else None
    if data.incident_date is not None:
        check_date(data.incident_date)
        changes[Case.incident_date] = data.incident_date
    if data.incident_date_precision is not None:
        changes[Case.incident_date_precision] = data.incident_date_precision.value
    if data.municipality is not None:
        changes[Case.municipality] = check_municipality(data.municipality)
    categories = check_categories(data.categories) if data.categories is not None else None
    if data.actors is not None:
        await check_actors(data.actors)

    async with db.transaction():
        await custody.lock_log()
        current = await Case.select(Case.status).where(Case.id == case_id).first()
        if current is None:
            raise NotFound("no such case")
        require_draft(current)
        changes[Case.updated_at] = datetime.datetime.now(datetime.UTC)
        await Case.update(changes).where(Case.id == case_id)
        if categories is not None:
            await CaseCategory.delete().where(CaseCategory.case == case_id)
            for code in categories:
                await CaseCategory.insert(CaseCategory(case=case_id, code=code))
        if data.actors is not None:
            await link_actors(key, case_id, data.actors)
        fields = sorted(name for name, value in msgspec_fields(data) if value is not None)
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="case.edited",
            subject=f"case:{case_id}",
            details={"fields": fields},
        )
    return await get_case(ctx, principal, case_id)


async def review_team_for(
    case_id: uuid.UUID, *, exclude: set[uuid.UUID], roles: frozenset[str] = REVIEW_TEAM
) -> list[uuid.UUID]:
    """Active members of `roles` who may work on the case (not conflicted, not in `exclude`)."""
    from integrity.accounts.tables import Member

    conflicted = (await case_facts(case_id)).conflicted
    rows = await Member.select(Member.id).where(
        Member.role.is_in(list(roles)) & (Member.is_active == True)  # noqa: E712
    )
    return [row["id"] for row in rows if row["id"] not in exclude and row["id"] not in conflicted]


def msgspec_fields(data: CaseUpdate) -> list[tuple[str, Any]]:
    return [(name, getattr(data, name)) for name in data.__struct_fields__]


async def case_facts(case_id: uuid.UUID) -> workflow.CaseFacts:
    conflicted = await Conflict.select(Conflict.member).where(Conflict.case == case_id)
    return workflow.CaseFacts(conflicted=frozenset(row["member"] for row in conflicted))


async def get_case(ctx: ServiceContext, principal: Principal, case_id: uuid.UUID) -> CaseOut:
    row = await load_case_row(principal, case_id)
    key = case_key(ctx, row)
    return await _case_out(key, principal, row)


def in_team(principal: Principal) -> bool:
    return principal.role in REVIEW_TEAM


async def _comments_out(
    key: CaseKey, principal: Principal, row: dict[str, Any], submitter_name: str
) -> list[CommentOut]:
    mine = filed_by(principal, row)
    team = in_team(principal) and not mine
    query = Comment.select(
        Comment.id,
        Comment.kind,
        Comment.body_sealed,
        Comment.created_at,
        Comment.author,
        Comment.author.display_name,
        Comment.by_submitter,
    ).where(Comment.case == row["id"])
    if not team:
        # Internal notes are the review team's alone.
        query = query.where(Comment.kind != CommentKind.note.value)
    comments = []
    for c in await query.order_by(Comment.created_at):
        by_submitter = c["by_submitter"]
        author_name = submitter_name if by_submitter else c["author.display_name"]
        comments.append(
            CommentOut(
                id=c["id"],
                kind=CommentKind(c["kind"]),
                body=key.open_text(f"comment:{c['id']}", c["body_sealed"]),
                created_at=c["created_at"],
                by_me=(mine and by_submitter) or (c["author"] is not None and c["author"] == principal.id),
                from_submitter=by_submitter,
                author_name=author_name if team or by_submitter else None,
            )
        )
    return comments


async def _case_out(key: CaseKey, principal: Principal, row: dict[str, Any]) -> CaseOut:
    from integrity.accounts.tables import Member

    case_id = row["id"]
    categories = [
        r["code"]
        for r in await CaseCategory.select(CaseCategory.code)
        .where(CaseCategory.case == case_id)
        .order_by(CaseCategory.id)
    ]
    mine = filed_by(principal, row)
    team = in_team(principal) and not mine
    actors = await case_actors(key, case_id, team=team)
    attachments = [
        AttachmentOut(
            id=a["id"],
            filename=key.open_text("filename:" + str(a["id"]), a["filename_sealed"]),
            content_type=a["content_type"],
            size=int(a["size"]),
            sha256=a["sha256"],
            uploaded_at=a["uploaded_at"],
            custody_seq=int(a["custody_seq"]),
            frozen=a["frozen"],
            carries=json.loads(key.open_text(f"carried:{a['id']}", a["carried_sealed"]))
            if a["carried_sealed"] is not None
            else [],
            referral_id=a["referral_id"],
            referral_answer_id=a["referral_answer_id"],
            document_role=a["document_role"],
            shredded_at=a["shredded_at"],
        )
        for a in await Attachment.select().where(Attachment.case == case_id).order_by(Attachment.uploaded_at)
        # The review team's documents of referrals are theirs: the member sees what they filed.
        if team or a["referral_id"] is None
    ]
    transitions = [
        TransitionOut(
            from_status=CaseStatus(t["from_status"]),
            to_status=CaseStatus(t["to_status"]),
            action=t["action"],
            at=t["at"],
            by_me=(mine and t["by_submitter"]) or (t["actor"] is not None and t["actor"] == principal.id),
            # Sending a case back is between editor and reviewer: its reason is an internal note.
            reason=key.open("reason:" + str(t["id"]), t["reason_sealed"])
            if team or t["action"] not in INTERNAL_REASONS
            else None,
        )
        for t in await Transition.select().where(Transition.case == case_id).order_by(Transition.id)
    ]
    facts = await case_facts(case_id)
    submitter = (
        await Member.select(Member.id, Member.display_name, Member.profession)
        .where(Member.id == submitter_id(key, row))
        .first()
    )
    if submitter is None:  # members are deactivated, never deleted
        raise RuntimeError(f"the submitter of case {case_id} is missing")
    return CaseOut(
        id=case_id,
        reference=row["reference"],
        status=CaseStatus(row["status"]),
        title=key.open_text("title", row["title_sealed"]),
        narrative=key.open_text("narrative", row["narrative_sealed"]),
        location_detail=key.open("location", row["location_sealed"]),
        incident_date=row["incident_date"],
        incident_date_precision=row["incident_date_precision"],
        municipality=row["municipality"],
        categories=categories,
        actors=actors,
        attachments=attachments,
        transitions=transitions,
        actions=workflow.allowed_actions(principal, row, facts),
        comments=await _comments_out(key, principal, row, submitter["display_name"]),
        conflict_declared=principal.id in facts.conflicted,
        verified_by_id=row["verified_by"] if team else None,
        submitter=SubmitterOut(
            id=submitter["id"],
            display_name=submitter["display_name"],
            profession=submitter["profession"],
        ),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        submitted_at=row["submitted_at"],
        assigned_reviewer_id=row["assigned_reviewer"],
    )


async def list_cases(
    ctx: ServiceContext,
    principal: Principal,
    *,
    status: CaseStatus | None = None,
    municipality_code: str | None = None,
    category_code: str | None = None,
    assigned_to_me: bool = False,
    q: str | None = None,
    page: int = 1,
    page_size: int = 20,
    sort: CaseSort = CaseSort.newest,
    only: Mapping[uuid.UUID, str] | None = None,
) -> CasePage:
    """A member's own cases; for the review team, every case past its draft. ``only`` keeps the
    cases it names, each with what is waiting on it (``review.queue.waiting_for``)."""
    where: Combinable
    if principal.role in REVIEW_TEAM:
        # Not the cases they have a conflict of interest on: those are out of their sight.
        where = (Case.status != CaseStatus.draft.value) & Case.id.not_in(
            Conflict.select(Conflict.case).where(Conflict.member == principal.id)
        )
    else:
        where = Case.submitter_tag == principal.filer_tag
    if status is not None:
        where &= Case.status == status.value
    if municipality_code:
        where &= Case.municipality == municipality_code
    if category_code:
        where &= Case.id.is_in(
            CaseCategory.select(CaseCategory.case).where(CaseCategory.code == category_code)
        )
    if assigned_to_me:
        where &= Case.assigned_reviewer == principal.id
    if only is not None:
        where &= Case.id.is_in(list(only) or [uuid.uuid4()])
    order = {
        CaseSort.newest: (Case.created_at, False),
        CaseSort.oldest: (Case.created_at, True),
        CaseSort.changed: (Case.updated_at, False),
        CaseSort.waiting: (Case.updated_at, True),
    }[sort]
    rows = await Case.select().where(where).order_by(order[0], ascending=order[1]).order_by(Case.id)

    summaries = []
    needle = fold(q) if q and q.strip() else None
    for row in rows:
        key = case_key(ctx, row)
        title = key.open_text("title", row["title_sealed"])
        if needle is not None:
            # Sealed texts can only be searched once opened, here in the service.
            narrative = key.open_text("narrative", row["narrative_sealed"])
            if (
                needle not in fold(title)
                and needle not in fold(narrative)
                and needle not in fold(row["reference"])
            ):
                continue
        summaries.append((row, title))
    total = len(summaries)
    chosen = summaries[(page - 1) * page_size : page * page_size]
    categories = await _categories_of([row["id"] for row, _ in chosen])
    items = [
        CaseSummaryOut(
            id=row["id"],
            reference=row["reference"],
            status=CaseStatus(row["status"]),
            title=title,
            municipality=row["municipality"],
            categories=categories.get(row["id"], []),
            incident_date=row["incident_date"],
            incident_date_precision=row["incident_date_precision"],
            created_at=row["created_at"],
            submitted_at=row["submitted_at"],
            assigned_reviewer_id=row["assigned_reviewer"],
            updated_at=row["updated_at"],
            waiting=only.get(row["id"]) if only is not None else None,
        )
        for row, title in chosen
    ]
    return CasePage(items=items, total=total, page=page, page_size=page_size)


async def _categories_of(case_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    result: dict[uuid.UUID, list[str]] = {}
    if not case_ids:
        return result
    for row in (
        await CaseCategory.select(CaseCategory.case, CaseCategory.code)
        .where(CaseCategory.case.is_in(case_ids))
        .order_by(CaseCategory.id)
    ):
        result.setdefault(row["case"], []).append(row["code"])
    return result
