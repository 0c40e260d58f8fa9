"""What the logs may hold: at DEBUG, a whole filing (log-in, a case with a named person, an upload,
submission) leaves no password hash, e-mail address, narrative, name or filename in any log line."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from integrity.accounts.tables import Member
from integrity.app import configure_logging
from integrity.settings import Settings
from tests import samples
from tests.cases.test_intake import NEW_CASE, upload
from tests.factories import DEFAULT_PASSWORD, AccountFactory


async def test_debug_logs_of_a_whole_filing_hold_no_secret_and_no_content(
    accounts: AccountFactory, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    configure_logging(settings.with_overrides(log_level="DEBUG"))
    caplog.set_level(logging.DEBUG)
    try:
        member = await accounts.create("member", email="tajni.clan@example.org")
        caller = accounts.anonymous()
        logged_in = await caller.post(
            "/api/v1/auth/login", json={"email": member.email, "password": DEFAULT_PASSWORD}
        )
        assert logged_in.status_code == 200, logged_in.text
        caller = await accounts.caller(member)
        case: dict[str, Any] = {
            **NEW_CASE,
            "title": "Naslov koji ne sme u dnevnik",
            "narrative": "Priča koju niko ne sme da pročita u dnevniku.",
            "actors": [
                {"name": "Zoran Izmišljeni", "kind": "person", "role": "witness", "protect_identity": True}
            ],
        }
        created = await caller.post("/api/v1/cases", json=case)
        assert created.status_code == 201, created.text
        uploaded = await upload(
            caller, created.json()["id"], [("tajni-dokument.txt", samples.text("sadržaj"))]
        )
        assert uploaded.status_code == 201, uploaded.text
        assert (await caller.post(f"/api/v1/cases/{created.json()['id']}/submit")).status_code == 200
    finally:
        configure_logging(settings)
    row = await Member.select(Member.password_hash).where(Member.id == member.id).first()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert caplog.records, "nothing was logged at DEBUG: the test would prove nothing"
    for secret in (
        row["password_hash"],
        DEFAULT_PASSWORD,
        "tajni.clan@example.org",
        "Naslov koji ne sme",
        "Priča koju niko",
        "Zoran Izmišljeni",
        "tajni-dokument",
    ):
        assert secret not in logged, secret
