"""Notification e-mail through a real SMTP server on loopback: it names the reference, nothing else;
it is sent by the job queue, tried again while the server is down, and not lost with the process."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from litestar.testing import AsyncTestClient

from integrity.app import create_app
from integrity.notifications import service as notifications
from integrity.notifications.tables import Notification, NotificationKind
from integrity.settings import Settings, SmtpSettings
from tests.cases.test_intake import file_case
from tests.factories import AccountFactory
from tests.s3server import free_port


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def _nobody(case_id: uuid.UUID, sealed: bytes) -> uuid.UUID | None:
    raise AssertionError("this notification is for a team member, named in clear")


def mailing_settings(settings: Settings, port: int) -> Settings:
    return settings.with_overrides(
        smtp=SmtpSettings(
            host="127.0.0.1", port=port, starttls=False, sender="Integrity <no-reply@example.org>"
        )
    )


async def arrived(inbox: Inbox, count: int = 1, *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while len(inbox.messages) < count:
        assert time.monotonic() < deadline, f"{len(inbox.messages)} of {count} e-mails arrived"
        await asyncio.sleep(0.1)


async def email_states() -> list[tuple[str | None, int]]:
    rows = await Notification.select(Notification.email_state, Notification.email_attempts)
    return [(row["email_state"], row["email_attempts"]) for row in rows]


async def test_a_submission_mails_the_review_team_its_reference_only(
    settings: Settings, engine: Any, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    mailing = mailing_settings(settings, port)
    app = create_app(mailing, engine=engine)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        accounts = AccountFactory(app=app, client=client, settings=mailing)
        reviewer = await accounts.as_role("reviewer")
        member = await accounts.as_role("member")
        case = await file_case(member, title="Naslov koji ne sme u mejl", narrative="Ni priča.")
        response = await member.post(f"/api/v1/cases/{case['id']}/submit")
        assert response.status_code == 200
        # Sent by the queue's worker, after the submission was answered.
        await arrived(inbox)
    assert await email_states() == [("sent", 1)]
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == reviewer.member.email
    assert case["reference"] in message["Subject"]
    text = message.as_string()
    assert "Naslov koji ne sme" not in text and "Ni priča" not in text
    assert member.member.email not in text


async def test_a_request_for_information_mails_the_member_who_filed_the_case(
    settings: Settings, engine: Any, smtp_server: tuple[Inbox, int]
) -> None:
    """The notification names its member only as the case does (a keyed tag, the id sealed with
    the case's key): the worker opens it to find the address."""
    from tests.review.test_service import act

    inbox, port = smtp_server
    mailing = mailing_settings(settings, port)
    app = create_app(mailing, engine=engine)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        accounts = AccountFactory(app=app, client=client, settings=mailing)
        reviewer = await accounts.as_role("reviewer")
        member = await accounts.as_role("member")
        case = await file_case(member)
        assert (await member.post(f"/api/v1/cases/{case['id']}/submit")).status_code == 200
        await arrived(inbox)  # the review team's "new submission"
        assert (await act(reviewer, case["id"], "start_review")).status_code == 200
        asked = await reviewer.post(
            f"/api/v1/cases/{case['id']}/comments", json={"kind": "request", "body": "Pošaljite ugovor."}
        )
        assert asked.status_code == 201, asked.text
        await arrived(inbox, 2)
    row = await Notification.select().where(Notification.kind == "info_requested").first()
    assert row["member"] is None and row["member_tag"] and row["member_sealed"]
    message = inbox.messages[1]
    assert message["To"] == member.member.email
    assert case["reference"] in message["Subject"]
    assert "Pošaljite ugovor" not in message.as_string()
    assert await email_states() == [("sent", 1), ("sent", 1)]


async def test_a_dead_mail_server_does_not_undo_the_change_and_the_mail_is_sent_when_it_is_back(
    settings: Settings, engine: Any
) -> None:
    port = free_port()
    mailing = mailing_settings(settings, port)
    app = create_app(mailing, engine=engine)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        accounts = AccountFactory(app=app, client=client, settings=mailing)
        await accounts.as_role("reviewer")
        member = await accounts.as_role("member")
        case = await file_case(member)
        response = await member.post(f"/api/v1/cases/{case['id']}/submit")
        assert response.status_code == 200
        assert response.json()["case"]["status"] == "submitted"
        # The first attempt finds no server: the e-mail stays owed, and is tried again.
        deadline = time.monotonic() + 30
        while await email_states() != [("pending", 1)]:
            assert time.monotonic() < deadline, await email_states()
            await asyncio.sleep(0.1)
        inbox = Inbox()
        server = Controller(inbox, hostname="127.0.0.1", port=port)
        server.start()
        try:
            await arrived(inbox)
        finally:
            server.stop()
    assert await email_states() == [("sent", 2)]
    assert case["reference"] in inbox.messages[0]["Subject"]


async def test_an_e_mail_owed_by_a_process_that_died_is_sent_by_the_next_one(
    settings: Settings, engine: Any, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    mailing = mailing_settings(settings, port)
    app = create_app(mailing, engine=engine)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        accounts = AccountFactory(app=app, client=client, settings=mailing)
        reviewer = await accounts.as_role("reviewer")
        # As a process that committed the notification and died before its job ran leaves it.
        await notifications.notify(
            [reviewer.member.id],
            NotificationKind.assigned,
            case_id=uuid.uuid4(),
            reference="IN-2026-0042",
            email=True,
        )
        # The queue's sweep finds it in its row.
        await arrived(inbox)
    assert "IN-2026-0042" in inbox.messages[0]["Subject"]
    assert await email_states() == [("sent", 1)]


async def test_the_last_attempt_gives_up_and_says_so_in_the_row(settings: Settings, engine: Any) -> None:
    from integrity.accounts.tables import Member
    from tests.factories import default_password_hash

    mailing = mailing_settings(settings, free_port())
    member = Member(
        email="reviewer-mail@example.org",
        display_name="Recenzentkinja",
        role="reviewer",
        profession="other",
        password_hash=default_password_hash(),
    )
    await member.save()
    [notification_id] = await notifications.notify(
        [member.id], NotificationKind.assigned, case_id=uuid.uuid4(), reference="IN-2026-0007", email=True
    )
    with pytest.raises(notifications.EmailNotSent):
        await notifications.send_email(mailing, notification_id, final_attempt=False, open_recipient=_nobody)
    assert await email_states() == [("pending", 1)]
    await notifications.send_email(mailing, notification_id, final_attempt=True, open_recipient=_nobody)
    assert await email_states() == [("failed", 2)]
    # Failed is final: a job that comes late does nothing.
    await notifications.send_email(mailing, notification_id, final_attempt=True, open_recipient=_nobody)
    assert await email_states() == [("failed", 2)]
