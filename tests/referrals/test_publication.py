"""Referrals and replies reach the public only through the publication draft: the leak check reads
them, the approval covers them exactly, a revision keeps them; the public case file shows the
timeline (sent, due, days overdue, the answer, the appeal) as of the day it is read, and the reply."""

from __future__ import annotations

import datetime

import msgspec
import pytest

from integrity.custody.tables import CustodyEntry
from integrity.publication import institutions
from integrity.publication.institutions import InstitutionFilters
from integrity.publication.tables import InstitutionRanking, PublishedRevision
from tests.factories import AccountFactory
from tests.publication.test_publishing import WITNESS, act, draft, verified_case
from tests.referrals.test_referrals import REQUEST, Clock
from tests.web.helpers import HTML, visible_text

D = datetime.date


async def test_a_referral_and_a_reply_are_published_through_the_draft_and_age_in_public(
    accounts: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch, D(2026, 3, 10))
    case, reviewer, editor, files = await verified_case(accounts)
    case_id = case["id"]
    referral = (await reviewer.post(f"/api/v1/cases/{case_id}/referrals", json=REQUEST)).json()  # due 03-18
    shared = next(a for a in (await reviewer.get(f"/api/v1/cases/{case_id}")).json()["actors"] if a["shared"])
    replies = f"/api/v1/cases/{case_id}/replies"
    ask = {
        "actor_id": shared["actor_id"],
        "asked_at": "2026-03-04",
        "channel": "email",
        "reply_by": "2026-03-09",
    }
    leaky = (
        await reviewer.post(replies, json={**ask, "received_at": "2026-03-06", "text": f"Pitajte {WITNESS}."})
    ).json()
    silent = (await reviewer.post(replies, json=ask)).json()

    body = draft(files, "Ugovor je dobilo komunalno preduzeće.")
    body["attachments"] = [{**a, "decision": "withhold"} for a in body["attachments"]]
    body |= {
        "public_referral_ids": [referral["id"]],
        "public_reply_ids": [leaky["id"], silent["id"]],
        "public_actor_ids": [shared["actor_id"]],
    }
    # The leak check reads a reply as the public would: the witness's name in it stops approval.
    saved = await reviewer.put(f"/api/v1/cases/{case_id}/publication", json=body)
    assert saved.status_code == 200, saved.text
    findings = saved.json()["leak_check"]["findings"]
    assert [(f["field"], f["location"]) for f in findings] == [("public_reply_ids", f"reply:{leaky['id']}")]
    assert (await act(editor, case_id, "approve")).status_code == 409
    # Another case's referral cannot be shown.
    foreign = await reviewer.put(
        f"/api/v1/cases/{case_id}/publication", json={**body, "public_referral_ids": [silent["id"]]}
    )
    assert foreign.status_code == 422 and foreign.json()["code"] == "referral_unknown"

    body["public_reply_ids"] = [silent["id"]]
    assert (await reviewer.put(f"/api/v1/cases/{case_id}/publication", json=body)).json()["leak_check"]["ok"]
    preview = (await reviewer.get(f"/api/v1/cases/{case_id}/publication/preview")).json()
    assert [(r["kind"], r["status"]) for r in preview["referrals"]] == [("information_request", "awaiting")]
    assert [(r["actor"]["name"], r["status"]) for r in preview["replies"]] == [(shared["name"], "no_reply")]
    approved = await act(editor, case_id, "approve")
    assert approved.status_code == 200, approved.text
    # What was approved is what goes out: an answer recorded after the approval voids it.
    await reviewer.post(
        f"/api/v1/cases/{case_id}/referrals/{referral['id']}/answers",
        json={"received_at": "2026-03-10", "outcome": "refused"},
    )
    refused = await act(editor, case_id, "publish")
    assert refused.status_code == 409, refused.text
    # Saved again, the draft goes back for approval of what it now shows.
    resaved = await reviewer.put(f"/api/v1/cases/{case_id}/publication", json=body)
    assert resaved.json()["voided"] == "approval"
    assert (await act(editor, case_id, "approve")).status_code == 200
    assert (await act(editor, case_id, "publish")).status_code == 200

    stored = await PublishedRevision.select().where(PublishedRevision.public_case.case == case_id).first()
    anonymous = accounts.anonymous()
    public = (await anonymous.get(f"/api/v1/public/cases/{stored['reference']}")).json()
    (shown,) = public["referrals"]
    assert shown["institution"]["name"] == "Opštinska uprava Primer"
    assert (shown["sent_at"], shown["due_at"], shown["status"]) == ("2026-03-03", "2026-03-18", "answered")
    assert shown["answer"] == {"received_at": "2026-03-10", "outcome": "refused"}
    # Its custody entry is public with it: it proves the day the network recorded sending it.
    entry = (await anonymous.get(f"/api/v1/public/custody/entries/{shown['custody_seq']}")).json()["entry"]
    assert (entry["action"], entry["details"]["sent_at"]) == ("referral.recorded", "2026-03-03")
    assert entry["at"].endswith("T00:00:00.000000Z")  # the day, not the moment
    # The reply's entries stay private: only what the public version shows is opened.
    seqs = {
        row["seq"]
        for row in await CustodyEntry.select(CustodyEntry.seq).where(CustodyEntry.action == "reply.asked")
    }
    for seq in seqs:
        assert (await anonymous.get(f"/api/v1/public/custody/entries/{seq}")).status_code == 404
    assert public["replies"][0]["status"] == "no_reply" and WITNESS not in str(public)
    page = visible_text((await anonymous.get(f"/cases/{stored['reference']}?lang=en", headers=HTML)).text)
    assert "Where the case was sent" in page and "Answered Mar 10, 2026: refused" in page
    assert "Sent Mar 3, 2026; answer due by Mar 18, 2026" in page and "no reply by Mar 9, 2026." in page
    # The reply is next to the claims it answers: right after the text, and named with the actor.
    assert (
        page.index("Right of reply") < page.index("People and institutions named") < page.index("Where the")
    )
    html = (await anonymous.get(f"/cases/{stored['reference']}?lang=en", headers=HTML)).text
    named = html.split('<ul class="actors">')[1].split("</ul>")[0]
    assert f'<a href="#reply-{public["replies"][0]["actor"]["id"]}">right of reply</a>' in named
    assert f'id="reply-{public["replies"][0]["actor"]["id"]}"' in html


async def test_an_unanswered_referral_shows_its_days_overdue_to_the_public_as_they_pass(
    accounts: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, D(2026, 3, 10))
    case, reviewer, editor, files = await verified_case(accounts)
    referral = (await reviewer.post(f"/api/v1/cases/{case['id']}/referrals", json=REQUEST)).json()
    appeal = {**REQUEST, "kind": "commissioner_complaint", "sent_at": "2026-03-10"}
    body = draft(files, "Ugovor je dobilo komunalno preduzeće.")
    body["attachments"] = [{**a, "decision": "withhold"} for a in body["attachments"]]
    body["public_referral_ids"] = [referral["id"]]
    await reviewer.put(f"/api/v1/cases/{case['id']}/publication", json=body)
    assert (await act(editor, case["id"], "approve")).status_code == 200
    assert (await act(editor, case["id"], "publish")).status_code == 200
    reference = (
        await PublishedRevision.select().where(PublishedRevision.public_case.case == case["id"]).first()
    )["reference"]
    anonymous = accounts.anonymous()

    async def shown() -> dict:
        return (await anonymous.get(f"/api/v1/public/cases/{reference}")).json()["referrals"][0]

    assert ((await shown())["status"], (await shown())["days_overdue"]) == ("awaiting", 0)
    clock.day = D(2026, 3, 25)
    assert ((await shown())["status"], (await shown())["days_overdue"]) == ("overdue", 7)
    page = visible_text((await anonymous.get(f"/cases/{reference}?lang=en", headers=HTML)).text)
    assert "Overdue (7 days late)" in page
    # The feed has the referral's events, the newly overdue answer included; the exports have it.
    import feedparser

    feed = feedparser.parse((await anonymous.get("/feed.atom?lang=en")).text)
    titles = [entry.title for entry in feed.entries]
    assert not feed.bozo
    assert "The answer of Opštinska uprava Primer is overdue: Nameštena nabavka javne rasvete" in titles
    assert "Sent to Opštinska uprava Primer: Nameštena nabavka javne rasvete" in titles
    overdue_entry = next(e for e in feed.entries if e.title.startswith("The answer of"))
    assert overdue_entry.updated.startswith("2026-03-19")
    exported = (await anonymous.get("/api/v1/public/export.json")).json()["items"][0]["referrals"]
    assert [(r["kind"], r["status"], r["days_overdue"]) for r in exported] == [
        ("information_request", "overdue", 7)
    ]
    csv_text = (await anonymous.get("/api/v1/public/export.csv")).content.decode("utf-8-sig")
    assert (
        "information_request: Opštinska uprava Primer, sent 2026-03-03, due 2026-03-18, overdue" in csv_text
    )
    clock.day = D(2026, 4, 20)
    assert (await shown())["status"] == "long_overdue"
    # An appeal, recorded and published as a correction, shows under what it appeals.
    made = (
        await reviewer.post(f"/api/v1/cases/{case['id']}/referrals/{referral['id']}/appeals", json=appeal)
    ).json()
    assert made["due_at"] == "2026-04-09"
    assert (await shown())["appeals"] == []


async def publish_with_referral(accounts: AccountFactory, answer: dict[str, str] | None = None) -> None:
    """A case published with one referral (REQUEST) shown, answered with `answer` if given; a
    second referral of the case is not shown."""
    case, reviewer, editor, files = await verified_case(accounts)
    referral = (await reviewer.post(f"/api/v1/cases/{case['id']}/referrals", json=REQUEST)).json()
    if answer:
        await reviewer.post(f"/api/v1/cases/{case['id']}/referrals/{referral['id']}/answers", json=answer)
    # A referral not chosen for the public never counts.
    await reviewer.post(
        f"/api/v1/cases/{case['id']}/referrals", json={**REQUEST, "reference_number": "neobjavljen"}
    )
    body = draft(files, "Ugovor je dobilo komunalno preduzeće.")
    body["attachments"] = [{**a, "decision": "withhold"} for a in body["attachments"]]
    body["public_referral_ids"] = [referral["id"]]
    await reviewer.put(f"/api/v1/cases/{case['id']}/publication", json=body)
    assert (await act(editor, case["id"], "approve")).status_code == 200
    assert (await act(editor, case["id"], "publish")).status_code == 200


async def test_the_kept_ranking_is_counted_again_when_anything_public_changes_or_the_day_turns(
    accounts: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, D(2026, 3, 10))
    everything = InstitutionFilters()
    await publish_with_referral(accounts)
    (first,) = await institutions.ranking(everything)
    assert (first.name, first.received, first.overdue_now) == ("Opštinska uprava Primer", 1, 0)

    async def forge() -> None:
        """A kept copy that no count gives: the next read shows it only if it was not counted."""
        forged = msgspec.json.encode([msgspec.structs.replace(first, name="Kept, not counted")]).decode()
        assert await InstitutionRanking.count() == 1
        await InstitutionRanking.update({InstitutionRanking.figures: forged}, force=True)

    await forge()
    assert [i.name for i in await institutions.ranking(everything)] == ["Kept, not counted"]
    # The day turns: what is overdue today is counted.
    clock.day = D(2026, 3, 25)
    (today,) = await institutions.ranking(everything)
    assert (today.name, today.received, today.overdue_now) == ("Opštinska uprava Primer", 1, 1)
    # Something public changes: counted again.
    await forge()
    await publish_with_referral(accounts)
    (now,) = await institutions.ranking(everything)
    assert (now.name, now.received, now.overdue_now) == ("Opštinska uprava Primer", 2, 2)
    # Each choice of filters is kept on its own; filters nothing can match are never kept.
    assert [
        i.received for i in await institutions.ranking(InstitutionFilters(kind="information_request"))
    ] == [2]
    assert await institutions.ranking(InstitutionFilters(kind="no_such_kind", year=2026)) == []
    assert sorted(row["scope"] for row in await InstitutionRanking.select(InstitutionRanking.scope)) == [
        "kind=&municipality=&year=",
        "kind=information_request&municipality=&year=",
    ]


async def test_institution_figures_and_ranking_count_what_was_published(
    accounts: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, D(2026, 3, 10))
    anonymous = accounts.anonymous()
    assert (await anonymous.get("/api/v1/public/institutions")).json() == {"items": []}
    for answer in ({"received_at": "2026-03-08", "outcome": "answered"}, None):
        await publish_with_referral(accounts, answer)

    clock.day = D(2026, 3, 25)
    (item,) = (await anonymous.get("/api/v1/public/institutions")).json()["items"]
    assert item["name"] == "Opštinska uprava Primer"
    assert (item["received"], item["answered"], item["answered_in_time"], item["overdue_now"]) == (2, 1, 1, 1)
    assert item["median_days_to_answer"] == 5.0
    assert (await anonymous.get("/api/v1/public/institutions?kind=criminal_complaint")).json()["items"] == []
    assert (await anonymous.get("/api/v1/public/institutions?year=2025")).json()["items"] == []
    detail = (await anonymous.get(f"/api/v1/public/institutions/{item['id']}")).json()
    assert sorted(r["status"] for r in detail["referrals"]) == ["answered", "overdue"]
    assert detail["outcomes"] == {"answered": 1}
    page = visible_text((await anonymous.get("/institutions?lang=en", headers=HTML)).text)
    assert "Opštinska uprava Primer 2 1 1 1 5" in page
    own = visible_text((await anonymous.get(f"/institutions/{item['id']}?lang=en", headers=HTML)).text)
    assert "Overdue now 1" in own and "Overdue (7 days late)" in own
    assert (await anonymous.get(f"/institutions/{REQUEST_ID}", headers=HTML)).status_code == 404


REQUEST_ID = "00000000-0000-4000-8000-000000000000"


async def test_an_answer_after_its_deadline_says_how_late_it_came(
    accounts: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch, D(2026, 3, 25))
    # Due 2026-03-18 (REQUEST), answered three days after.
    await publish_with_referral(accounts, {"received_at": "2026-03-21", "outcome": "refused"})
    anonymous = accounts.anonymous()
    reference = (await PublishedRevision.select(PublishedRevision.reference).first())["reference"]
    (item,) = (await anonymous.get("/api/v1/public/institutions")).json()["items"]
    for address in (f"/cases/{reference}", f"/institutions/{item['id']}"):
        page = await anonymous.get(f"{address}?lang=en", headers=HTML)
        assert "(3 days late)" in visible_text(page.text), address
        serbian = visible_text((await anonymous.get(f"{address}?lang=sr-Latn", headers=HTML)).text)
        assert "Odgovoreno" in serbian and "2026.." not in serbian, address
