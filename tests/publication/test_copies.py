"""Copies of files are made on the job queue: a request waits for an ordinary file's copy, a long
one is answered "being made" (202) and appears when done, the draft waits for a cleaned copy still
being made, and a copy abandoned by a dead worker is made by the next."""

from __future__ import annotations

import asyncio
import datetime
import time
import uuid
from typing import Any

import pytest

from integrity.publication import copies
from integrity.publication.tables import CheckState, CopyRequest, Rendition
from tests.factories import AccountFactory, files_read
from tests.publication.test_publishing import PDF_BOXES, verified_case
from tests.web.helpers import HTML, post_form, visible_text


async def copy_done(request_id: str, *, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        row = await CopyRequest.select().where(CopyRequest.id == uuid.UUID(request_id)).first()
        assert row is not None
        if row["state"] in (CheckState.done, CheckState.failed):
            return row
        assert time.monotonic() < deadline, row["state"]
        await asyncio.sleep(0.1)


async def test_an_ordinary_file_is_answered_with_its_copy_made_by_the_queue(accounts: AccountFactory) -> None:
    case, reviewer, _, files = await verified_case(accounts)
    pdf = files[1]
    made = await reviewer.post(
        f"/api/v1/cases/{case['id']}/attachments/{pdf['id']}/redactions", json=PDF_BOXES
    )
    assert made.status_code == 201, made.text
    request = await CopyRequest.select().where(CopyRequest.attachment == uuid.UUID(pdf["id"])).first()
    assert request["state"] == CheckState.done and str(request["rendition"]) == made.json()["id"]
    assert request["kind"] == "redacted"


async def test_a_long_file_is_answered_being_made_and_its_copy_appears_when_done(
    accounts: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As with a 300-page PDF: the request stops waiting before the copy is made.
    monkeypatch.setattr(copies, "WAIT_SECONDS", 0.0)
    case, reviewer, _, files = await verified_case(accounts)
    pdf = files[1]
    path = f"/api/v1/cases/{case['id']}/attachments/{pdf['id']}/redactions"
    accepted = await reviewer.post(path, json=PDF_BOXES)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["state"] == "pending" and accepted.json()["attachment_id"] == pdf["id"]
    done = await copy_done(accepted.json()["id"])
    assert done["state"] == CheckState.done
    made = await Rendition.select().where(Rendition.id == done["rendition"]).first()
    assert made["kind"] == "redacted" and made["created_by"] == reviewer.member.id
    # The tool, reopened, starts from the copy's boxes.
    tool = await reviewer.get(f"/app/cases/{case['id']}/files/{pdf['id']}/redact?lang=en", headers=HTML)
    assert "The boxes of the current redacted copy are loaded" in tool.text

    # The page says so too, and the tool says it while the copy is being made.
    page = await post_form(
        reviewer,
        f"/app/cases/{case['id']}/files/{pdf['id']}/redact?lang=en",
        {
            "do": "create",
            "box-0-page": "1",
            "box-0-x": "0",
            "box-0-y": "5",
            "box-0-width": "100",
            "box-0-height": "10",
        },
    )
    assert page.status_code == 202
    assert "A redacted copy of this file is being made" in visible_text(page.text)
    await copy_done(str((await latest_request(pdf["id"]))["id"]))


async def latest_request(attachment_id: str) -> dict[str, Any]:
    row = (
        await CopyRequest.select()
        .where(CopyRequest.attachment == uuid.UUID(attachment_id))
        .order_by(CopyRequest.created_at, ascending=False)
        .first()
    )
    assert row is not None
    return row


async def test_a_draft_waits_for_a_cleaned_copy_still_being_made(
    accounts: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(copies, "WAIT_SECONDS", 0.0)
    case, reviewer, _, files = await verified_case(accounts)
    photo, pdf, note = files
    draft = {
        "public_title": "Nameštena nabavka javne rasvete",
        "public_summary": "Ugovor je dodeljen povezanoj firmi.",
        "public_body": "Ugovor je dodeljen bez tendera.",
        "attachments": [
            {"attachment_id": photo["id"], "decision": "withhold"},
            {"attachment_id": pdf["id"], "decision": "withhold"},
            {"attachment_id": note["id"], "decision": "withhold"},
        ],
    }
    # Publish the photo as filed: its cleaned copy is still being made when the draft is saved.
    draft["attachments"][0]["decision"] = "publish_as_filed"
    saved = await reviewer.put(f"/api/v1/cases/{case['id']}/publication", json=draft)
    assert saved.status_code == 200, saved.text
    codes = [b["code"] for b in saved.json()["blockers"]]
    assert "file_without_copy" in codes or "file_check_pending" in codes
    # When it is done it is the decision's copy, read by the leak check like any other.
    await copy_done(str((await latest_request(photo["id"]))["id"]))
    ready = await files_read(reviewer, case["id"])
    decision = next(d for d in ready["attachments"] if d["attachment_id"] == photo["id"])
    assert decision["rendition_id"] is not None and decision["check_state"] == "done"
    assert ready["blockers"] == [] and ready["leak_check"]["ok"]


async def test_a_copy_abandoned_by_a_dead_worker_is_made_by_the_sweep(accounts: AccountFactory) -> None:
    case, reviewer, _, files = await verified_case(accounts)
    pdf = files[1]
    # As a worker killed while drawing the boxes leaves it: claimed long ago, nothing made.
    request_id = uuid.uuid4()
    await CopyRequest.insert(
        CopyRequest(
            id=request_id,
            attachment=uuid.UUID(pdf["id"]),
            kind="redacted",
            boxes="[[1, 0.0, 0.05, 1.0, 0.1]]",
            requested_by=reviewer.member.id,
            state=CheckState.running,
            claimed_at=datetime.datetime.now(datetime.UTC)
            - copies.ABANDONED_AFTER
            - datetime.timedelta(minutes=1),
        )
    )
    done = await copy_done(str(request_id), timeout=60)
    assert done["state"] == CheckState.done
    made = await Rendition.select(Rendition.boxes).where(Rendition.id == done["rendition"]).first()
    assert made["boxes"] == "[[1, 0.0, 0.05, 1.0, 0.1]]"
