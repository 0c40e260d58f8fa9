"""Creating, listing and mailing notifications. Messages name a case by its reference only."""

from __future__ import annotations

import asyncio
import datetime
import logging
import smtplib
import ssl
import uuid
from collections.abc import Iterable
from email.message import EmailMessage

import msgspec
from piccolo.custom_types import Combinable

from integrity.accounts.tables import Member
from integrity.errors import NotFound
from integrity.notifications.tables import Notification, NotificationKind
from integrity.security.guards import Principal
from integrity.settings import Settings

log = logging.getLogger(__name__)

SUBJECTS = {
    NotificationKind.new_submission: "New submission to triage: {reference}",
    NotificationKind.info_requested: "The review team asks for more information: {reference}",
    NotificationKind.info_provided: "The submitter answered: {reference}",
    NotificationKind.ready_to_approve: "Verified and ready for approval: {reference}",
    NotificationKind.assigned: "A case was assigned to you: {reference}",
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
    member_ids: Iterable[uuid.UUID], kind: NotificationKind, *, case_id: uuid.UUID, reference: str
) -> list[uuid.UUID]:
    """Add a notification for each member (inside the caller's transaction); returns who got one."""
    recipients = list(dict.fromkeys(member_ids))
    for member_id in recipients:
        await Notification.insert(
            Notification(member=member_id, kind=kind.value, case_id=case_id, reference=reference)
        )
    return recipients


async def list_notifications(principal: Principal, *, unread_only: bool = False) -> NotificationPage:
    where: Combinable = Notification.member == principal.id
    if unread_only:
        where &= Notification.read_at.is_null()
    rows = (
        await Notification.select().where(where).order_by(Notification.created_at, ascending=False).limit(200)
    )
    unread = await Notification.count().where(
        (Notification.member == principal.id) & Notification.read_at.is_null()
    )
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


async def mark_read(principal: Principal, notification_id: uuid.UUID) -> None:
    row = (
        await Notification.select(Notification.id)
        .where((Notification.id == notification_id) & (Notification.member == principal.id))
        .first()
    )
    if row is None:
        raise NotFound("no such notification", code="notification_not_found")
    await Notification.update({Notification.read_at: datetime.datetime.now(datetime.UTC)}).where(
        Notification.id == notification_id
    )


async def send_emails(
    settings: Settings, member_ids: Iterable[uuid.UUID], kind: NotificationKind, *, reference: str
) -> None:
    """Mail the members (after the change is committed) when SMTP is configured; failures are logged
    and never undo the change. The mail says what needs doing and the reference, nothing else."""
    smtp = settings.smtp
    if smtp is None:
        return
    ids = list(member_ids)
    if not ids:
        return
    rows = await Member.select(Member.email).where(Member.id.is_in(ids) & (Member.is_active == True))  # noqa: E712
    subject = SUBJECTS[kind].format(reference=reference)
    link = f"{settings.base_url}/app/"
    body = f"{subject}\n\nLog in to the Integrity Network to see it: {link}\n"
    messages = []
    for row in rows:
        message = EmailMessage()
        message["From"] = smtp.sender
        message["To"] = row["email"]
        message["Subject"] = subject
        message.set_content(body)
        messages.append(message)
    try:
        await asyncio.to_thread(_deliver, settings, messages)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("notification e-mail not sent: %s", type(exc).__name__)


def _deliver(settings: Settings, messages: list[EmailMessage]) -> None:
    smtp = settings.smtp
    assert smtp is not None
    with smtplib.SMTP(smtp.host, smtp.port, timeout=15) as client:
        if smtp.starttls:
            client.starttls(context=ssl.create_default_context())
        if smtp.username:
            client.login(smtp.username, smtp.password)
        for message in messages:
            client.send_message(message)
