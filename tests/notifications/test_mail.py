"""Notification e-mail through a real SMTP server on loopback: it names the reference, nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from litestar.testing import AsyncTestClient

from integrity.app import create_app
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


async def test_a_submission_mails_the_review_team_its_reference_only(
    settings: Settings, engine: Any, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    mailing = settings.with_overrides(
        smtp=SmtpSettings(
            host="127.0.0.1", port=port, starttls=False, sender="Integrity <no-reply@example.org>"
        )
    )
    app = create_app(mailing, engine=engine)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        accounts = AccountFactory(app=app, client=client, settings=mailing)
        reviewer = await accounts.as_role("reviewer")
        member = await accounts.as_role("member")
        case = await file_case(member, title="Naslov koji ne sme u mejl", narrative="Ni priča.")
        response = await member.post(f"/api/v1/cases/{case['id']}/submit")
        assert response.status_code == 200
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == reviewer.member.email
    assert case["reference"] in message["Subject"]
    text = message.as_string()
    assert "Naslov koji ne sme" not in text and "Ni priča" not in text
    assert member.member.email not in text


async def test_a_dead_mail_server_does_not_undo_the_change(settings: Settings, engine: Any) -> None:
    mailing = settings.with_overrides(smtp=SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False))
    app = create_app(mailing, engine=engine)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        accounts = AccountFactory(app=app, client=client, settings=mailing)
        await accounts.as_role("reviewer")
        member = await accounts.as_role("member")
        case = await file_case(member)
        response = await member.post(f"/api/v1/cases/{case['id']}/submit")
        assert response.status_code == 200
        assert response.json()["case"]["status"] == "submitted"
