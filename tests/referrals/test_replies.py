"""The right of reply: the team records that a person the case names was asked to comment, and the
reply, or that none came by the date given; a protected person is never asked."""

from __future__ import annotations

import datetime

import pytest

from integrity.custody.tables import CustodyEntry
from integrity.referrals.tables import Reply
from tests.factories import AccountFactory
from tests.referrals.test_referrals import Clock, submitted_case

D = datetime.date


async def test_a_named_company_is_asked_replies_and_a_silence_is_recorded(
    accounts: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, D(2026, 3, 10))
    case, member, reviewer = await submitted_case(accounts)
    company = next(a for a in case["actors"] if not a["protect_identity"])
    witness = next(a for a in case["actors"] if a["protect_identity"])
    base = f"/api/v1/cases/{case['id']}/replies"
    ask = {
        "actor_id": company["actor_id"],
        "asked_at": "2026-03-05",
        "channel": "email",
        "reply_by": "2026-03-12",
    }
    # Not before the actor is a shared record, and never a protected witness.
    unlinked = await reviewer.post(base, json=ask)
    assert unlinked.status_code == 409 and unlinked.json()["code"] == "actor_not_linked"
    protected = await reviewer.post(base, json={**ask, "actor_id": witness["actor_id"]})
    assert protected.status_code == 409 and protected.json()["code"] == "actor_protected"
    linked = await reviewer.post(
        f"/api/v1/cases/{case['id']}/actors/{company['actor_id']}/link", json={"name": company["name"]}
    )
    shared = next(a for a in linked.json()["actors"] if a["shared"])
    ask["actor_id"] = shared["actor_id"]

    asked = await reviewer.post(base, json=ask)
    assert asked.status_code == 201, asked.text
    reply = asked.json()
    assert (reply["status"], reply["name"]) == ("asked", company["name"])
    clock.day = D(2026, 3, 13)
    assert (await reviewer.get(base)).json()[0]["status"] == "no_reply"
    got = await reviewer.post(
        f"{base}/{reply['id']}/received", json={"received_at": "2026-03-13", "text": "Sve je bilo po zakonu."}
    )
    assert got.status_code == 200 and got.json()["status"] == "replied"
    assert got.json()["text"] == "Sve je bilo po zakonu."
    again = await reviewer.post(f"{base}/{reply['id']}/received", json={"received_at": "2026-03-13"})
    assert again.status_code == 409 and again.json()["code"] == "reply_recorded"
    # The text is sealed in the row; each step is on the custody record.
    row = await Reply.select(Reply.text_sealed).where(Reply.id == reply["id"]).first()
    assert row is not None and b"zakonu" not in bytes(row["text_sealed"])
    actions = {r["action"] for r in await CustodyEntry.select(CustodyEntry.action)}
    assert {"reply.asked", "reply.received"} <= actions

    # Refusals: the member who filed the case, a reply before the question, text with no date.
    assert (await member.post(base, json=ask)).status_code == 403
    early = await reviewer.post(base, json={**ask, "received_at": "2026-03-01"})
    assert early.status_code == 422 and early.json()["code"] == "reply_before_asked"
    undated = await reviewer.post(base, json={**ask, "text": "Bez datuma."})
    assert undated.status_code == 422 and undated.json()["code"] == "reply_date_missing"
