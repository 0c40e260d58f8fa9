"""Creating, listing and mailing notifications. Messages name a case by its reference only."""

from __future__ import annotations

import asyncio
import datetime
import logging
import smtplib
import ssl
import uuid
from collections.abc import Awaitable, Callable, Iterable
from email.message import EmailMessage

import msgspec
from piccolo.custom_types import Combinable

from integrity.accounts.tables import Member
from integrity.errors import NotFound
from integrity.jobs.queue import SEND_EMAIL, JobQueue
from integrity.notifications.tables import EmailState, Notification, NotificationKind
from integrity.security.guards import Principal
from integrity.settings import Settings

log = logging.getLogger(__name__)

SUBJECTS = {
    NotificationKind.new_submission: "New submission to triage: {reference}",
    NotificationKind.info_requested: "The review team asks for more information: {reference}",
    NotificationKind.info_provided: "The submitter answered: {reference}",
    NotificationKind.ready_to_approve: "Verified and ready for approval: {reference}",
    NotificationKind.assigned: "A case was assigned to you: {reference}",
    NotificationKind.approval_voided: (
        "The draft changed after you approved it; it needs approving again: {reference}"
    ),
    NotificationKind.proposal_voided: (
        "The draft changed after you proposed the correction; propose it again: {reference}"
    ),
    NotificationKind.referral_due_soon: "An institution's answer to a referral is due soon: {reference}",
    NotificationKind.referral_overdue: "An institution's answer to a referral is overdue: {reference}",
    NotificationKind.fixity_failed: (
        "Stored files failed the fixity check, starting with those of {reference}: run integrity vault verify"
    ),
    NotificationKind.hold_confirmation_needed: (
        "A legal hold or a shredding of {reference} waits for a second editor"
    ),
    NotificationKind.export_approval_needed: "An export of {reference} waits for a second editor's approval",
    NotificationKind.erasure_requested: "A member asked to be forgotten: two admins confirm it",
}


class NotificationOut(msgspec.Struct):
    id: uuid.UUID
    kind: NotificationKind
    case_id: uuid.UUID
    reference: str
    message: str
    created_at: datetime.datetime
    read: bool


class NotificationPage(msgspec.Struct):
    items: list[NotificationOut]
    unread: int


async def notify(
    member_ids: Iterable[uuid.UUID],
    kind: NotificationKind,
    *,
    case_id: uuid.UUID,
    reference: str,
    email: bool,
) -> list[uuid.UUID]:
    """Add a notification for each member (inside the caller's transaction), marked to be mailed
    when ``email`` (SMTP is configured); returns the notifications' ids, for ``queue_emails`` once
    the transaction is committed."""
    ids = []
    for member_id in dict.fromkeys(member_ids):
        notification_id = uuid.uuid4()
        await Notification.insert(
            Notification(
                id=notification_id,
                member=member_id,
                kind=kind.value,
                case_id=case_id,
                reference=reference,
                email_state=EmailState.pending if email else None,
            )
        )
        ids.append(notification_id)
    return ids


async def notify_submitter(
    member_tag: str,
    member_sealed: bytes,
    kind: NotificationKind,
    *,
    case_id: uuid.UUID,
    reference: str,
    email: bool,
) -> uuid.UUID:
    """A notification for the member who filed the case, addressed as the case names them (their
    keyed tag, and their id sealed with the case's key for the e-mail): like the case, the row does
    not say who filed it (``integrity.cases.filers``)."""
    notification_id = uuid.uuid4()
    await Notification.insert(
        Notification(
            id=notification_id,
            member=None,
            member_tag=member_tag,
            member_sealed=member_sealed,
            kind=kind.value,
            case_id=case_id,
            reference=reference,
            email_state=EmailState.pending if email else None,
        )
    )
    return notification_id


def _for(principal: Principal) -> Combinable:
    return (Notification.member == principal.id) | (Notification.member_tag == principal.filer_tag)


async def queue_emails(jobs: JobQueue | None, notification_ids: Iterable[uuid.UUID]) -> None:
    """Queue the e-mails of committed notifications (those not to be mailed are skipped by the
    job itself). Without a queue here, the sweep of the next worker finds them."""
    if jobs is None:
        return
    for notification_id in notification_ids:
        await jobs.defer(SEND_EMAIL, lock=f"mail:{notification_id}", notification_id=str(notification_id))


async def pending_email_ids() -> list[uuid.UUID]:
    rows = (
        await Notification.select(Notification.id)
        .where(Notification.email_state == EmailState.pending)
        .order_by(Notification.created_at)
    )
    return [row["id"] for row in rows]


async def list_notifications(principal: Principal, *, unread_only: bool = False) -> NotificationPage:
    where: Combinable = _for(principal)
    if unread_only:
        where &= Notification.read_at.is_null()
    rows = (
        await Notification.select().where(where).order_by(Notification.created_at, ascending=False).limit(200)
    )
    unread = await Notification.count().where(_for(principal) & Notification.read_at.is_null())
    return NotificationPage(
        items=[
            NotificationOut(
                id=row["id"],
                kind=NotificationKind(row["kind"]),
                case_id=row["case_id"],
                reference=row["reference"],
                message=SUBJECTS[NotificationKind(row["kind"])].format(reference=row["reference"]),
                created_at=row["created_at"],
                read=row["read_at"] is not None,
            )
            for row in rows
        ],
        unread=int(unread),
    )


async def unread_count(principal: Principal) -> int:
    """How many of the caller's notifications are unread (shown on every page)."""
    return int(await Notification.count().where(_for(principal) & Notification.read_at.is_null()))


async def mark_all_read(principal: Principal) -> int:
    """Mark every unread notification of the caller read; returns how many."""
    marked = await (
        Notification.update({Notification.read_at: datetime.datetime.now(datetime.UTC)})
        .where(_for(principal) & Notification.read_at.is_null())
        .returning(Notification.id)
    )
    return len(marked)


async def mark_read(principal: Principal, notification_id: uuid.UUID) -> None:
    row = (
        await Notification.select(Notification.id)
        .where((Notification.id == notification_id) & _for(principal))
        .first()
    )
    if row is None:
        raise NotFound("no such notification", code="notification_not_found")
    await Notification.update({Notification.read_at: datetime.datetime.now(datetime.UTC)}).where(
        Notification.id == notification_id
    )


class EmailNotSent(Exception):
    """The mail server could not take the message now; the queue tries again later."""


#: Opens a notification's sealed recipient: (case id, sealed member id) -> the member's id.
OpenRecipient = Callable[[uuid.UUID, bytes], Awaitable[uuid.UUID | None]]


async def send_email(
    settings: Settings, notification_id: uuid.UUID, *, final_attempt: bool, open_recipient: OpenRecipient
) -> None:
    """Mail one notification if it is still to be mailed. The mail says what needs doing and the
    reference, nothing else. A failure raises ``EmailNotSent`` (the queue retries) unless this was
    the last attempt, which marks it ``failed``. ``open_recipient`` opens the recipient of one
    addressed to a case's submitter."""
    row = (
        await Notification.select(
            Notification.id,
            Notification.kind,
            Notification.reference,
            Notification.case_id,
            Notification.member,
            Notification.member_sealed,
        )
        .where((Notification.id == notification_id) & (Notification.email_state == EmailState.pending))
        .first()
    )
    if row is None:
        return
    member_id = row["member"]
    if member_id is None and row["member_sealed"] is not None:
        member_id = await open_recipient(row["case_id"], bytes(row["member_sealed"]))
    member = (
        await Member.select(Member.email, Member.is_active).where(Member.id == member_id).first()
        if member_id is not None
        else None
    )
    smtp = settings.smtp
    if smtp is None or member is None or not member["is_active"]:
        await _mark(notification_id, EmailState.failed)
        return
    subject = SUBJECTS[NotificationKind(row["kind"])].format(reference=row["reference"])
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = member["email"]
    message["Subject"] = subject
    message.set_content(f"{subject}\n\nLog in to the Integrity Network to see it: {settings.base_url}/app/\n")
    try:
        await asyncio.to_thread(_deliver, settings, message)
    except (OSError, smtplib.SMTPException) as exc:
        await _mark(notification_id, EmailState.failed if final_attempt else EmailState.pending)
        if final_attempt:
            log.warning("notification e-mail not sent, giving up: %s", type(exc).__name__)
            return
        log.warning("notification e-mail not sent, will try again: %s", type(exc).__name__)
        raise EmailNotSent(type(exc).__name__) from None
    await _mark(notification_id, EmailState.sent)


async def _mark(notification_id: uuid.UUID, state: EmailState) -> None:
    await Notification.update(
        {Notification.email_state: state, Notification.email_attempts: Notification.email_attempts + 1}
    ).where(Notification.id == notification_id)


def _deliver(settings: Settings, message: EmailMessage) -> None:
    smtp = settings.smtp
    assert smtp is not None
    with smtplib.SMTP(smtp.host, smtp.port, timeout=15) as client:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password)
        client.send_message(message)
