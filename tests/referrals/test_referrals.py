"""Referrals through the API: recorded by the review team with the deadline of their kind, overdue
as the days pass, answered, appealed with a deadline of its own, closed; each step on record.
The refusals: members, other members, a conflicted reviewer, drafts, bad dates and bodies."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from integrity.custody.tables import CustodyEntry
from integrity.referrals import deadlines
from tests.cases.test_intake import NEW_CASE
from tests.factories import AccountFactory, Caller
from tests.publication.test_publishing import act

D = datetime.date


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, day: datetime.date) -> None:
        self.day = day
        monkeypatch.setattr(deadlines, "today", lambda: self.day)


async def submitted_case(accounts: AccountFactory) -> tuple[dict[str, Any], Caller, Caller]:
    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    case = (await member.post("/api/v1/cases", json={**NEW_CASE, "incident_date": "2026-01-10"})).json()
    assert (await member.post(f"/api/v1/cases/{case['id']}/submit")).status_code == 200
    await act(reviewer, case["id"], "start_review")
    return case, member, reviewer


REQUEST = {
    "kind": "information_request",
    "institution": {"name": "Opštinska uprava Primer", "registry_number": "07100001"},
    "sent_at": "2026-03-03",
    "channel": "email",
    "reference_number": "IV-03-123/2026",
}


async def test_a_referral_goes_overdue_is_answered_late_appealed_and_closed(
    accounts: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, D(2026, 3, 10))
    case, _, reviewer = await submitted_case(accounts)
    base = f"/api/v1/cases/{case['id']}/referrals"
    kinds = {k["code"]: k for k in (await reviewer.get("/api/v1/referral-kinds")).json()}
    assert (
        kinds["information_request"]["deadline_days"] == 15
        and "čl. 16" in kinds["information_request"]["source"]
    )
    assert (
        kinds["criminal_complaint"]["deadline_days"] == 60
        and "network" in kinds["criminal_complaint"]["source"]
    )

    made = await reviewer.post(base, json=REQUEST)
    assert made.status_code == 201, made.text
    referral = made.json()
    assert (referral["due_at"], referral["status"], referral["days_overdue"]) == ("2026-03-18", "awaiting", 0)
    assert referral["institution"]["name"] == "Opštinska uprava Primer"
    assert referral["institution"]["registry_number"] == "07100001"
    # The same institution, named otherwise, is found by its registry number.
    again = await reviewer.post(
        base, json={**REQUEST, "institution": {"name": "OU Primer", "registry_number": "07100001"}}
    )
    assert again.json()["institution"]["id"] == referral["institution"]["id"]

    clock.day = D(2026, 3, 25)
    listed = {r["id"]: r for r in (await reviewer.get(base)).json()}
    assert (listed[referral["id"]]["status"], listed[referral["id"]]["days_overdue"]) == ("overdue", 7)
    clock.day = D(2026, 4, 10)
    assert (await reviewer.get(base)).json()[0]["status"] == "long_overdue"

    answered = await reviewer.post(
        f"{base}/{referral['id']}/answers",
        json={
            "received_at": "2026-04-08",
            "outcome": "refused",
            "text": "Tražene informacije nisu dostupne.",
        },
    )
    assert answered.status_code == 201, answered.text
    body = answered.json()
    assert body["status"] == "answered"
    (answer,) = body["answers"]
    assert (answer["outcome"], answer["days_to_answer"], answer["in_time"]) == ("refused", 36, False)
    assert answer["text"] == "Tražene informacije nisu dostupne."

    appeal = await reviewer.post(
        f"{base}/{referral['id']}/appeals",
        json={
            "kind": "commissioner_complaint",
            "institution": {"name": "Poverenik za informacije od javnog značaja"},
            "sent_at": "2026-04-09",
            "channel": "post",
        },
    )
    assert appeal.status_code == 201, appeal.text
    assert (appeal.json()["appeal_of"], appeal.json()["due_at"]) == (referral["id"], "2026-05-11")
    assert appeal.json()["id"] in (await reviewer.get(base)).json()[0]["appeals"]

    closed = await reviewer.post(f"{base}/{referral['id']}/close", json={"outcome": "refused"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert (
        await reviewer.post(f"{base}/{referral['id']}/close", json={"outcome": "refused"})
    ).status_code == 409
    late = await reviewer.post(
        f"{base}/{referral['id']}/answers", json={"received_at": "2026-04-09", "outcome": "answered"}
    )
    assert late.status_code == 409 and late.json()["code"] == "referral_closed"

    # Every step is on record, in the custody log.
    actions = [
        row["action"] for row in await CustodyEntry.select(CustodyEntry.action).order_by(CustodyEntry.seq)
    ]
    for action in ("referral.recorded", "referral.answered", "referral.appealed", "referral.closed"):
        assert action in actions, action


async def test_only_the_review_team_records_referrals_and_bad_input_is_refused(
    accounts: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch, D(2026, 3, 10))
    case, member, reviewer = await submitted_case(accounts)
    base = f"/api/v1/cases/{case['id']}/referrals"
    other = await accounts.as_role("member")
    assert (await member.post(base, json=REQUEST)).status_code == 403
    assert (await member.get(base)).status_code == 403
    assert (await other.post(base, json=REQUEST)).status_code == 404
    assert (await accounts.anonymous().get(base)).status_code == 401

    conflicted = await accounts.as_role("reviewer")
    declared = await conflicted.post(f"/api/v1/cases/{case['id']}/conflicts", json={})
    assert declared.status_code == 201, declared.text
    assert (await conflicted.post(base, json=REQUEST)).status_code == 404

    draft = (await member.post("/api/v1/cases", json=NEW_CASE)).json()
    assert (await reviewer.post(f"/api/v1/cases/{draft['id']}/referrals", json=REQUEST)).status_code == 404

    for change, code in [
        ({"kind": "letter_to_santa"}, "referral_kind_unknown"),
        ({"sent_at": "2026-03-11"}, "date_in_future"),
        ({"institution_actor_id": case["actors"][0]["actor_id"]}, "institution_ambiguous"),
        ({"institution": {"name": "X", "registry_number": "12ab"}}, "registry_number_invalid"),
        ({"institution": {"name": "  "}}, "text_empty"),
    ]:
        refused = await reviewer.post(base, json={**REQUEST, **change})
        assert refused.status_code == 422 and refused.json()["code"] == code, (change, refused.text)
    company = next(a for a in case["actors"] if not a["protect_identity"])
    linked = await reviewer.post(
        f"/api/v1/cases/{case['id']}/actors/{company['actor_id']}/link", json={"name": company["name"]}
    )
    shared = next(a for a in linked.json()["actors"] if a["shared"])
    not_institution = {**REQUEST, "institution": None, "institution_actor_id": shared["actor_id"]}
    refused = await reviewer.post(base, json={k: v for k, v in not_institution.items() if v is not None})
    assert refused.status_code == 422 and refused.json()["code"] == "not_an_institution"

    referral = (await reviewer.post(base, json=REQUEST)).json()
    early = await reviewer.post(
        f"{base}/{referral['id']}/answers", json={"received_at": "2026-03-01", "outcome": "answered"}
    )
    assert early.status_code == 422 and early.json()["code"] == "answer_before_referral"
    elsewhere, _, _ = await submitted_case(accounts)
    foreign = await reviewer.post(
        f"/api/v1/cases/{elsewhere['id']}/referrals/{referral['id']}/appeals",
        json={**REQUEST, "kind": "commissioner_complaint"},
    )
    assert foreign.status_code == 404 and foreign.json()["code"] == "referral_not_found"
