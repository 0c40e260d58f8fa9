"""From a verified case to a published one: draft, leak check, redaction, approval, publication,
correction and retraction, with every published file's custody proof checked as an outsider would."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import uuid
from datetime import UTC, datetime
from typing import Any

import pypdfium2 as pdfium
import pytest
from PIL import Image

from integrity.publication.tables import CheckState, PublicCase, PublishedFile, PublishedRevision, Rendition
from tests import samples
from tests.cases.test_intake import NEW_CASE, upload
from tests.custody import rfc9162
from tests.factories import AccountFactory, Caller, files_read
from tests.redaction.handmade import photo_jpeg, text_pdf

WITNESS = "Petar Izmišljenović"


def pdftotext(data: bytes) -> str:
    """poppler's pdftotext on `data` (CI installs poppler-utils; elsewhere the check is skipped)."""
    tool = shutil.which("pdftotext")
    if tool is None:
        if os.environ.get("CI"):
            raise AssertionError("CI must have pdftotext (apt-get install -y poppler-utils)")
        return ""
    return subprocess.run([tool, "-q", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


async def act(caller: Caller, case_id: str, action: str, reason: str | None = None) -> Any:
    body: dict[str, Any] = {"action": action}
    if reason:
        body["reason"] = reason
    return await caller.post(f"/api/v1/cases/{case_id}/transitions", json=body)


async def change_publicly(
    accounts: AccountFactory, editor: Caller, case_id: str, action: str, reason: str
) -> Any:
    """A correction or retraction as it goes out: `editor` proposes it, another editor confirms it;
    the confirmation's answer."""
    proposed = await act(editor, case_id, action, reason=reason)
    assert proposed.status_code == 200, proposed.text
    second = await accounts.as_role("editor")
    return await act(
        second, case_id, {"correct": "confirm_correction", "retract": "confirm_retraction"}[action]
    )


async def verified_case(
    accounts: AccountFactory, **changes: Any
) -> tuple[dict[str, Any], Caller, Caller, list[dict[str, Any]]]:
    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    editor = await accounts.as_role("editor")
    created = await member.post("/api/v1/cases", json={**NEW_CASE, **changes})
    case = created.json()
    pdf = text_pdf(b"BT /F1 14 Tf 72 700 Td (Svedok Petar Izmisljenovic je video ugovor.) Tj ET")
    files = await upload(
        member,
        case["id"],
        [
            ("foto.jpg", photo_jpeg(orientation=1)),
            ("zapisnik.pdf", pdf),
            ("beleska.txt", samples.text("interno")),
        ],
    )
    assert files.status_code == 201, files.text
    await member.post(f"/api/v1/cases/{case['id']}/submit")
    await act(reviewer, case["id"], "start_review")
    # The reviewer links the actors who may be named publicly to shared records.
    for actor in case["actors"]:
        if not actor["protect_identity"]:
            linked = await reviewer.post(
                f"/api/v1/cases/{case['id']}/actors/{actor['actor_id']}/link", json={"name": actor["name"]}
            )
            assert linked.status_code == 200, linked.text
    await act(reviewer, case["id"], "verify")
    return case, reviewer, editor, files.json()


def draft(files: list[dict[str, Any]], body: str, actors: list[str] | None = None) -> dict[str, Any]:
    photo, pdf, note = files
    return {
        "public_title": "Nameštena nabavka javne rasvete",
        "public_summary": "Ugovor je dodeljen povezanoj firmi.",
        "public_body": body,
        "public_actor_ids": actors or [],
        "attachments": [
            {"attachment_id": photo["id"], "decision": "publish_redacted"},
            {"attachment_id": pdf["id"], "decision": "publish_redacted"},
            {"attachment_id": note["id"], "decision": "withhold"},
        ],
    }


#: Over the left half of the photo, and over the line of the PDF that names the witness.
PHOTO_BOXES = {"boxes": [{"page": 1, "x": 0.0, "y": 0.0, "width": 0.5, "height": 1.0}]}
PDF_BOXES = {"boxes": [{"page": 1, "x": 0.0, "y": 0.05, "width": 1.0, "height": 0.1}]}


async def redact_files(reviewer: Caller, case_id: str, files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The photo and the PDF of `verified_case` redacted as `draft` publishes them."""
    made = []
    for attachment, boxes in zip(files[:2], (PHOTO_BOXES, PDF_BOXES), strict=True):
        redacted = await reviewer.post(
            f"/api/v1/cases/{case_id}/attachments/{attachment['id']}/redactions", json=boxes
        )
        assert redacted.status_code == 201, redacted.text
        made.append(redacted.json())
    return made


async def test_a_verified_case_is_redacted_approved_and_published(accounts: AccountFactory) -> None:
    case, reviewer, editor, files = await verified_case(accounts)
    case_id = case["id"]
    photo, pdf, note = files
    view = (await reviewer.get(f"/api/v1/cases/{case_id}")).json()
    company = next(a for a in view["actors"] if not a["protect_identity"])
    witness = next(a for a in view["actors"] if a["protect_identity"])

    # The leak check catches the protected name in Cyrillic, without diacritics, declined.
    leaky = await reviewer.put(
        f"/api/v1/cases/{case_id}/publication",
        json=draft(
            files, "Према речима сведока Петра Измишљеновића, уговор је намештен.", [company["actor_id"]]
        ),
    )
    assert leaky.status_code == 200, leaky.text
    check = leaky.json()["leak_check"]
    assert not check["ok"]
    assert [(f["location"], f["actor_id"]) for f in check["findings"]] == [
        ("public_body", witness["actor_id"])
    ]
    assert "Петра" not in check["findings"][0]["excerpt"]
    assert any("no redacted copy" in item for item in leaky.json()["missing"])

    # A protected actor can never be made public.
    exposed = await reviewer.put(
        f"/api/v1/cases/{case_id}/publication", json=draft(files, "Tekst.", [witness["actor_id"]])
    )
    assert exposed.status_code == 422

    # Approval is refused while the draft leaks or misses a rendition.
    refused = await act(editor, case_id, "approve")
    assert refused.status_code == 409 and "leak check" in refused.json()["detail"]

    # The drawing tool: a preview of the photo, then a box over its left half.
    preview = await reviewer.get(f"/api/v1/cases/{case_id}/attachments/{photo['id']}/pages/1.png")
    assert preview.status_code == 200 and preview.content.startswith(b"\x89PNG")
    redacted = await reviewer.post(
        f"/api/v1/cases/{case_id}/attachments/{photo['id']}/redactions", json=PHOTO_BOXES
    )
    assert redacted.status_code == 201, redacted.text
    rendition = redacted.json()
    assert (
        await reviewer.get(f"/api/v1/cases/{case_id}/attachments/{note['id']}/pages/1.png")
    ).status_code == 422

    # The PDF names the witness: published as filed, the leak check reads it (as the public would
    # get it, and in the original's text layer) and finds the name on page 1, where it is printed.
    as_filed = draft(files, "Prema rečima svedoka, ugovor je nameštena.", [company["actor_id"]])
    as_filed["attachments"][1]["decision"] = "publish_as_filed"
    saved = await reviewer.put(f"/api/v1/cases/{case_id}/publication", json=as_filed)
    # Both copies are read in the background (the photo's may be done already).
    assert saved.status_code == 200 and set(saved.json()["leak_check"]["pending"]) <= {photo["id"], pdf["id"]}
    assert not saved.json()["leak_check"]["ok"]
    # While a file is being read (as a worker reading it right now leaves it), nothing is approved.
    copy_id = next(d["rendition_id"] for d in saved.json()["attachments"] if d["attachment_id"] == pdf["id"])
    await files_read(reviewer, case_id)
    reading = {Rendition.check_state: CheckState.running, Rendition.check_claimed_at: datetime.now(UTC)}
    await Rendition.update(reading).where(Rendition.id == uuid.UUID(copy_id))
    refused = await act(editor, case_id, "approve")
    assert refused.status_code == 409 and "still being read" in refused.json()["detail"]
    await Rendition.update({Rendition.check_state: CheckState.pending}).where(
        Rendition.id == uuid.UUID(copy_id)
    )
    read = await files_read(reviewer, case_id)
    findings = read["leak_check"]["findings"]
    assert {(f["field"], f["attachment_id"], f["page"], f["actor_id"]) for f in findings} == {
        ("file", pdf["id"], 1, witness["actor_id"])
    }
    assert {f["source"] for f in findings} == {"ocr", "text_layer"}
    for finding in findings:  # the name's line: 700 pt up a 792 pt page, from 72 pt in
        assert finding["box"]["x"] == pytest.approx(0.25, abs=0.08)
        assert finding["box"]["y"] == pytest.approx(0.1, abs=0.03)
        assert "Izmi" not in finding["excerpt"]
    refused = await act(editor, case_id, "approve")
    assert refused.status_code == 409 and "on page 1" in refused.json()["detail"]

    # Redacted over that line, the PDF passes.
    pdf_redacted = await reviewer.post(
        f"/api/v1/cases/{case_id}/attachments/{pdf['id']}/redactions", json=PDF_BOXES
    )
    assert pdf_redacted.status_code == 201, pdf_redacted.text
    await reviewer.put(
        f"/api/v1/cases/{case_id}/publication",
        json=draft(files, "Prema rečima svedoka, ugovor je nameštena.", [company["actor_id"]]),
    )
    clean = await files_read(reviewer, case_id)
    assert clean["leak_check"] == {"ok": True, "findings": [], "pending": [], "failed": []}
    assert clean["missing"] == []
    decisions = {d["attachment_id"]: d for d in clean["attachments"]}
    assert decisions[photo["id"]]["rendition_id"] == rendition["id"]
    assert decisions[pdf["id"]]["check_state"] == "done" and decisions[pdf["id"]]["checked_pages"] == 1

    shown = (await reviewer.get(f"/api/v1/cases/{case_id}/publication/preview")).json()
    assert shown["title"] == "Nameštena nabavka javne rasvete"
    assert [f["content_type"] for f in shown["files"]] == ["image/jpeg", "application/pdf"]
    assert shown["actors"] == [
        {
            "id": company["actor_id"],
            "name": company["name"],
            "kind": "company",
            "role": company["role"],
            "aliases": [],
        }
    ]
    assert WITNESS not in json.dumps(shown, ensure_ascii=False)

    # Four eyes, then publication by an editor.
    approved = await act(editor, case_id, "approve")
    assert approved.status_code == 200, approved.text
    published = await act(editor, case_id, "publish")
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"

    revision = (
        await PublishedRevision.select().where(PublishedRevision.public_case.case == case["id"]).first()
    )
    assert revision["revision"] == 1 and revision["is_current"]
    assert WITNESS not in revision["body"] and "Izmisljenovic" not in revision["search_text"]
    public_files = (
        await PublishedFile.select()
        .where(PublishedFile.revision == revision["id"])
        .order_by(PublishedFile.filename)
    )
    # The public reference counts publications, not filings: the first case published this year.
    assert revision["reference"] == f"IN-{revision['published_at'].year}-0001" != case["reference"]
    assert case["reference"].startswith("PR-")
    assert len(public_files) == 2 and all(
        f["filename"].startswith(revision["reference"]) for f in public_files
    )

    # The public photo: black where the box was, the rest kept, no metadata at all.
    photo_bytes = (
        await reviewer.get(f"/api/v1/cases/{case_id}/renditions/{rendition['id']}/content")
    ).content
    assert hashlib.sha256(photo_bytes).hexdigest() == rendition["sha256"]
    image = Image.open(io.BytesIO(photo_bytes))
    assert image.getpixel((20, 50)) == (0, 0, 0)
    red, green, blue = image.getpixel((180, 50))
    assert blue > 150 and red < 90
    assert not image.getexif() and b"Exif" not in photo_bytes and b"GPS" not in photo_bytes

    # The public PDF has no text layer at all: neither PDFium nor poppler's pdftotext finds any.
    pdf_file = next(f for f in public_files if f["content_type"] == "application/pdf")
    pdf_bytes = (
        await reviewer.get(f"/api/v1/cases/{case_id}/renditions/{pdf_file['rendition']}/content")
    ).content
    document = pdfium.PdfDocument(pdf_bytes)
    assert all(document[i].get_textpage().get_text_range() == "" for i in range(len(document)))
    assert b"Izmisljenovic" not in pdf_bytes
    assert pdftotext(pdf_bytes).strip() == ""

    # Every published file proves it was recorded: its entry is public and in a signed checkpoint.
    keys = (await accounts.anonymous().get("/api/v1/public/keys")).json()["keys"]
    checkpoint = (await accounts.anonymous().get("/api/v1/public/custody/checkpoint")).json()
    message = rfc9162.canonical({k: checkpoint[k] for k in ("tree_size", "root_hash", "signed_at")})
    public_key = {k["key_id"]: k["public_key"] for k in keys}[checkpoint["key_id"]]
    assert rfc9162.ed25519_verifies(public_key, message, checkpoint["signature"])
    for public_file in public_files:
        for seq in (public_file["custody_seq"], public_file["source_seq"]):
            entry = (await accounts.anonymous().get(f"/api/v1/public/custody/entries/{seq}")).json()
            recomputed = hashlib.sha256(
                bytes.fromhex(entry["prev_hash"]) + rfc9162.canonical(entry["entry"])
            ).hexdigest()
            assert recomputed == entry["entry_hash"]
            proof = (
                await accounts.anonymous().get("/api/v1/public/custody/proof", params={"seq": seq})
            ).json()
            leaf = rfc9162.hash_leaf(bytes.fromhex(proof["entry_hash"]))
            path = [bytes.fromhex(node) for node in proof["audit_path"]]
            assert rfc9162.verifies_inclusion(
                seq - 1, proof["tree_size"], leaf, path, bytes.fromhex(checkpoint["root_hash"])
            )
        made = (
            await accounts.anonymous().get(f"/api/v1/public/custody/entries/{public_file['custody_seq']}")
        ).json()
        assert made["entry"]["details"]["sha256"] == public_file["sha256"]
    withheld_upload = note["custody_seq"]
    assert (
        await accounts.anonymous().get(f"/api/v1/public/custody/entries/{withheld_upload}")
    ).status_code == 404

    # A correction adds revision 2 with a public note; a retraction keeps the page with a notice.
    assert (await act(editor, case_id, "correct")).status_code == 422
    second_editor = await accounts.as_role("editor")
    await second_editor.put(
        f"/api/v1/cases/{case_id}/publication",
        json=draft(files, "Ispravljen tekst: ugovor je dodeljen bez tendera.", [company["actor_id"]]),
    )
    # Four eyes on every public change: one editor proposes, the public sees nothing yet, and the
    # same editor cannot confirm it.
    proposed = await act(editor, case_id, "correct", reason="Ispravljen datum ugovora.")
    assert proposed.status_code == 200 and proposed.json()["status"] == "published", proposed.text
    assert await PublishedRevision.count().where(PublishedRevision.public_case.case == case["id"]) == 1
    alone = await act(editor, case_id, "confirm_correction")
    assert alone.status_code == 409 and alone.json()["code"] == "four_eyes_proposal"
    # Nor can whoever last changed the draft; and a change to the draft after the proposal drops it.
    assert (await act(second_editor, case_id, "confirm_correction")).json()["code"] == "four_eyes_draft"
    changed = await reviewer.put(
        f"/api/v1/cases/{case_id}/publication",
        json=draft(files, "Drugi tekst, koji niko nije predložio.", [company["actor_id"]]),
    )
    assert changed.json()["voided"] == "correction"
    dropped = await act(await accounts.as_role("editor"), case_id, "confirm_correction")
    assert dropped.status_code == 409 and dropped.json()["code"] == "no_correction_proposed"
    await reviewer.put(
        f"/api/v1/cases/{case_id}/publication",
        json=draft(files, "Ispravljen tekst: ugovor je dodeljen bez tendera.", [company["actor_id"]]),
    )
    corrected = await change_publicly(accounts, editor, case_id, "correct", "Ispravljen datum ugovora.")
    assert corrected.status_code == 200, corrected.text
    revisions = (
        await PublishedRevision.select()
        .where(PublishedRevision.public_case.case == case["id"])
        .order_by(PublishedRevision.revision)
    )
    assert [(r["revision"], r["is_current"], r["correction_note"]) for r in revisions] == [
        (1, False, None),
        (2, True, "Ispravljen datum ugovora."),
    ]
    assert revisions[1]["body"] == "Ispravljen tekst: ugovor je dodeljen bez tendera."
    assert (await act(editor, case_id, "retract", reason="Izvor je povukao izjavu.")).status_code == 200
    public = await PublicCase.select().where(PublicCase.case == case["id"]).first()
    assert not public["retracted"] and public["retraction_note"] is None  # only proposed
    assert (await act(editor, case_id, "confirm_retraction")).json()["code"] == "four_eyes_proposal"
    retracted = await act(await accounts.as_role("editor"), case_id, "confirm_retraction")
    assert retracted.status_code == 200 and retracted.json()["status"] == "retracted"
    public = await PublicCase.select().where(PublicCase.case == case["id"]).first()
    assert public["retracted"] and public["retraction_note"] == "Izvor je povukao izjavu."


async def test_only_images_and_pdfs_can_be_published(accounts: AccountFactory) -> None:
    case, reviewer, _, files = await verified_case(accounts)
    body = draft(files, "Tekst.")
    body["attachments"][2]["decision"] = "publish_as_filed"
    response = await reviewer.put(f"/api/v1/cases/{case['id']}/publication", json=body)
    assert response.status_code == 422 and "withheld" in response.json()["detail"]
    note = files[2]
    redaction = await reviewer.post(
        f"/api/v1/cases/{case['id']}/attachments/{note['id']}/redactions",
        json={"boxes": [{"page": 1, "x": 0, "y": 0, "width": 1, "height": 1}]},
    )
    assert redaction.status_code == 422


async def test_the_submitter_and_outsiders_cannot_touch_the_publication(accounts: AccountFactory) -> None:
    case, _, _, files = await verified_case(accounts)
    submitter = await accounts.caller(
        next(m for m in [await accounts.create("member")] if m)  # another member: cannot see the case
    )
    assert (await submitter.get(f"/api/v1/cases/{case['id']}/publication")).status_code == 404
    admin = await accounts.as_role("admin")
    assert (
        await admin.put(f"/api/v1/cases/{case['id']}/publication", json=draft(files, "x"))
    ).status_code == 404


async def _published_case(accounts: AccountFactory, **changes: Any) -> tuple[dict[str, Any], Caller, Caller]:
    """A case published with its photo withheld and its PDF redacted over the witness's name."""
    case, reviewer, editor, files = await verified_case(accounts, **changes)
    pdf = files[1]
    redacted = await reviewer.post(
        f"/api/v1/cases/{case['id']}/attachments/{pdf['id']}/redactions", json=PDF_BOXES
    )
    assert redacted.status_code == 201, redacted.text
    body = draft(files, "Prema rečima svedoka, ugovor je nameštena.")
    body["attachments"][0]["decision"] = "withhold"
    saved = await reviewer.put(f"/api/v1/cases/{case['id']}/publication", json=body)
    assert saved.status_code == 200, saved.text
    assert (await files_read(reviewer, case["id"]))["leak_check"]["ok"]
    assert (await act(editor, case["id"], "approve")).status_code == 200
    assert (await act(editor, case["id"], "publish")).status_code == 200
    return case, reviewer, editor


async def test_a_correction_or_retraction_note_naming_a_protected_person_is_refused(
    accounts: AccountFactory,
) -> None:
    """The notes are public (on the case file and in the feed); they used to go out unchecked."""
    case, _, editor = await _published_case(accounts)
    notes = [
        "Ispravka: svedok Petar Izmišljenović je povukao deo izjave.",
        "Исправка по захтеву сведока Петра Измишљеновића.",
        "Izvor (Izmisljenovic) je povukao izjavu.",
    ]
    for action in ("correct", "retract"):
        for note in notes:
            refused = await act(editor, case["id"], action, reason=note)
            assert refused.status_code == 409, (action, note, refused.text)
            problem = refused.json()
            assert (problem["code"], problem["field"]) == ("leak_in_note", "reason")
            assert "Izmi" not in problem["detail"] and "Изми" not in problem["detail"]
    revisions = await PublishedRevision.select().where(PublishedRevision.public_case.case == case["id"])
    assert [(r["revision"], r["correction_note"]) for r in revisions] == [(1, None)]
    public = await PublicCase.select().where(PublicCase.case == case["id"]).first()
    assert not public["retracted"] and public["retraction_note"] is None
    feed = await accounts.anonymous().get("/feed.atom")
    assert "Izmi" not in feed.text and "Изми" not in feed.text
    # A note that names nobody goes out.
    retracted = await change_publicly(accounts, editor, case["id"], "retract", "Izvor je povukao izjavu.")
    assert retracted.status_code == 200


async def test_the_leak_check_finds_the_name_of_the_member_who_filed_the_case(
    accounts: AccountFactory,
) -> None:
    member = await accounts.create(
        "member", email="jelena.vukadinovic@example.org", display_name="Jelena V. (Kraljevo)"
    )
    reviewer = await accounts.as_role("reviewer")
    filer = await accounts.caller(member)
    created = await filer.post("/api/v1/cases", json=NEW_CASE)
    case_id = created.json()["id"]
    await filer.post(f"/api/v1/cases/{case_id}/submit")
    await act(reviewer, case_id, "start_review")
    saved = await reviewer.put(
        f"/api/v1/cases/{case_id}/publication",
        json={
            "public_title": "Nabavka",
            "public_summary": "Prijavila je Јелена Вукадиновић.",
            # The note in brackets of a display name is not searched as a name.
            "public_body": "Ugovor je potpisan u Kraljevu.",
            "public_actor_ids": [],
            "attachments": [],
        },
    )
    check = saved.json()["leak_check"]
    assert not check["ok"]
    assert [(f["location"], f["actor_id"]) for f in check["findings"]] == [("public_summary", None)]


async def test_a_month_known_incident_is_published_with_no_day(accounts: AccountFactory) -> None:
    case, _, _ = await _published_case(accounts, incident_date="2026-03-14", incident_date_precision="month")
    stored = await PublishedRevision.select().where(PublishedRevision.public_case.case == case["id"]).first()
    assert stored["incident_date"].isoformat() == "2026-03-01"
    public = (await accounts.anonymous().get(f"/api/v1/public/cases/{stored['reference']}")).json()
    assert (public["incident_date"], public["incident_date_precision"]) == ("2026-03", "month")


async def test_the_draft_may_publish_the_incident_date_less_precisely_never_more(
    accounts: AccountFactory,
) -> None:
    case, reviewer, editor, files = await verified_case(accounts, incident_date="2026-03-14")
    body = draft(files, "Prema rečima svedoka, ugovor je nameštena.")
    body["attachments"] = [{**a, "decision": "withhold"} for a in body["attachments"]]
    # A day known to the member may go out as the year only (a day can identify a witness).
    saved = await reviewer.put(
        f"/api/v1/cases/{case['id']}/publication", json={**body, "incident_date_precision": "year"}
    )
    assert saved.status_code == 200 and saved.json()["incident_date_precision"] == "year", saved.text
    preview = (await reviewer.get(f"/api/v1/cases/{case['id']}/publication/preview")).json()
    assert (preview["incident_date"], preview["incident_date_precision"]) == ("2026", "year")
    assert (await act(editor, case["id"], "approve")).status_code == 200
    assert (await act(editor, case["id"], "publish")).status_code == 200
    stored = await PublishedRevision.select().where(PublishedRevision.public_case.case == case["id"]).first()
    assert stored["incident_date"].isoformat() == "2026-01-01"
    public = (await accounts.anonymous().get(f"/api/v1/public/cases/{stored['reference']}")).json()
    assert (public["incident_date"], public["incident_date_precision"]) == ("2026", "year")

    # Never more precisely than the member knew it.
    month_case, reviewer, _, files = await verified_case(
        accounts, incident_date="2026-03-14", incident_date_precision="month"
    )
    finer = await reviewer.put(
        f"/api/v1/cases/{month_case['id']}/publication",
        json={**draft(files, "Tekst."), "incident_date_precision": "day"},
    )
    assert finer.status_code == 422 and finer.json()["code"] == "precision_finer"


async def test_a_shared_records_other_names_are_leak_checked_approved_and_shown_at_a_readable_address(
    accounts: AccountFactory,
) -> None:
    case, reviewer, editor, files = await verified_case(accounts)
    company = next(a for a in case["actors"] if not a["protect_identity"])
    linked = next(
        a for a in (await reviewer.get(f"/api/v1/cases/{case['id']}")).json()["actors"] if a["shared"]
    )
    link = f"/api/v1/cases/{case['id']}/actors/{linked['actor_id']}/link"
    body = draft(files, "Ugovor je dobilo komunalno preduzeće.", [linked["actor_id"]])
    body["attachments"] = [{**a, "decision": "withhold"} for a in body["attachments"]]

    # A protected witness's name slipped in as another name of the shared record: the leak check
    # reads the record's other names as it reads its name, and approval is refused.
    added = await reviewer.post(link, json={"shared_actor_id": linked["actor_id"], "aliases": [WITNESS]})
    assert added.status_code == 200, added.text
    saved = await reviewer.put(f"/api/v1/cases/{case['id']}/publication", json=body)
    findings = saved.json()["leak_check"]["findings"]
    assert [(f["location"], f["actor_id"]) for f in findings] == [
        (f"actor:{linked['actor_id']}", next(a["actor_id"] for a in case["actors"] if a["protect_identity"]))
    ]
    assert (await act(editor, case["id"], "approve")).status_code == 409

    # With harmless other names, approved; a name added after the approval is not what was approved.
    from integrity.cases.tables import Actor

    await Actor.update({Actor.aliases: json.dumps(["JKP Primer"])}).where(Actor.id == linked["actor_id"])
    await reviewer.put(f"/api/v1/cases/{case['id']}/publication", json=body)
    assert (await act(editor, case["id"], "approve")).status_code == 200
    await Actor.update({Actor.aliases: json.dumps(["JKP Primer", "Komunalac"])}).where(
        Actor.id == linked["actor_id"]
    )
    refused = await act(editor, case["id"], "publish")
    assert refused.status_code == 409, refused.text
    await Actor.update({Actor.aliases: json.dumps(["JKP Primer"])}).where(Actor.id == linked["actor_id"])
    assert (await act(editor, case["id"], "publish")).status_code == 200

    # The public sees the other names, and the actor's page at a readable address.
    reference = (
        await PublishedRevision.select().where(PublishedRevision.public_case.case == case["id"]).first()
    )["reference"]
    anonymous = accounts.anonymous()
    public = (await anonymous.get(f"/api/v1/public/cases/{reference}")).json()
    shown = public["actors"][0]
    assert shown["aliases"] == ["JKP Primer"]
    assert shown["slug"] == f"javno-komunalno-preduzece-primer-{uuid.UUID(linked['actor_id']).hex[:12]}"
    page = await anonymous.get(f"/actors/{shown['slug']}?lang=en", headers={"accept": "text/html"})
    assert page.status_code == 200 and "Also known as: JKP Primer" in page.text
    # The id, and an address with an old name, lead there.
    for old in (linked["actor_id"], f"staro-ime-{uuid.UUID(linked['actor_id']).hex[:12]}"):
        moved = await anonymous.get(f"/actors/{old}?lang=en", follow_redirects=False)
        assert moved.status_code == 301 and moved.headers["location"] == f"/actors/{shown['slug']}?lang=en"
    for unknown in ("nepoznat-000000000000", "bez-broja", str(uuid.uuid4())):
        assert (await anonymous.get(f"/actors/{unknown}", headers={"accept": "text/html"})).status_code == 404
    assert company["name"] in page.text
    too_many = await reviewer.post(link, json={"shared_actor_id": linked["actor_id"], "aliases": ["x"] * 21})
    assert too_many.status_code == 422 and too_many.json()["code"] == "too_many_aliases"
