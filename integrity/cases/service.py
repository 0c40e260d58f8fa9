"""Rules of the cases domain: who sees which case, filing, editing drafts, evidence, submission.

Every private text of a case (title, narrative, location detail, filenames, protected actors' names,
reasons) is sealed with the case's own data key, wrapped by the key ring; the database holds no
readable copy. Every change is recorded in the custody log in the same transaction.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio

from integrity import db
from integrity.cases import workflow
from integrity.cases.filenames import safe_display_name
from integrity.cases.filetypes import SNIFF_BYTES, detect
from integrity.cases.schemas import (
    ActorIn,
    ActorOut,
    AttachmentOut,
    CaseIn,
    CaseOut,
    CasePage,
    CaseSummaryOut,
    CaseUpdate,
    CommentOut,
    ReceiptOut,
    SubmitterOut,
    TransitionOut,
)
from integrity.cases.tables import (
    Actor,
    ActorKind,
    Attachment,
    Case,
    CaseActor,
    CaseCategory,
    CaseReferenceCounter,
    CaseStatus,
    Comment,
    CommentKind,
    Conflict,
    IdempotentUpload,
    Transition,
)
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.custody.signing import canonical_json, rfc3339
from integrity.errors import Forbidden, Invalid, NotFound, TooLarge, WrongState
from integrity.faults import fault_point
from integrity.http.multipart import FormPart
from integrity.notifications import service as notifications
from integrity.notifications.tables import NotificationKind
from integrity.reference import category, fold, municipality
from integrity.security.guards import EDITOR, REVIEWER, Principal
from integrity.vault import SealedBlob, open_sealed, seal_bytes

log = logging.getLogger(__name__)

#: Transitions whose reason only the review team reads.
INTERNAL_REASONS = frozenset({"send_back"})
#: Roles that read and work on filed cases. Admins run the platform without reading evidence.
CASE_TEAM = frozenset({REVIEWER, EDITOR})

MAX_TITLE = 300
MAX_NARRATIVE = 100_000
MAX_LOCATION = 2_000
MAX_ACTORS = 50
MAX_ACTOR_NAME = 200
MAX_ALIASES = 10
EARLIEST_INCIDENT = datetime.date(1990, 1, 1)
FILE_FIELD = "file"


# --- sealing --------------------------------------------------------------------------------


class CaseKey:
    """A case's data key, opened from its row; seals and opens the case's private texts."""

    def __init__(self, case_id: uuid.UUID, data_key: bytes) -> None:
        self.case_id = case_id
        self._key = data_key

    def _context(self, field: str) -> bytes:
        return f"case:{self.case_id}:{field}".encode()

    def seal(self, field: str, text: str) -> bytes:
        return seal_bytes(self._key, self._context(field), text.encode("utf-8"))

    def open(self, field: str, sealed: bytes | None) -> str | None:
        if sealed is None:
            return None
        return open_sealed(self._key, self._context(field), bytes(sealed)).decode("utf-8")

    def open_text(self, field: str, sealed: bytes) -> str:
        return open_sealed(self._key, self._context(field), bytes(sealed)).decode("utf-8")


def case_key(ctx: ServiceContext, row: dict[str, Any]) -> CaseKey:
    return CaseKey(row["id"], ctx.vault.keyring.unwrap(bytes(row["wrapped_key"]), row["key_id"]))


# --- who sees what --------------------------------------------------------------------------


def can_read(principal: Principal, row: dict[str, Any]) -> bool:
    if row["submitter"] == principal.id:
        return True
    return principal.role in CASE_TEAM and row["status"] != CaseStatus.draft


async def load_case_row(principal: Principal, case_id: uuid.UUID) -> dict[str, Any]:
    """The case row if the caller may read it; an unknown and a forbidden case look the same."""
    row = await Case.select().where(Case.id == case_id).first()
    if row is None or not can_read(principal, row):
        raise NotFound("no such case")
    return row


def _require_submitter(principal: Principal, row: dict[str, Any], doing: str) -> None:
    if row["submitter"] != principal.id:
        # The review team may read the case, so it learns that only the submitter may do this.
        raise Forbidden(f"only the member who filed the case may {doing}")


def _require_draft(row: dict[str, Any]) -> None:
    if row["status"] != CaseStatus.draft:
        raise WrongState("the case has been submitted: filed material can no longer change")


# --- validation -----------------------------------------------------------------------------


def _clean_text(value: str, field: str, limit: int, *, required: bool = True) -> str:
    text = value.replace("\r\n", "\n").strip()
    if required and not text:
        raise Invalid(f"{field} must not be empty")
    if len(text) > limit:
        raise Invalid(f"{field} must have at most {limit} characters")
    if "\x00" in text:
        raise Invalid(f"{field} must not contain NUL characters")
    return text


def _check_date(value: datetime.date) -> None:
    if value > datetime.datetime.now(datetime.UTC).date():
        raise Invalid("incident_date must not be in the future")
    if value < EARLIEST_INCIDENT:
        raise Invalid("incident_date is too far in the past")


def _check_municipality(code: str) -> str:
    if municipality(code) is None:
        raise Invalid("municipality must be a code from GET /api/v1/municipalities")
    return code


def _check_categories(codes: list[str]) -> list[str]:
    if not codes:
        raise Invalid("choose at least one category")
    unique = list(dict.fromkeys(codes))
    for code in unique:
        if category(code) is None:
            raise Invalid("categories must be codes from GET /api/v1/categories")
    return unique


async def _check_actors(actors: list[ActorIn]) -> None:
    if len(actors) > MAX_ACTORS:
        raise Invalid(f"at most {MAX_ACTORS} actors per case")
    for index, actor in enumerate(actors):
        where = f"actors[{index}]"
        if actor.actor_id is not None:
            if actor.name is not None or actor.kind is not None or actor.aliases:
                raise Invalid(f"{where}: give either actor_id or name and kind, not both")
            shared = await Actor.exists().where((Actor.id == actor.actor_id) & Actor.owner_case.is_null())
            if not shared:
                raise Invalid(f"{where}: no such actor")
        else:
            if actor.name is None or actor.kind is None:
                raise Invalid(f"{where}: a new actor needs a name and a kind")
            _clean_text(actor.name, f"{where}.name", MAX_ACTOR_NAME)
            if len(actor.aliases) > MAX_ALIASES:
                raise Invalid(f"{where}: at most {MAX_ALIASES} aliases")
            for alias in actor.aliases:
                _clean_text(alias, f"{where}.aliases", MAX_ACTOR_NAME)


# --- creating and editing ---------------------------------------------------------------------


async def _next_reference(year: int) -> str:
    """`IN-<year>-<nnnn>` from a per-year counter bumped inside the caller's transaction."""
    rows = await CaseReferenceCounter.raw(
        "INSERT INTO case_reference_counter (year, last) VALUES ({}, 1) "
        "ON CONFLICT (year) DO UPDATE SET last = case_reference_counter.last + 1 RETURNING last",
        year,
    )
    return f"IN-{year}-{int(rows[0]['last']):04d}"


async def _link_actors(key: CaseKey, case_id: uuid.UUID, actors: list[ActorIn]) -> None:
    await CaseActor.delete().where(CaseActor.case == case_id)
    for actor in actors:
        if actor.actor_id is not None:
            actor_id = actor.actor_id
        elif actor.protect_identity:
            # A protected person's name exists only sealed, inside this case.
            assert actor.name is not None and actor.kind is not None
            actor_id = uuid.uuid4()
            aliases = [alias.strip() for alias in actor.aliases if alias.strip()]
            await Actor.insert(
                Actor(
                    id=actor_id,
                    kind=actor.kind.value,
                    name_sealed=key.seal(f"actor:{actor_id}:name", actor.name.strip()),
                    aliases_sealed=key.seal(f"actor:{actor_id}:aliases", json.dumps(aliases)),
                    owner_case=case_id,
                )
            )
        else:
            assert actor.name is not None and actor.kind is not None
            actor_id = await _shared_actor(actor.name.strip(), actor.kind, actor.aliases)
        await CaseActor.insert(
            CaseActor(
                case=case_id,
                actor=actor_id,
                role=actor.role.value,
                protect_identity=actor.protect_identity,
            )
        )
    # Private actors no longer linked to this case are removed with their sealed names.
    linked = CaseActor.select(CaseActor.actor).where(CaseActor.case == case_id)
    await Actor.delete().where((Actor.owner_case == case_id) & Actor.id.not_in(linked))


async def _shared_actor(name: str, kind: ActorKind, aliases: list[str]) -> uuid.UUID:
    """One shared actor per kind and folded name, so a person or institution can be followed."""
    folded = fold(name)
    for row in await Actor.select(Actor.id, Actor.name, Actor.aliases).where(
        (Actor.kind == kind.value) & Actor.owner_case.is_null()
    ):
        if row["name"] is not None and fold(row["name"]) == folded:
            known = json.loads(row["aliases"])
            merged = list(dict.fromkeys([*known, *(a.strip() for a in aliases if a.strip())]))
            if merged != known:
                await Actor.update({Actor.aliases: json.dumps(merged, ensure_ascii=False)}).where(
                    Actor.id == row["id"]
                )
            return row["id"]
    actor_id = uuid.uuid4()
    await Actor.insert(
        Actor(
            id=actor_id,
            kind=kind.value,
            name=name,
            aliases=json.dumps([a.strip() for a in aliases if a.strip()], ensure_ascii=False),
        )
    )
    return actor_id


async def create_case(ctx: ServiceContext, principal: Principal, data: CaseIn) -> CaseOut:
    title = _clean_text(data.title, "title", MAX_TITLE)
    narrative = _clean_text(data.narrative, "narrative", MAX_NARRATIVE)
    location = (
        _clean_text(data.location_detail, "location_detail", MAX_LOCATION, required=False)
        if data.location_detail
        else None
    )
    _check_date(data.incident_date)
    _check_municipality(data.municipality)
    categories = _check_categories(data.categories)
    await _check_actors(data.actors)

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
                submitter=principal.id,
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
        await _link_actors(key, case_id, data.actors)
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
    _require_submitter(principal, row, "edit it")
    key = case_key(ctx, row)
    changes: dict[Any, Any] = {}
    if data.title is not None:
        changes[Case.title_sealed] = key.seal("title", _clean_text(data.title, "title", MAX_TITLE))
    if data.narrative is not None:
        narrative = _clean_text(data.narrative, "narrative", MAX_NARRATIVE)
        changes[Case.narrative_sealed] = key.seal("narrative", narrative)
    if data.location_detail is not None:
        location = _clean_text(data.location_detail, "location_detail", MAX_LOCATION, required=False)
        changes[Case.location_sealed] = key.seal("location", location) if location else None
    if data.incident_date is not None:
        _check_date(data.incident_date)
        changes[Case.incident_date] = data.incident_date
    if data.incident_date_precision is not None:
        changes[Case.incident_date_precision] = data.incident_date_precision.value
    if data.municipality is not None:
        changes[Case.municipality] = _check_municipality(data.municipality)
    categories = _check_categories(data.categories) if data.categories is not None else None
    if data.actors is not None:
        await _check_actors(data.actors)

    async with db.transaction():
        await custody.lock_log()
        current = await Case.select(Case.status).where(Case.id == case_id).first()
        _require_draft(current)
        changes[Case.updated_at] = datetime.datetime.now(datetime.UTC)
        await Case.update(changes).where(Case.id == case_id)
        if categories is not None:
            await CaseCategory.delete().where(CaseCategory.case == case_id)
            for code in categories:
                await CaseCategory.insert(CaseCategory(case=case_id, code=code))
        if data.actors is not None:
            await _link_actors(key, case_id, data.actors)
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
    case_id: uuid.UUID, *, exclude: set[uuid.UUID], roles: frozenset[str] = CASE_TEAM
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


# --- reading --------------------------------------------------------------------------------


async def case_facts(case_id: uuid.UUID) -> workflow.CaseFacts:
    conflicted = await Conflict.select(Conflict.member).where(Conflict.case == case_id)
    return workflow.CaseFacts(conflicted=frozenset(row["member"] for row in conflicted))


async def get_case(ctx: ServiceContext, principal: Principal, case_id: uuid.UUID) -> CaseOut:
    row = await load_case_row(principal, case_id)
    key = case_key(ctx, row)
    return await _case_out(key, principal, row)


def in_team(principal: Principal) -> bool:
    return principal.role in CASE_TEAM


async def _comments_out(key: CaseKey, principal: Principal, row: dict[str, Any]) -> list[CommentOut]:
    team = in_team(principal) and row["submitter"] != principal.id
    query = Comment.select(
        Comment.id,
        Comment.kind,
        Comment.body_sealed,
        Comment.created_at,
        Comment.author,
        Comment.author.display_name,
    ).where(Comment.case == row["id"])
    if not team:
        # Internal notes are the review team's alone.
        query = query.where(Comment.kind != CommentKind.note.value)
    comments = []
    for c in await query.order_by(Comment.created_at):
        by_submitter = c["author"] == row["submitter"]
        comments.append(
            CommentOut(
                id=c["id"],
                kind=CommentKind(c["kind"]),
                body=key.open_text(f"comment:{c['id']}", c["body_sealed"]),
                created_at=c["created_at"],
                by_me=c["author"] == principal.id,
                from_submitter=by_submitter,
                author_name=c["author.display_name"] if team or by_submitter else None,
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
    actors = await case_actors(key, case_id)
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
        )
        for a in await Attachment.select().where(Attachment.case == case_id).order_by(Attachment.uploaded_at)
    ]
    team = in_team(principal) and row["submitter"] != principal.id
    transitions = [
        TransitionOut(
            from_status=CaseStatus(t["from_status"]),
            to_status=CaseStatus(t["to_status"]),
            action=t["action"],
            at=t["at"],
            by_me=t["actor"] == principal.id,
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
        .where(Member.id == row["submitter"])
        .first()
    )
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
        comments=await _comments_out(key, principal, row),
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


async def case_actors(key: CaseKey, case_id: uuid.UUID) -> list[ActorOut]:
    """The case's actors with their names and aliases opened: sealed under the case key for actors
    private to the case, in clear for shared ones."""
    links = (
        await CaseActor.select(
            CaseActor.actor,
            CaseActor.role,
            CaseActor.protect_identity,
            CaseActor.actor.kind,
            CaseActor.actor.name,
            CaseActor.actor.aliases,
            CaseActor.actor.name_sealed,
            CaseActor.actor.aliases_sealed,
        )
        .where(CaseActor.case == case_id)
        .order_by(CaseActor.id)
    )
    actors = []
    for link in links:
        actor_id = link["actor"]
        if link["actor.name_sealed"] is not None:
            name = key.open_text(f"actor:{actor_id}:name", link["actor.name_sealed"])
            aliases = json.loads(key.open_text(f"actor:{actor_id}:aliases", link["actor.aliases_sealed"]))
        else:
            name = link["actor.name"]
            aliases = json.loads(link["actor.aliases"])
        actors.append(
            ActorOut(
                actor_id=actor_id,
                name=name,
                kind=ActorKind(link["actor.kind"]),
                role=link["role"],
                protect_identity=link["protect_identity"],
                aliases=aliases,
            )
        )
    return actors


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
) -> CasePage:
    """A member's own cases; for the review team, every case past its draft."""
    if principal.role in CASE_TEAM:
        where = Case.status != CaseStatus.draft.value
    else:
        where = Case.submitter == principal.id
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
    rows = await Case.select().where(where).order_by(Case.created_at, ascending=False)

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
            created_at=row["created_at"],
            submitted_at=row["submitted_at"],
            assigned_reviewer_id=row["assigned_reviewer"],
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


# --- evidence -------------------------------------------------------------------------------


async def _read_head(chunks: AsyncIterator[bytes]) -> bytes:
    """At least `SNIFF_BYTES` from the start of a file (less only if the file is shorter)."""
    head = bytearray()
    async for chunk in chunks:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    return bytes(head)


@dataclass
class _Stored:
    blob: SealedBlob
    content_type: str
    display_name: str


def _idempotency_hash(principal: Principal, case_id: uuid.UUID, idempotency_key: str) -> str:
    if not 1 <= len(idempotency_key) <= 200 or not idempotency_key.isprintable():
        raise Invalid("Idempotency-Key must be 1 to 200 printable characters")
    return hashlib.sha256(f"{principal.id}\x00{case_id}\x00{idempotency_key}".encode()).hexdigest()


def _files_digest(files: list[tuple[str, str]]) -> str:
    """One hash over what was sent: each file's name and content hash, in order."""
    digest = hashlib.sha256()
    for filename, sha256 in files:
        digest.update(
            hashlib.sha256(filename.encode("utf-8", "surrogatepass")).digest() + bytes.fromhex(sha256)
        )
    return digest.hexdigest()


async def add_attachments(
    ctx: ServiceContext,
    principal: Principal,
    case_id: uuid.UUID,
    parts: AsyncIterator[FormPart],
    *,
    idempotency_key: str | None = None,
) -> list[AttachmentOut]:
    """Stream every `file` part into the vault, then record them all in one transaction.

    All or nothing: if any file is refused or the request breaks, the blobs already stored for it
    are deleted and no row is written. With an `idempotency_key`, a retry of a completed upload
    with the same files stores nothing and gets the same answer; other files under the same key
    are refused (422).
    """
    row = await load_case_row(principal, case_id)
    _require_submitter(principal, row, "add evidence")
    key_hash = _idempotency_hash(principal, case_id, idempotency_key) if idempotency_key else None
    if key_hash is not None:
        earlier = await IdempotentUpload.select().where(IdempotentUpload.key_hash == key_hash).first()
        if earlier is not None:
            return await _replay(ctx, principal, case_id, earlier, parts)
    if not workflow.accepts_evidence(row):
        raise WrongState(
            "evidence can be added to a draft, or as part of an answer to a request for information"
        )
    key = case_key(ctx, row)
    stored: list[_Stored] = []
    sent: list[tuple[str, str]] = []
    try:
        async for part in parts:
            # A form's empty file input arrives with an empty filename: nothing was chosen.
            if part.name != FILE_FIELD or not part.filename:
                await part.skip()
                continue
            chunks = part.chunks()
            head = await _read_head(chunks)
            detected = detect(head)
            blob = await ctx.vault.put(_rest(head, chunks), original=True)
            if blob.size > ctx.settings.max_upload_bytes:
                # The multipart limit already stops a stream past the limit; this guards a
                # misconfigured parser from ever recording a larger file.
                raise TooLarge("the file is larger than the platform accepts")
            stored.append(
                _Stored(
                    blob=blob,
                    content_type=detected.mime,
                    display_name=safe_display_name(part.filename, extension=detected.extension),
                )
            )
            sent.append((part.filename, blob.sha256))
        if not stored:
            raise Invalid("send one or more files in multipart/form-data parts named 'file'")
        idempotency = (key_hash, _files_digest(sent)) if key_hash is not None else None
        fault_point("upload.stored")
        results = await _record_attachments(ctx, principal, case_id, key, stored, idempotency)
        fault_point("upload.committed")
        return results
    except BaseException:
        with anyio.CancelScope(shield=True):
            for item in stored:
                with contextlib.suppress(Exception):
                    await ctx.vault.delete(item.blob)
        raise


async def _replay(
    ctx: ServiceContext,
    principal: Principal,
    case_id: uuid.UUID,
    earlier: dict[str, Any],
    parts: AsyncIterator[FormPart],
) -> list[AttachmentOut]:
    """A retry of a completed upload: hash what was sent (storing nothing) and compare."""
    sent: list[tuple[str, str]] = []
    async for part in parts:
        if part.name != FILE_FIELD or not part.filename:
            await part.skip()
            continue
        digest = hashlib.sha256()
        async for chunk in part.chunks():
            digest.update(chunk)
        sent.append((part.filename, digest.hexdigest()))
    if _files_digest(sent) != earlier["files_digest"]:
        raise Invalid("this Idempotency-Key was used for other files; use a new key for a new upload")
    ids = [uuid.UUID(value) for value in json.loads(earlier["attachment_ids"])]
    shown = {a.id: a for a in (await get_case(ctx, principal, case_id)).attachments}
    return [shown[attachment_id] for attachment_id in ids if attachment_id in shown]


async def _rest(head: bytes, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if head:
        yield head
    async for chunk in chunks:
        yield chunk


async def _record_attachments(
    ctx: ServiceContext,
    principal: Principal,
    case_id: uuid.UUID,
    key: CaseKey,
    stored: list[_Stored],
    idempotency: tuple[str, str] | None = None,
) -> list[AttachmentOut]:
    results = []
    async with db.transaction():
        await custody.lock_log()
        if idempotency is not None and await IdempotentUpload.exists().where(
            IdempotentUpload.key_hash == idempotency[0]
        ):
            # A concurrent request with the same key got here first; this one stores nothing.
            raise WrongState("an upload with this Idempotency-Key has just been recorded: retry it")
        current = await Case.select(Case.status, Case.submitter).where(Case.id == case_id).first()
        if current is None or not workflow.accepts_evidence(current):
            raise WrongState("the case no longer accepts evidence")
        for item in stored:
            attachment_id = uuid.uuid4()
            entry = await custody.append_entry(
                ctx.signer,
                actor_id=str(principal.id),
                action="attachment.uploaded",
                subject=f"attachment:{attachment_id}",
                details={
                    "sha256": item.blob.sha256,
                    "size": item.blob.size,
                    "content_type": item.content_type,
                },
            )
            now = datetime.datetime.now(datetime.UTC)
            await Attachment.insert(
                Attachment(
                    id=attachment_id,
                    case=case_id,
                    blob_id=item.blob.blob_id,
                    wrapped_key=item.blob.wrapped_key,
                    key_id=item.blob.key_id,
                    size=item.blob.size,
                    sha256=item.blob.sha256,
                    content_type=item.content_type,
                    filename_sealed=key.seal(f"filename:{attachment_id}", item.display_name),
                    uploader=principal.id,
                    uploaded_at=now,
                    custody_seq=entry.seq,
                )
            )
            results.append(
                AttachmentOut(
                    id=attachment_id,
                    filename=item.display_name,
                    content_type=item.content_type,
                    size=item.blob.size,
                    sha256=item.blob.sha256,
                    uploaded_at=now,
                    custody_seq=entry.seq,
                    frozen=False,
                )
            )
        await Case.update({Case.updated_at: datetime.datetime.now(datetime.UTC)}).where(Case.id == case_id)
        if idempotency is not None:
            await IdempotentUpload.insert(
                IdempotentUpload(
                    key_hash=idempotency[0],
                    files_digest=idempotency[1],
                    attachment_ids=json.dumps([str(item.id) for item in results]),
                )
            )
    return results


@dataclass(frozen=True)
class Download:
    attachment_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    blob: SealedBlob


async def prepare_download(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, attachment_id: uuid.UUID, *, ranged: bool
) -> Download:
    """Check access, record the download in the custody log, and say what to stream."""
    row = await load_case_row(principal, case_id)
    attachment = (
        await Attachment.select()
        .where((Attachment.id == attachment_id) & (Attachment.case == case_id))
        .first()
    )
    if attachment is None:
        raise NotFound("no such file")
    key = case_key(ctx, row)
    await custody.record(
        ctx.signer,
        actor_id=str(principal.id),
        action="attachment.downloaded",
        subject=f"attachment:{attachment_id}",
        details={"sha256": attachment["sha256"], "range": ranged},
    )
    return Download(
        attachment_id=attachment_id,
        filename=key.open_text(f"filename:{attachment_id}", attachment["filename_sealed"]),
        content_type=attachment["content_type"],
        size=int(attachment["size"]),
        sha256=attachment["sha256"],
        blob=SealedBlob(
            blob_id=attachment["blob_id"],
            wrapped_key=bytes(attachment["wrapped_key"]),
            key_id=attachment["key_id"],
            size=int(attachment["size"]),
            sha256=attachment["sha256"],
        ),
    )


async def delete_attachment(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, attachment_id: uuid.UUID
) -> None:
    """Remove a file from a draft: its data key goes with the row (the blob is shredded even where
    copies survive), then the object itself is removed."""
    row = await load_case_row(principal, case_id)
    _require_submitter(principal, row, "remove evidence")
    async with db.transaction():
        await custody.lock_log()
        attachment = (
            await Attachment.select()
            .where((Attachment.id == attachment_id) & (Attachment.case == case_id))
            .first()
        )
        if attachment is None:
            raise NotFound("no such file")
        current = await Case.select(Case.status).where(Case.id == case_id).first()
        if attachment["frozen"] or not workflow.accepts_evidence(current):
            raise WrongState("filed evidence can no longer be removed")
        await Attachment.delete().where(Attachment.id == attachment_id)
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="attachment.deleted",
            subject=f"attachment:{attachment_id}",
            details={"sha256": attachment["sha256"], "size": int(attachment["size"])},
        )
    try:
        await ctx.vault.delete(attachment["blob_id"])
    except Exception as exc:  # noqa: BLE001 - the key is gone; reconcile removes the object later
        log.warning("shredded attachment's object not removed yet: %s", type(exc).__name__)


# --- submission -----------------------------------------------------------------------------


async def submit_case(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID
) -> tuple[CaseOut, ReceiptOut]:
    row = await load_case_row(principal, case_id)
    _require_submitter(principal, row, "submit it")
    async with db.transaction():
        await custody.lock_log()
        current = await Case.select().where(Case.id == case_id).first()
        workflow.check(principal, current, await case_facts(case_id), "submit")
        files = [
            {"sha256": a["sha256"], "size": int(a["size"])}
            for a in await Attachment.select(Attachment.sha256, Attachment.size)
            .where(Attachment.case == case_id)
            .order_by(Attachment.uploaded_at)
        ]
        now = datetime.datetime.now(datetime.UTC)
        submitted_at = rfc3339(now)
        entry = await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="case.submitted",
            subject=f"case:{case_id}",
            details={"reference": current["reference"], "files": files},
        )
        payload = canonical_json(
            {
                "reference": current["reference"],
                "case_id": str(case_id),
                "submitted_at": submitted_at,
                "files": files,
                "custody_seq": entry.seq,
            }
        ).decode("utf-8")
        signature = ctx.signer.sign(payload.encode("utf-8"))
        await Case.update(
            {
                Case.status: CaseStatus.submitted.value,
                Case.submitted_at: now,
                Case.updated_at: now,
                Case.receipt_payload: payload,
                Case.receipt_signature: signature,
                Case.receipt_key_id: ctx.signer.key_id,
            }
        ).where(Case.id == case_id)
        await Attachment.update({Attachment.frozen: True}).where(Attachment.case == case_id)
        await notifications.notify(
            await review_team_for(case_id, exclude={principal.id}),
            NotificationKind.new_submission,
            case_id=case_id,
            reference=current["reference"],
        )
        await Transition.insert(
            Transition(
                case=case_id,
                from_status=CaseStatus.draft.value,
                to_status=CaseStatus.submitted.value,
                action="submit",
                actor=principal.id,
                at=now,
                custody_seq=entry.seq,
            )
        )
    await custody.register_key(ctx.signer)
    await notifications.send_emails(
        ctx.settings,
        await review_team_for(case_id, exclude={principal.id}),
        NotificationKind.new_submission,
        reference=current["reference"],
    )
    receipt = ReceiptOut(payload=payload, signature=signature, key_id=ctx.signer.key_id)
    return await get_case(ctx, principal, case_id), receipt


async def get_receipt(principal: Principal, case_id: uuid.UUID) -> ReceiptOut:
    row = await load_case_row(principal, case_id)
    _require_submitter(principal, row, "fetch its receipt")
    if row["receipt_payload"] is None:
        raise WrongState("the case has not been submitted yet")
    return ReceiptOut(
        payload=row["receipt_payload"],
        signature=row["receipt_signature"],
        key_id=row["receipt_key_id"],
    )
