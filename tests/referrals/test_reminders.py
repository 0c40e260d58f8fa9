"""Reminders of referrals: the case's team hears once before an answer is due and once when it is
overdue (which goes on the custody record); answered or closed referrals are left alone."""

from __future__ import annotations

import datetime

import pytest
from litestar import Litestar

from integrity.context import provide_service_context
from integrity.custody.tables import CustodyEntry
from integrity.notifications.tables import Notification
from integrity.referrals import reminders
from tests.factories import AccountFactory
from tests.referrals.test_referrals import REQUEST, Clock, submitted_case
from tests.web.helpers import HTML, visible_text

D = datetime.date


async def test_the_team_is_reminded_before_the_deadline_and_when_it_passes(
    accounts: AccountFactory, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, D(2026, 3, 10))
    case, member, reviewer = await submitted_case(accounts)
    editor = await accounts.as_role("editor")
    base = f"/api/v1/cases/{case['id']}/referrals"
    referral = (await reviewer.post(base, json=REQUEST)).json()  # due 2026-03-18
    answered = (await reviewer.post(base, json={**REQUEST, "reference_number": "drugi"})).json()
    await reviewer.post(
        f"{base}/{answered['id']}/answers", json={"received_at": "2026-03-09", "outcome": "answered"}
    )
    ctx = provide_service_context(app.state)
    await Notification.delete(force=True)  # what the review steps made

    async def reminded(day: datetime.date) -> list[tuple[str, object]]:
        clock.day = day
        made = await reminders.send_due(ctx)
        rows = (
            await Notification.select(Notification.kind, Notification.member).where(
                Notification.id.is_in(made)
            )
            if made
            else []
        )
        return sorted((row["kind"], row["member"]) for row in rows)

    assert await reminded(D(2026, 3, 14)) == []
    team = sorted([reviewer.member.id, editor.member.id])  # type: ignore[union-attr]
    soon = await reminded(D(2026, 3, 15))
    assert soon == sorted(("referral_due_soon", member_id) for member_id in team)
    assert await reminded(D(2026, 3, 16)) == []  # once
    overdue = await reminded(D(2026, 3, 19))
    assert overdue == sorted(("referral_overdue", member_id) for member_id in team)
    assert await reminded(D(2026, 3, 25)) == []
    entries = await CustodyEntry.select(CustodyEntry.action).where(CustodyEntry.action == "referral.overdue")
    assert len(entries) == 1
    page = await reviewer.get("/app/notifications?lang=en", headers=HTML)
    assert f"An institution's answer to a referral is overdue: {case['reference']}" in visible_text(page.text)
    # One reminder per member each time: the answered referral is owed none; the member who filed
    # the case is not on the team reminded.
    assert member.member is not None and member.member.id not in team
    assert referral["status"] == "awaiting"
