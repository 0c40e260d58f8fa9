"""Retention and shredding: a case is kept exactly as long as it should be, then destroyed.

Retention classes are by status (``Settings.retention``: days after a case was withdrawn or
rejected, never published; and days after a published case's latest revision for its originals).
Each day the queue's job shreds the cases whose class ran out, unless a legal hold holds them
(``holds``). A published case is never shredded whole: its publication stands. When its class runs
out, its originals are (``shred_originals``): their keys destroyed and objects removed, and every
copy never published with them, while the published copies, revisions and custody log remain.

Shredding a case destroys every wrapped data key of it (the case's own key, which sealed its
texts, and each file's and copy's, all in the rows deleted with it) and removes its objects from
the store; what remains is a tombstone row and the custody entry ``case.shredded``, and the custody
log itself, which never held content. A copy of the bucket taken before holds only ciphertext whose
keys are gone; a copy of the database taken before still holds the wrapped keys, which
`integrity keys rotate --retire-previous` makes useless (README).
"""

from __future__ import annotations

import datetime
import logging
import uuid
from dataclasses import dataclass

from integrity import db
from integrity.cases.blobs import is_shredded, stored_blob
from integrity.cases.sealing import case_key
from integrity.cases.tables import (
    Actor,
    Attachment,
    Case,
    CaseActor,
    CaseStatus,
    IdempotentUpload,
    Transition,
)
from integrity.cases.validation import clean_text
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import IntegrityError, NotFound, WrongState
from integrity.notifications import service as notifications
from integrity.notifications.tables import Notification, NotificationKind
from integrity.preservation.access import ask_others, editor_row
from integrity.preservation.holds import MAX_REASON, is_held, refuse_if_held
from integrity.preservation.tables import LegalHold, ShreddedCase, ShredRequest
from integrity.publication.search import as_utc
from integrity.publication.tables import (
    CopyRequest,
    PublicCase,
    PublishedActor,
    PublishedFile,
    PublishedReferral,
    PublishedRevision,
    Rendition,
)
from integrity.referrals.tables import Referral, Reply
from integrity.security.guards import Principal
from integrity.vault import SealedBlob

log = logging.getLogger(__name__)

#: The statuses a case is shredded from: it was closed without being published.
SHREDDABLE = (CaseStatus.withdrawn.value, CaseStatus.rejected.value)
#: The class of a published (or retracted) case's originals, counted from its latest revision.
PUBLISHED = "published"
#: Days a request to shred early waits for its confirmation before it lapses.
REQUEST_DAYS = 14


@dataclass(frozen=True)
class Due:
    case_id: uuid.UUID
    status: str
    #: When the case entered its status.
    since: datetime.datetime


async def due_cases(ctx: ServiceContext, on: datetime.datetime) -> list[Due]:
    """The cases whose retention class ran out by ``on`` and that no hold holds."""
    due = []
    for status, days in ctx.settings.retention.items():
        if status not in SHREDDABLE or not days:
            continue
        for case in await Case.select(Case.id).where(Case.status == status):
            entered = (
                await Transition.select(Transition.at)
                .where((Transition.case == case["id"]) & (Transition.to_status == status))
                .order_by(Transition.at, ascending=False)
                .first()
            )
            if entered is None:
                continue
            since = as_utc(entered["at"])
            if since + datetime.timedelta(days=days) <= on and not await is_held(case["id"]):
                due.append(Due(case_id=case["id"], status=status, since=since))
    return due


async def due_originals(ctx: ServiceContext, on: datetime.datetime) -> list[Due]:
    """The published (or retracted) cases whose originals' retention ran out by ``on``: their
    latest revision is older than the ``published`` class, an original of theirs is still stored,
    and no hold holds them."""
    days = ctx.settings.retention.get(PUBLISHED, 0)
    if not days:
        return []
    due = []
    for public in await PublicCase.select(PublicCase.id, PublicCase.case):
        latest = (
            await PublishedRevision.select(PublishedRevision.published_at)
            .where(PublishedRevision.public_case == public["id"])
            .order_by(PublishedRevision.published_at, ascending=False)
            .first()
        )
        if latest is None:
            continue
        since = as_utc(latest["published_at"])
        if since + datetime.timedelta(days=days) > on or await is_held(public["case"]):
            continue
        stored = (Attachment.case == public["case"]) & Attachment.shredded_at.is_null()
        if await Attachment.exists().where(stored):
            due.append(Due(case_id=public["case"], status=PUBLISHED, since=since))
    return due


async def shred_due(ctx: ServiceContext, on: datetime.datetime | None = None) -> int:
    """The daily job: shred every case (or published case's originals) whose retention ran out;
    how many cases."""
    moment = on or datetime.datetime.now(datetime.UTC)
    shredded = 0
    for due in await due_cases(ctx, moment):
        try:
            await shred_case(ctx, due.case_id, reason=f"retention:{due.status}")
        except IntegrityError as exc:
            # Held, changed or shredded since it was found: left for another day; one case never
            # stops the others.
            log.warning("retention: a case was not shredded today (%s): case=%s", exc.code, due.case_id)
            continue
        shredded += 1
    for due in await due_originals(ctx, moment):
        try:
            await shred_originals(ctx, due.case_id, reason=f"retention:{PUBLISHED}")
        except IntegrityError as exc:
            log.warning("retention: originals not shredded today (%s): case=%s", exc.code, due.case_id)
            continue
        shredded += 1
    if shredded:
        log.info("retention: %d case(s) shredded, or their originals", shredded)
    return shredded


async def shred_originals(
    ctx: ServiceContext, case_id: uuid.UUID, *, reason: str, actor_id: str | None = None
) -> int:
    """Shred the originals of a published case, keeping what was published: each original's
    wrapped key is destroyed (its row stays, marked, for the copies made of it and the record of
    what was filed), and so is every copy the public does not get: never published (a working
    redaction may show more than the public got), or withdrawn since; then their objects are
    removed. The published copies, revisions and custody log stay as they are. Refused (409) for a case
    never published, or held. How many originals were shredded."""
    case = await Case.select(Case.id, Case.reference, Case.status).where(Case.id == case_id).first()
    if case is None:
        raise NotFound("no such case", code="case_not_found")
    if not await PublicCase.exists().where(PublicCase.case == case_id):
        raise WrongState(
            "only a published case's originals are shredded apart from it", code="case_not_published"
        )
    await refuse_if_held(case_id, "shredded")
    async with db.transaction():
        # Read under the log's lock: a copy made, published or withdrawn meanwhile is seen as it is.
        await custody.lock_log()
        await refuse_if_held(case_id, "shredded")
        originals = await Attachment.select().where(
            (Attachment.case == case_id) & Attachment.shredded_at.is_null()
        )
        if not originals:
            return 0
        ids = [row["id"] for row in originals]
        shown = await PublishedFile.select(PublishedFile.rendition, PublishedFile.withdrawn_at).where(
            PublishedFile.rendition.attachment.is_in(ids)
        )
        # A copy the public still gets stays; one only withdrawn ones name (a takedown for safety
        # or privacy, a retraction) loses its key and object, its row kept for what names it.
        kept = {row["rendition"] for row in shown if row["withdrawn_at"] is None}
        withdrawn = {row["rendition"] for row in shown} - kept
        copies = [
            row
            for row in await Rendition.select().where(Rendition.attachment.is_in(ids))
            if row["id"] not in kept and not is_shredded(row)
        ]
        working = [row for row in copies if row["id"] not in withdrawn]
        blobs = [stored_blob(row) for row in [*copies, *originals]]
        await custody.append_entry(
            ctx.signer,
            actor_id=actor_id,
            action="case.originals_shredded",
            subject=f"case:{case_id}",
            details={
                "reference": case["reference"],
                "status": case["status"],
                "reason": reason,
                "files": len(originals),
                "copies": len(copies),
                "kept": len(kept),
            },
        )
        await CopyRequest.delete().where(CopyRequest.attachment.is_in(ids))
        if working:
            await Rendition.delete().where(Rendition.id.is_in([row["id"] for row in working]))
        if len(copies) > len(working):
            await Rendition.update({Rendition.wrapped_key: b""}).where(
                Rendition.id.is_in([row["id"] for row in copies if row["id"] in withdrawn])
            )
        await Attachment.update(
            {Attachment.wrapped_key: b"", Attachment.shredded_at: datetime.datetime.now(datetime.UTC)}
        ).where(Attachment.id.is_in(ids))
        for attachment_id in ids:
            await IdempotentUpload.delete().where(IdempotentUpload.attachment_ids.like(f"%{attachment_id}%"))
    await _remove(ctx, blobs)
    return len(originals)


async def _remove(ctx: ServiceContext, blobs: list[SealedBlob]) -> None:
    """The keys are gone with the rows; the ciphertext goes too."""
    for blob in blobs:
        try:
            await ctx.vault.delete(blob)
        except Exception:  # noqa: BLE001 - without its key the object is noise; reconcile removes it
            log.warning("shredding: an object was not removed (reconcile removes it): blob=%s", blob.blob_id)


async def shred_case(
    ctx: ServiceContext,
    case_id: uuid.UUID,
    *,
    reason: str,
    actor_id: str | None = None,
    any_status: bool = False,
) -> uuid.UUID:
    """Destroy the case: its rows (and with them every wrapped key) in one transaction, with the
    tombstone and the custody entry; then its objects. Refused (409) for a case that is not closed
    (unless ``any_status``: a member's erasure takes their open cases too), was published, or is
    held. Returns the tombstone's id."""
    case = await Case.select(Case.id, Case.reference, Case.status).where(Case.id == case_id).first()
    if case is None:
        raise NotFound("no such case", code="case_not_found")
    await _shreddable(case_id, case["status"], any_status=any_status)
    attachments = await Attachment.select().where(Attachment.case == case_id)
    ids = [row["id"] for row in attachments] or [uuid.uuid4()]
    renditions = await Rendition.select().where(Rendition.attachment.is_in(ids))
    blobs = [stored_blob(row) for row in [*renditions, *attachments] if not is_shredded(row)]
    tombstone = uuid.uuid4()
    async with db.transaction():
        await custody.lock_log()
        current = await Case.select(Case.status).where(Case.id == case_id).first()
        if current is None or current["status"] != case["status"]:
            raise WrongState("the case changed while it was being shredded", code="case_changed")
        await refuse_if_held(case_id, "shredded")
        entry = await custody.append_entry(
            ctx.signer,
            actor_id=actor_id,
            action="case.shredded",
            subject=f"case:{case_id}",
            details={
                "reference": case["reference"],
                "status": case["status"],
                "reason": reason,
                "files": len(attachments),
                "copies": len(renditions),
            },
        )
        await ShreddedCase.insert(
            ShreddedCase(
                id=tombstone,
                case_id=case_id,
                reference=case["reference"],
                status=case["status"],
                reason=reason,
                custody_seq=entry.seq,
            )
        )
        # Children whose foreign keys restrict first; the case's own delete cascades the rest
        # (its categories, actors, transitions, comments, drafts, exports).
        await Rendition.delete().where(Rendition.attachment.is_in(ids))
        await Attachment.delete().where(Attachment.case == case_id)
        # A retried upload's record names the files (ids, and a digest of their names and hashes).
        for attachment_id in ids:
            await IdempotentUpload.delete().where(IdempotentUpload.attachment_ids.like(f"%{attachment_id}%"))
        named = await _named_in(case_id)
        await Reply.delete().where(Reply.case == case_id)
        await Referral.delete().where(Referral.case == case_id)
        await CaseActor.delete().where(CaseActor.case == case_id)
        await LegalHold.delete().where(LegalHold.case == case_id)
        await Notification.delete().where(Notification.case_id == case_id)
        await Case.delete().where(Case.id == case_id)
        await _forget_unused(named)
    await _remove(ctx, blobs)
    return tombstone


async def _named_in(case_id: uuid.UUID) -> set[uuid.UUID]:
    """The shared records of people and institutions the case names (its actors, the
    institutions it was referred to, those asked for a reply)."""
    actors = await CaseActor.select(CaseActor.actor).where(CaseActor.case == case_id)
    referred = await Referral.select(Referral.institution).where(Referral.case == case_id)
    asked = await Reply.select(Reply.actor).where(Reply.case == case_id)
    return {row["actor"] for row in [*actors, *asked]} | {row["institution"] for row in referred}


async def _forget_unused(actor_ids: set[uuid.UUID]) -> None:
    """Delete the shared records of a shredded case's people and institutions that nothing else
    names: no other case, referral, reply or publication. A name in the clear that only a
    destroyed case gave would say whom it accused."""
    for actor_id in actor_ids:
        if (
            await CaseActor.exists().where(CaseActor.actor == actor_id)
            or await Referral.exists().where(Referral.institution == actor_id)
            or await Reply.exists().where(Reply.actor == actor_id)
            or await PublishedActor.exists().where(PublishedActor.actor_id == actor_id)
            or await PublishedReferral.exists().where(PublishedReferral.institution == actor_id)
        ):
            continue
        await Actor.delete().where((Actor.id == actor_id) & Actor.owner_case.is_null())


@dataclass(frozen=True)
class ShredStep:
    id: uuid.UUID
    #: ``pending`` (waiting for a second editor) or ``shredded``.
    status: str
    #: ``case`` (a closed case, whole) or ``originals`` (a published case's originals).
    scope: str = "case"


async def shred_scope(case_id: uuid.UUID, status: str) -> str | None:
    """What shredding the case before its time would destroy: ``case`` for a withdrawn or
    rejected case never published, ``originals`` for a published one with an original still
    stored, None for anything else."""
    if await PublicCase.exists().where(PublicCase.case == case_id):
        stored = (Attachment.case == case_id) & Attachment.shredded_at.is_null()
        return "originals" if await Attachment.exists().where(stored) else None
    return "case" if status in SHREDDABLE else None


async def _early_scope(case_id: uuid.UUID, status: str) -> str:
    scope = await shred_scope(case_id, status)
    if scope is None:
        if await PublicCase.exists().where(PublicCase.case == case_id):
            raise WrongState("the published case's originals are shredded already", code="originals_shredded")
        raise WrongState("only a withdrawn or rejected case is shredded", code="case_not_closed")
    await refuse_if_held(case_id, "shredded")
    return scope


async def _shreddable(case_id: uuid.UUID, status: str, *, any_status: bool = False) -> None:
    if not any_status and status not in SHREDDABLE:
        raise WrongState("only a withdrawn or rejected case is shredded", code="case_not_closed")
    if await PublicCase.exists().where(PublicCase.case == case_id):
        raise WrongState("a published case is not shredded: its publication stands", code="case_published")
    await refuse_if_held(case_id, "shredded")


async def request_shredding(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, reason: str
) -> ShredStep:
    """An editor asks to shred a closed case before its retention runs out (or a published
    case's originals before theirs)."""
    case = await editor_row(principal, case_id)
    scope = await _early_scope(case_id, case["status"])
    text = clean_text(reason, "reason", MAX_REASON)
    request_id = uuid.uuid4()
    async with db.transaction():
        await custody.lock_log()
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="case.shred_requested",
            subject=f"case:{case_id}",
            details={"request": str(request_id), "scope": scope},
        )
        await ShredRequest.insert(
            ShredRequest(
                id=request_id,
                case=case_id,
                reason_sealed=case_key(ctx, case).seal(f"shred:{request_id}", text),
                requested_by=principal.id,
                scope=scope,
                case_status=case["status"],
            )
        )
        mails = await ask_others(ctx, principal.id, NotificationKind.hold_confirmation_needed, case=case)
    await notifications.queue_emails(ctx.jobs, mails)
    return ShredStep(id=request_id, status="pending", scope=scope)


async def confirm_shredding(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, request_id: uuid.UUID
) -> ShredStep:
    """Another editor confirms: the case (or the published case's originals) is shredded now."""
    case = await editor_row(principal, case_id)
    row = (
        await ShredRequest.select()
        .where((ShredRequest.id == request_id) & (ShredRequest.case == case_id))
        .first()
    )
    if row is None:
        raise NotFound("the case has no such request", code="shred_request_not_found")
    if row["requested_by"] == principal.id:
        raise WrongState("another editor confirms the shredding: you asked for it", code="four_eyes_shred")
    scope = await _early_scope(case_id, case["status"])
    deadline = as_utc(row["created_at"]) + datetime.timedelta(days=REQUEST_DAYS)
    lapsed = deadline < datetime.datetime.now(datetime.UTC)
    if lapsed or (row["scope"], row["case_status"]) != (scope, case["status"]):
        # What was asked for is not what would happen now (the case moved on, or it was asked
        # for long ago): the request lapses, and someone asks again if it is still wanted.
        await ShredRequest.delete().where(ShredRequest.id == request_id)
        raise WrongState(
            "the request to shred is out of date: the case changed, or it was asked for too long ago",
            code="shred_request_stale",
        )
    if scope == "originals":
        await shred_originals(ctx, case_id, reason="request", actor_id=str(principal.id))
        # The case stays: the request is done, and its sealed reason goes with it.
        await ShredRequest.delete().where(ShredRequest.case == case_id)
        return ShredStep(id=request_id, status="shredded", scope="originals")
    tombstone = await shred_case(ctx, case_id, reason="request", actor_id=str(principal.id))
    return ShredStep(id=tombstone, status="shredded")


@dataclass(frozen=True)
class ShredRequestItem:
    id: uuid.UUID
    reason: str
    created_at: datetime.datetime
    asked_by_me: bool


async def shred_requests(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID
) -> list[ShredRequestItem]:
    """The requests to shred the case early, for the editors' page."""
    case = await editor_row(principal, case_id)
    key = case_key(ctx, case)
    rows = await ShredRequest.select().where(ShredRequest.case == case_id).order_by(ShredRequest.created_at)
    return [
        ShredRequestItem(
            id=row["id"],
            reason=key.open_text(f"shred:{row['id']}", bytes(row["reason_sealed"])),
            created_at=row["created_at"],
            asked_by_me=row["requested_by"] == principal.id,
        )
        for row in rows
    ]
