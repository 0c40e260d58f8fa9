"""A referral's documents (the letter sent, the proof of delivery, the answer): the case's evidence
like the member's files, seen by the review team only, and published only as any file is: the
leak check reads a scanned letter naming a protected witness and stops it; redacted, it goes out
and the public timeline points at it. The refusals: the member, a wrong role or answer, no file."""

from __future__ import annotations

import datetime
import json
import subprocess
from typing import Any

import pytest

from integrity.cases.tables import Attachment
from integrity.custody.tables import CustodyEntry
from tests import samples
from tests.factories import AccountFactory, Caller, files_read
from tests.publication.test_publishing import WITNESS, act, draft, verified_case
from tests.redaction.handmade import scanned_pdf
from tests.referrals.test_referrals import REQUEST, Clock, submitted_case

D = datetime.date

#: The complaint as the network sent it, scanned: the protected witness is named on its second line
#: (1/10 + 1/16 of the page down), in Latin script.
LETTER = scanned_pdf(
    [["KRIVIČNA PRIJAVA", f"Svedok {WITNESS} je video ugovor.", "Opštinska uprava Primer, mart 2026."]]
)
#: Over the witness's line.
WITNESS_LINE = {"boxes": [{"page": 1, "x": 0.0, "y": 0.14, "width": 1.0, "height": 0.07}]}


async def add_documents(
    caller: Caller, case_id: str, referral_id: str, files: list[tuple[str, bytes]], query: str = ""
) -> Any:
    body, content_type = samples.multipart(files)
    return await caller.post(
        f"/api/v1/cases/{case_id}/referrals/{referral_id}/files{query}",
        content=body,
        headers={"content-type": content_type},
    )


async def test_a_letter_naming_a_protected_witness_is_stopped_by_the_leak_check_and_goes_out_redacted(
    accounts: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch, D(2026, 3, 10))
    case, reviewer, editor, files = await verified_case(accounts)
    case_id = case["id"]
    referral = (await reviewer.post(f"/api/v1/cases/{case_id}/referrals", json=REQUEST)).json()

    added = await add_documents(reviewer, case_id, referral["id"], [("prijava-tuzilastvu.pdf", LETTER)])
    assert added.status_code == 201, added.text
    (letter,) = added.json()
    assert (letter["document_role"], letter["referral_id"], letter["frozen"]) == (
        "sent",
        referral["id"],
        True,
    )
    # Recorded like any evidence: a custody entry for exactly these bytes, naming the referral.
    entry = await CustodyEntry.select().where(CustodyEntry.seq == letter["custody_seq"]).first()
    assert entry["action"] == "attachment.uploaded" and entry["subject"] == f"attachment:{letter['id']}"
    details = json.loads(entry["details"])
    assert (details["referral"], details["role"]) == (referral["id"], "sent")
    assert "prijava" not in entry["details"]
    listed = (await reviewer.get(f"/api/v1/cases/{case_id}/referrals")).json()
    assert [(d["id"], d["role"], d["filename"]) for d in listed[0]["documents"]] == [
        (letter["id"], "sent", "prijava-tuzilastvu.pdf")
    ]
    # Frozen: nothing recorded about an institution is deleted.
    assert (await reviewer.delete(f"/api/v1/cases/{case_id}/attachments/{letter['id']}")).status_code in (
        403,
        409,
    )

    # Published as filed, the scan shows the witness's name: only OCR can read it, and it does.
    body = draft(files, "Ugovor je dobilo komunalno preduzeće.")
    body["attachments"] = [{**a, "decision": "withhold"} for a in body["attachments"]]
    body["attachments"].append({"attachment_id": letter["id"], "decision": "publish_as_filed"})
    body["public_referral_ids"] = [referral["id"]]
    saved = await reviewer.put(f"/api/v1/cases/{case_id}/publication", json=body)
    assert saved.status_code == 200, saved.text
    check = (await files_read(reviewer, case_id))["leak_check"]
    assert not check["ok"]
    assert {(f["field"], f["attachment_id"], f["page"], f["source"]) for f in check["findings"]} == {
        ("file", letter["id"], 1, "ocr")
    }
    refused = await act(editor, case_id, "approve")
    assert refused.status_code == 409, refused.text

    # Redacted over the witness's line, it is clean, approved by the editor, and published.
    redacted = await reviewer.post(
        f"/api/v1/cases/{case_id}/attachments/{letter['id']}/redactions", json=WITNESS_LINE
    )
    assert redacted.status_code == 201, redacted.text
    body["attachments"][-1]["decision"] = "publish_redacted"
    assert (await reviewer.put(f"/api/v1/cases/{case_id}/publication", json=body)).status_code == 200
    check = (await files_read(reviewer, case_id))["leak_check"]
    assert check["ok"], check
    previewed = await reviewer.get(f"/api/v1/cases/{case_id}/publication/preview")
    assert previewed.status_code == 200, previewed.text
    preview = previewed.json()
    (shown_file,) = preview["files"]
    assert preview["referrals"][0]["documents"] == [{"file_id": shown_file["id"], "role": "sent"}]
    assert (await act(editor, case_id, "approve")).status_code == 200
    assert (await act(editor, case_id, "publish")).status_code == 200

    reference = preview["reference"]
    anonymous = accounts.anonymous()
    public = (await anonymous.get(f"/api/v1/public/cases/{reference}")).json()
    (published,) = public["files"]
    assert public["referrals"][0]["documents"] == [{"file_id": published["id"], "role": "sent"}]
    copy = await anonymous.get(f"/api/v1/public/cases/{reference}/files/{published['id']}")
    assert copy.status_code == 200 and copy.content.startswith(b"%PDF")
    # Read by Debian's own tesseract: the public copy keeps the letter, not the witness.
    page = await anonymous.get(f"/api/v1/public/cases/{reference}/files/{published['id']}/pages/1.png")
    read = subprocess.run(
        ["tesseract", "-", "-", "-l", "srp_latn"], input=page.content, capture_output=True, check=True
    ).stdout.decode()
    assert "PRIJAVA" in read and "Izmi" not in read, read
    # The public page links the letter from the referral's timeline.
    html = (await anonymous.get(f"/cases/{reference}?lang=en", headers={"accept": "text/html"})).text
    documents = html.split('<ul class="referral-documents">')[1].split("</ul>")[0]
    assert f'href="/api/v1/public/cases/{reference}/files/{published["id"]}"' in documents
    assert "The document sent" in documents


async def test_only_the_review_team_adds_and_sees_a_referrals_documents(
    accounts: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    Clock(monkeypatch, D(2026, 3, 10))
    case, member, reviewer = await submitted_case(accounts)
    editor = await accounts.as_role("editor")
    case_id = case["id"]
    referral = (await reviewer.post(f"/api/v1/cases/{case_id}/referrals", json=REQUEST)).json()
    answered = await reviewer.post(
        f"/api/v1/cases/{case_id}/referrals/{referral['id']}/answers",
        json={"received_at": "2026-03-09", "outcome": "refused"},
    )
    answer_id = answered.json()["answers"][0]["id"]
    files = [("odgovor.pdf", samples.pdf("Odgovor opštinske uprave"))]
    before = await Attachment.count()

    # Bad input is refused before a byte is stored.
    for query, status, code in [
        ("?role=letter", 422, "document_role_unknown"),
        (f"?answer_id={case_id}", 404, "answer_not_found"),
        (f"?role=sent&answer_id={answer_id}", 422, "document_role_mismatch"),
    ]:
        refused = await add_documents(reviewer, case_id, referral["id"], files, query)
        assert (refused.status_code, refused.json()["code"]) == (status, code), query
    unknown = await add_documents(reviewer, case_id, case_id, files)
    assert (unknown.status_code, unknown.json()["code"]) == (404, "referral_not_found")
    empty = await add_documents(reviewer, case_id, referral["id"], [])
    assert (empty.status_code, empty.json()["code"]) == (422, "files_missing")
    # The member who filed the case, and members outside it, cannot add one.
    outsider = await accounts.as_role("member")
    for caller in (member, outsider):
        assert (await add_documents(caller, case_id, referral["id"], files)).status_code in (403, 404)
    assert await Attachment.count() == before

    added = await add_documents(reviewer, case_id, referral["id"], files, f"?answer_id={answer_id}")
    assert added.status_code == 201, added.text
    (document,) = added.json()
    assert (document["document_role"], document["referral_answer_id"]) == ("answer", answer_id)
    # Another editor of the team reads it; it is listed with the case's files for the team only.
    team_case = (await editor.get(f"/api/v1/cases/{case_id}")).json()
    assert document["id"] in [a["id"] for a in team_case["attachments"]]
    content = await editor.get(f"/api/v1/cases/{case_id}/attachments/{document['id']}/content")
    assert content.status_code == 200 and content.content == files[0][1]
    # The member sees what they filed, not the network's correspondence.
    filed = (await member.get(f"/api/v1/cases/{case_id}")).json()
    assert document["id"] not in [a["id"] for a in filed["attachments"]]
    hidden = await member.get(f"/api/v1/cases/{case_id}/attachments/{document['id']}/content")
    assert hidden.status_code == 404
