"""The referrals page through the test client, as a browser without JavaScript posts it: record a
referral, see its deadline and status move with the clock, answer, appeal, close; mistakes come
back with the message and what was typed; in Serbian with no English left."""

from __future__ import annotations

import datetime
import re

import httpx
import pytest

from tests import samples
from tests.factories import AccountFactory, Caller
from tests.referrals.test_referrals import Clock, submitted_case
from tests.web.helpers import HTML, NO_HEADER, multipart_form, post_form, visible_text

D = datetime.date


async def send_files(
    caller: Caller, address: str, role: str, files: list[tuple[str, bytes]]
) -> httpx.Response:
    """The referral's "add documents" form as a browser posts it: its choice, then the files."""
    body, content_type = multipart_form([("role", role)], files, csrf=caller.csrf_token)
    return await caller.post(
        address,
        content=body,
        headers={"content-type": content_type, **NO_HEADER, **HTML},
        follow_redirects=False,
    )


async def test_the_team_records_and_follows_a_referral_on_its_page(
    accounts: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch, D(2026, 3, 10))
    case, member, reviewer = await submitted_case(accounts)
    address = f"/app/cases/{case['id']}/referrals"
    case_page = await reviewer.get(f"/app/cases/{case['id']}?lang=en", headers=HTML)
    assert f'href="{address}"' in case_page.text
    empty = await reviewer.get(f"{address}?lang=en", headers=HTML)
    assert "The case has not been sent to any institution yet." in visible_text(empty.text)

    form = {
        "kind": "information_request",
        "institution_name": "Opštinska uprava Primer",
        "registry_number": "07100001",
        "sent_at": "2026-03-11",
        "channel": "email",
        "reference_number": "IV-03-123/2026",
        "made_by": "network",
    }
    wrong = await post_form(reviewer, f"{address}?lang=en", form, follow=False)
    assert wrong.status_code == 422
    assert "The date cannot be in the future." in visible_text(wrong.text)
    assert 'value="IV-03-123/2026"' in wrong.text  # kept

    made = await post_form(reviewer, address, {**form, "sent_at": "2026-03-03"}, follow=False)
    assert made.status_code == 303 and "done=recorded#referral-" in made.headers["location"]
    clock.day = D(2026, 3, 25)
    shown = visible_text((await reviewer.get(f"{address}?lang=en", headers=HTML)).text)
    assert "Request for access to information of public importance: Opštinska uprava Primer" in shown
    assert "overdue · 7 days late" in shown and "Answer due by" in shown
    serbian = visible_text((await reviewer.get(f"{address}?lang=sr-Latn", headers=HTML)).text)
    assert "rok je istekao · 7 dana kašnjenja" in serbian

    referral_id = made.headers["location"].rsplit("#referral-", 1)[1]
    answered = await post_form(
        reviewer,
        f"{address}/{referral_id}/answers",
        {"received_at": "2026-03-24", "outcome": "partly_answered", "text": "Dostavljen deo ugovora."},
    )
    assert "Odgovor je upisan." in visible_text(answered.text)
    appealed = await post_form(
        reviewer,
        f"{address}/{referral_id}/appeals",
        {
            "kind": "commissioner_complaint",
            "institution_name": "Poverenik",
            "sent_at": "2026-03-25",
            "channel": "post",
        },
        follow=False,
    )
    assert appealed.status_code == 303
    closed = await post_form(
        reviewer, f"{address}/{referral_id}/close", {"outcome": "partly_answered"}, follow=False
    )
    assert closed.status_code == 303
    final = visible_text((await reviewer.get(f"{address}?lang=en", headers=HTML)).text)
    assert "Dostavljen deo ugovora." in final and "late, after 21 days" in final
    assert "Complaint to the Commissioner" in final and "the referral it appeals" in final
    assert "closed" in final and "Closed" in final

    # The answer's document, added on the page (closed or not, what came is kept).
    page = (await reviewer.get(f"{address}?lang=en", headers=HTML)).text
    answer_choice = re.search(
        r'<option value="(answer:[0-9a-f-]{36})">The answer of Mar 24, 2026</option>', page
    )
    assert answer_choice, "the answer is offered as what a document is"
    files_address = f"{address}/{referral_id}/files?lang=en"
    nothing = await send_files(reviewer, files_address, answer_choice.group(1), [])
    assert nothing.status_code == 422 and "Choose" in visible_text(nothing.text)
    letter = samples.pdf("Rešenje o delimičnom pristupu")
    sent = await send_files(reviewer, files_address, answer_choice.group(1), [("resenje.pdf", letter)])
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"].split("#")[0]
    shown = visible_text((await reviewer.get(location + "&lang=en", headers=HTML)).text)
    assert "The documents are added to the referral and to the case's evidence." in shown
    assert "resenje.pdf The answer (Mar 24, 2026)" in shown
    # On the case page among the files, labelled; the member who filed it does not see it.
    assert "A referral's document: the answer" in visible_text(
        (await reviewer.get(f"/app/cases/{case['id']}?lang=en", headers=HTML)).text
    )
    assert "resenje.pdf" not in (await member.get(f"/app/cases/{case['id']}?lang=en", headers=HTML)).text

    # The member who filed the case, and other members, do not get the team's page.
    assert (await member.get(address, headers=HTML)).status_code == 403


async def test_the_draft_page_chooses_the_referrals_and_replies_shown_and_the_check_reads_them(
    accounts: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.publication.test_publishing import WITNESS, verified_case
    from tests.referrals.test_referrals import REQUEST

    Clock(monkeypatch, D(2026, 3, 10))
    case, reviewer, _, files = await verified_case(accounts)
    referral = (await reviewer.post(f"/api/v1/cases/{case['id']}/referrals", json=REQUEST)).json()
    shared = next(
        a for a in (await reviewer.get(f"/api/v1/cases/{case['id']}")).json()["actors"] if a["shared"]
    )
    reply = (
        await reviewer.post(
            f"/api/v1/cases/{case['id']}/replies",
            json={
                "actor_id": shared["actor_id"],
                "asked_at": "2026-03-04",
                "channel": "email",
                "received_at": "2026-03-06",
                "text": f"Pitajte {WITNESS}.",
            },
        )
    ).json()
    address = f"/app/cases/{case['id']}/publication"
    page = await reviewer.get(f"{address}?lang=en", headers=HTML)
    assert f'name="public_referral" type="checkbox" value="{referral["id"]}"' in page.text
    assert f'name="public_reply" type="checkbox" value="{reply["id"]}"' in page.text
    fields = [
        ("public_title", "Nabavka rasvete"),
        ("public_summary", "Ugovor je dodeljen povezanoj firmi."),
        ("public_body", "Ugovor je dobilo komunalno preduzeće."),
        ("public_referral", referral["id"]),
        ("public_reply", reply["id"]),
        *[(f"decision-{f['id']}", "withhold") for f in files],
    ]
    saved = await post_form(reviewer, f"{address}?lang=en", fields, follow=False)
    text = visible_text(saved.text)
    assert saved.status_code == 200 and "a reply shown publicly" in text
    draft = (await reviewer.get(f"/api/v1/cases/{case['id']}/publication")).json()
    assert (draft["public_referral_ids"], draft["public_reply_ids"]) == ([referral["id"]], [reply["id"]])
