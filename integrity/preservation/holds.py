"""Legal holds: while a case may go to court, nothing of it may be deleted, shredded or expire.

Two editors each time: one asks for a hold, another confirms it; one asks for its release, another
confirms that. While it holds (``active``, and ``releasing`` until the release is confirmed), every
stored object of the case (its files and the copies made of them) carries the store's object-lock
legal hold where the bucket has object lock: the app's own credentials cannot remove those
versions. Whatever would delete, shred or expire something of the case asks ``refuse_if_held``
first. The nightly job puts the store's hold on files added to a held case since (``reapply``).
Every step is a custody entry; the reason is sealed with the case's key.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from integrity import db
from integrity.cases import evidence
from integrity.cases.blobs import is_shredded, stored_blob
from integrity.cases.sealing import case_key
from integrity.cases.tables import Attachment
from integrity.cases.validation import clean_text
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import NotFound, WrongState
from integrity.notifications import service as notifications
from integrity.notifications.tables import NotificationKind
from integrity.preservation.access import ask_others, editor_row
from integrity.preservation.tables import HOLDING, HoldStatus, LegalHold
from integrity.publication.tables import Rendition
from integrity.security.guards import Principal
from integrity.vault import SealedBlob

MAX_REASON = 2000


@dataclass(frozen=True)
class Hold:
    id: uuid.UUID
    status: str
    reason: str
    created_at: datetime.datetime
    active_at: datetime.datetime | None
    released_at: datetime.datetime | None
    #: Whether this viewer took the step now waiting for a second editor.
    waiting_on_me: bool
    #: How many of the case's stored objects the store itself holds (None: not asked).
    store_held: int | None = None


async def is_held(case_id: uuid.UUID) -> bool:
    return bool(
        await LegalHold.exists().where((LegalHold.case == case_id) & LegalHold.status.is_in(list(HOLDING)))
    )


async def refuse_if_held(case_id: uuid.UUID, what: str = "deleted") -> None:
    """WrongState (409) while a hold holds the case."""
    if await is_held(case_id):
        raise WrongState(f"the case is under legal hold: nothing of it may be {what}", code="legal_hold")


# A member's file not yet filed (an answer being prepared) is not deleted from a held case either.
evidence.check_before_deletion(refuse_if_held)


async def _blobs(case_id: uuid.UUID) -> list[SealedBlob]:
    """Every stored object of the case: its files and the copies made of them."""
    attachments = await Attachment.select().where(Attachment.case == case_id)
    ids = [row["id"] for row in attachments] or [uuid.uuid4()]
    renditions = await Rendition.select().where(Rendition.attachment.is_in(ids))
    return [stored_blob(row) for row in [*attachments, *renditions] if not is_shredded(row)]


async def _store_hold(ctx: ServiceContext, case_id: uuid.UUID, on: bool) -> int:
    """Put the store's legal hold on every object of the case, or lift it; how many it holds."""
    held = 0
    for blob in await _blobs(case_id):
        if await ctx.vault.set_legal_hold(blob, on):
            held += 1
    return held


async def request_hold(ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, reason: str) -> Hold:
    case = await editor_row(principal, case_id)
    text = clean_text(reason, "reason", MAX_REASON)
    hold_id = uuid.uuid4()
    async with db.transaction():
        await custody.lock_log()
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="hold.requested",
            subject=f"case:{case_id}",
            details={"hold": str(hold_id)},
        )
        await LegalHold.insert(
            LegalHold(
                id=hold_id,
                case=case_id,
                reason_sealed=case_key(ctx, case).seal(f"hold:{hold_id}", text),
                requested_by=principal.id,
            )
        )
        mails = await ask_others(ctx, principal.id, NotificationKind.hold_confirmation_needed, case=case)
    await notifications.queue_emails(ctx.jobs, mails)
    return await _listed(ctx, principal, case, hold_id)


async def _row(case_id: uuid.UUID, hold_id: uuid.UUID) -> dict[str, Any]:
    row = await LegalHold.select().where((LegalHold.id == hold_id) & (LegalHold.case == case_id)).first()
    if row is None:
        raise NotFound("the case has no such hold", code="hold_not_found")
    return row


async def confirm(ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, hold_id: uuid.UUID) -> Hold:
    """The second editor: a hold asked for becomes active; a release asked for lifts it."""
    case = await editor_row(principal, case_id)
    row = await _row(case_id, hold_id)
    now = datetime.datetime.now(datetime.UTC)
    if row["status"] == HoldStatus.pending:
        if row["requested_by"] == principal.id:
            raise WrongState("another editor confirms the hold: you asked for it", code="four_eyes_hold")
        values: dict[Any, Any] = {
            LegalHold.status: HoldStatus.active.value,
            LegalHold.confirmed_by: principal.id,
            LegalHold.active_at: now,
        }
        action = "hold.placed"
    elif row["status"] == HoldStatus.releasing:
        if row["release_requested_by"] == principal.id:
            raise WrongState("another editor confirms the release: you asked for it", code="four_eyes_hold")
        values = {
            LegalHold.status: HoldStatus.released.value,
            LegalHold.released_by: principal.id,
            LegalHold.released_at: now,
        }
        action = "hold.released"
    else:
        raise WrongState("nothing of this hold waits for a confirmation", code="hold_not_waiting")
    async with db.transaction():
        await custody.lock_log()
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action=action,
            subject=f"case:{case_id}",
            details={"hold": str(hold_id)},
        )
        await LegalHold.update(values).where(LegalHold.id == hold_id)
    # The store follows the database: held while any hold holds the case.
    store_held = await _store_hold(ctx, case_id, await is_held(case_id))
    listed = await _listed(ctx, principal, case, hold_id)
    return Hold(**{**listed.__dict__, "store_held": store_held})


async def release(ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, hold_id: uuid.UUID) -> Hold:
    """One editor asks to lift an active hold; it holds until another confirms."""
    case = await editor_row(principal, case_id)
    row = await _row(case_id, hold_id)
    if row["status"] != HoldStatus.active:
        raise WrongState("only an active hold can be released", code="hold_not_active")
    async with db.transaction():
        await custody.lock_log()
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="hold.release_requested",
            subject=f"case:{case_id}",
            details={"hold": str(hold_id)},
        )
        await LegalHold.update(
            {LegalHold.status: HoldStatus.releasing.value, LegalHold.release_requested_by: principal.id}
        ).where(LegalHold.id == hold_id)
        mails = await ask_others(ctx, principal.id, NotificationKind.hold_confirmation_needed, case=case)
    await notifications.queue_emails(ctx.jobs, mails)
    return await _listed(ctx, principal, case, hold_id)


async def list_holds(ctx: ServiceContext, principal: Principal, case_id: uuid.UUID) -> list[Hold]:
    case = await editor_row(principal, case_id)
    return await _all(ctx, principal, case)


async def _all(ctx: ServiceContext, principal: Principal, case: dict[str, Any]) -> list[Hold]:
    key = case_key(ctx, case)
    rows = await LegalHold.select().where(LegalHold.case == case["id"]).order_by(LegalHold.created_at)
    return [
        Hold(
            id=row["id"],
            status=row["status"],
            reason=key.open_text(f"hold:{row['id']}", bytes(row["reason_sealed"])),
            created_at=row["created_at"],
            active_at=row["active_at"],
            released_at=row["released_at"],
            waiting_on_me=(row["status"] == HoldStatus.pending and row["requested_by"] == principal.id)
            or (row["status"] == HoldStatus.releasing and row["release_requested_by"] == principal.id),
        )
        for row in rows
    ]


async def _listed(
    ctx: ServiceContext, principal: Principal, case: dict[str, Any], hold_id: uuid.UUID
) -> Hold:
    return next(hold for hold in await _all(ctx, principal, case) if hold.id == hold_id)


async def reapply(ctx: ServiceContext) -> int:
    """The store's hold on every object of every held case (files added since included)."""
    cases = {
        row["case"]
        for row in await LegalHold.select(LegalHold.case).where(LegalHold.status.is_in(list(HOLDING)))
    }
    return sum([await _store_hold(ctx, case_id, True) for case_id in cases])
