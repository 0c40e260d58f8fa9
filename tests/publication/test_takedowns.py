"""Takedowns: two editors withdraw a published revision, or one file of it; everything the public
reads answers 410 with a tombstone (date and reason category only), and the custody log keeps its
entries. A retraction keeps the title and the notice and withdraws the body and the files."""

from __future__ import annotations

import re
from typing import Any

from integrity.custody.tables import CustodyEntry
from integrity.publication.tables import PublishedFile, PublishedRevision
from tests.factories import AccountFactory, Caller, files_read
from tests.publication.test_publishing import (
    _published_case,
    change_publicly,
    draft,
)
from tests.review.test_pages import csrf_fields
from tests.web.helpers import HTML, post_form, visible_text

BODY_1 = "Prema rečima svedoka, ugovor je nameštena."
BODY_2 = "Drugi tekst: ugovor je dodeljen bez tendera."


async def public_reference(case_id: str) -> str:
    row = (
        await PublishedRevision.select(PublishedRevision.reference)
        .where(PublishedRevision.public_case.case == case_id)
        .first()
    )
    return str(row["reference"])


async def corrected_case(accounts: AccountFactory) -> tuple[dict[str, Any], Caller, Caller, str]:
    """A case published (its PDF redacted), then corrected: revisions 1 and 2, each with the PDF."""
    case, reviewer, editor = await _published_case(accounts)
    files = (await reviewer.get(f"/api/v1/cases/{case['id']}")).json()["attachments"]
    body = draft(files, BODY_2)
    body["attachments"][0]["decision"] = "withhold"
    await reviewer.put(f"/api/v1/cases/{case['id']}/publication", json=body)
    await files_read(reviewer, case["id"])
    corrected = await change_publicly(accounts, editor, case["id"], "correct", "Dopunjen tekst.")
    assert corrected.status_code == 200, corrected.text
    return case, reviewer, editor, await public_reference(case["id"])


async def file_ids(revision: dict[str, Any]) -> list[str]:
    return [f["id"] for f in revision["files"]]


async def test_two_editors_withdraw_an_old_revision_and_it_answers_410_everywhere(
    accounts: AccountFactory,
) -> None:
    case, reviewer, editor, reference = await corrected_case(accounts)
    public = accounts.anonymous()
    first = (await public.get(f"/api/v1/public/cases/{reference}/revisions/1")).json()
    (old_file,) = first["files"]

    # Only editors ask; a reviewer is refused, and nothing is withdrawn by asking alone.
    asked_by_reviewer = await reviewer.post(
        f"/api/v1/cases/{case['id']}/takedowns", json={"revision": 1, "reason_category": "court_order"}
    )
    assert asked_by_reviewer.status_code == 403
    asked = await editor.post(
        f"/api/v1/cases/{case['id']}/takedowns", json={"revision": 1, "reason_category": "court_order"}
    )
    assert asked.status_code == 201 and asked.json()["status"] == "pending", asked.text
    takedown = asked.json()["id"]
    assert (await public.get(f"/api/v1/public/cases/{reference}/revisions/1")).status_code == 200
    alone = await editor.post(f"/api/v1/cases/{case['id']}/takedowns/{takedown}/confirm")
    assert alone.status_code == 409 and alone.json()["code"] == "four_eyes_takedown"

    second = await accounts.as_role("editor")
    confirmed = await second.post(f"/api/v1/cases/{case['id']}/takedowns/{takedown}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed", confirmed.text

    gone = await public.get(f"/api/v1/public/cases/{reference}/revisions/1")
    assert gone.status_code == 410 and gone.json()["code"] == "withdrawn"
    assert "court_order" in gone.json()["detail"] and BODY_1 not in gone.text and "rasvete" not in gone.text
    download = await public.get(f"/api/v1/public/cases/{reference}/files/{old_file['id']}")
    assert download.status_code == 410
    page = await public.get(f"/cases/{reference}?revision=1&lang=en", headers={"accept": "text/html"})
    assert page.status_code == 410 and BODY_1 not in page.text
    # The current revision stays, without the withdrawn one among its corrections' history text.
    current = await public.get(f"/api/v1/public/cases/{reference}")
    assert current.status_code == 200 and current.json()["body"] == BODY_2
    feed = (await public.get("/feed.atom")).text
    assert BODY_1 not in feed
    # The custody log recorded both steps and kept the withdrawn file's entries, still provable.
    actions = [row["action"] for row in await CustodyEntry.select(CustodyEntry.action)]
    assert actions.count("case.takedown_proposed") == 1 and actions.count("case.takedown_confirmed") == 1
    entry = await public.get(f"/api/v1/public/custody/entries/{old_file['custody_seq']}")
    assert entry.status_code == 200

    again = await second.post(f"/api/v1/cases/{case['id']}/takedowns/{takedown}/confirm")
    assert again.status_code == 409


async def test_withdrawing_the_current_revision_takes_the_case_out_of_every_list(
    accounts: AccountFactory,
) -> None:
    case, _, editor, reference = await corrected_case(accounts)
    public = accounts.anonymous()
    assert (await public.get("/api/v1/public/cases")).json()["total"] == 1
    asked = await editor.post(
        f"/api/v1/cases/{case['id']}/takedowns", json={"revision": 2, "reason_category": "safety"}
    )
    second = await accounts.as_role("editor")
    assert (
        await second.post(f"/api/v1/cases/{case['id']}/takedowns/{asked.json()['id']}/confirm")
    ).status_code == 200

    assert (await public.get(f"/api/v1/public/cases/{reference}")).status_code == 410
    assert (
        await public.get(f"/cases/{reference}?lang=en", headers={"accept": "text/html"})
    ).status_code == 410
    assert (await public.get("/api/v1/public/cases")).json()["total"] == 0
    assert (await public.get("/api/v1/public/cases", params={"q": "tendera"})).json()["total"] == 0
    assert BODY_2 not in (await public.get("/api/v1/public/export.csv")).text
    assert BODY_2 not in (await public.get("/api/v1/public/export.json")).text
    assert BODY_2 not in (await public.get("/feed.atom")).text


async def test_one_file_can_be_withdrawn_and_the_rest_stays(accounts: AccountFactory) -> None:
    case, reviewer, editor, reference = await corrected_case(accounts)
    public = accounts.anonymous()
    current = (await public.get(f"/api/v1/public/cases/{reference}")).json()
    (shown,) = current["files"]
    pdf = (await reviewer.get(f"/api/v1/cases/{case['id']}")).json()["attachments"][1]
    wrong_file = await editor.post(
        f"/api/v1/cases/{case['id']}/takedowns",
        json={"revision": 2, "reason_category": "privacy", "attachment_id": case["id"]},
    )
    assert wrong_file.status_code == 422 and wrong_file.json()["code"] == "file_not_published"
    asked = await editor.post(
        f"/api/v1/cases/{case['id']}/takedowns",
        json={"revision": 2, "reason_category": "privacy", "attachment_id": pdf["id"]},
    )
    assert asked.status_code == 201, asked.text
    second = await accounts.as_role("editor")
    assert (
        await second.post(f"/api/v1/cases/{case['id']}/takedowns/{asked.json()['id']}/confirm")
    ).status_code == 200

    after = await public.get(f"/api/v1/public/cases/{reference}")
    assert after.status_code == 200 and after.json()["body"] == BODY_2 and after.json()["files"] == []
    assert (await public.get(f"/api/v1/public/cases/{reference}/files/{shown['id']}")).status_code == 410
    # The same file in revision 1 was not asked for: it stays.
    first = (await public.get(f"/api/v1/public/cases/{reference}/revisions/1")).json()
    assert len(first["files"]) == 1
    withdrawn = await PublishedFile.count().where(PublishedFile.withdrawn_at.is_not_null())
    assert withdrawn == 1


async def test_a_retraction_keeps_the_title_and_notice_and_withdraws_body_and_files(
    accounts: AccountFactory,
) -> None:
    case, _, editor = await _published_case(accounts)
    reference = await public_reference(case["id"])
    public = accounts.anonymous()
    before = (await public.get(f"/api/v1/public/cases/{reference}")).json()
    (published_file,) = before["files"]
    retracted = await change_publicly(accounts, editor, case["id"], "retract", "Izvor je povukao izjavu.")
    assert retracted.status_code == 200, retracted.text
    after = (await public.get(f"/api/v1/public/cases/{reference}")).json()
    assert after["title"] == before["title"] and after["retraction"]["note"] == "Izvor je povukao izjavu."
    assert after["body"] == "" and after["files"] == []
    gone = await public.get(f"/api/v1/public/cases/{reference}/files/{published_file['id']}")
    assert gone.status_code == 410 and gone.json()["code"] == "withdrawn"
    # Found by its title still, no longer by the words of its body.
    assert (await public.get("/api/v1/public/cases", params={"q": "rasvete"})).json()["total"] == 1
    assert (await public.get("/api/v1/public/cases", params={"q": "svedoka"})).json()["total"] == 0


async def test_editors_ask_for_and_confirm_a_takedown_on_the_preview_page(accounts: AccountFactory) -> None:
    case, _, editor, reference = await corrected_case(accounts)
    url = f"/app/cases/{case['id']}"
    preview = await editor.get(f"{url}/publication/preview?lang=en", headers=HTML)
    assert "Withdraw from the public" in visible_text(preview.text) and csrf_fields(preview) >= 1
    # Unticked, the box that says what a withdrawal does stops it.
    unticked = await post_form(
        editor,
        f"{url}/takedowns?lang=en",
        {"revision": "1", "attachment_id": "", "reason_category": "privacy"},
    )
    assert unticked.status_code == 422 and "Tick the box" in visible_text(unticked.text)
    asked = await post_form(
        editor,
        f"{url}/takedowns?lang=en",
        {"revision": "1", "attachment_id": "", "reason_category": "privacy", "confirm": "1"},
    )
    assert asked.status_code == 200 and "/publication/preview" in str(asked.url)
    text = visible_text((await editor.get(f"{url}/publication/preview?lang=en", headers=HTML)).text)
    assert "waiting for another editor to confirm" in text
    assert "Confirm the withdrawal" not in text  # not by the editor who asked
    second = await accounts.as_role("editor")
    seen = await second.get(f"{url}/publication/preview?lang=en", headers=HTML)
    confirm = re.search(r'action="(/app/cases/[^"]+/takedowns/[^"]+/confirm)"', seen.text)
    assert confirm is not None and "Confirm the withdrawal" in visible_text(seen.text)
    assert (await post_form(second, confirm.group(1) + "?lang=en", {})).status_code == 422
    done = await post_form(second, confirm.group(1) + "?lang=en", {"confirm": "1"})
    assert done.status_code == 200
    after = visible_text((await second.get(f"{url}/publication/preview?lang=en", headers=HTML)).text)
    assert "withdrawn" in after and "Confirm the withdrawal" not in after
    gone = await accounts.anonymous().get(f"/cases/{reference}?revision=1&lang=en", headers=HTML)
    assert gone.status_code == 410 and "This was published once and has been withdrawn." in visible_text(
        gone.text
    )
    # A form without a reason is refused with a message, and nothing is asked.
    refused = await post_form(
        editor, f"{url}/takedowns?lang=en", {"revision": "2", "reason_category": "", "confirm": "1"}
    )
    assert refused.status_code == 422 and "Choose a revision, a reason" in visible_text(refused.text)
