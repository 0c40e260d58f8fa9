"""The leak check reads every file to be published as the public will get it: scans with no text
layer through OCR (Tesseract, in Cyrillic and Latin), page by page, in the background; and it fails
safe when it cannot read them."""

from __future__ import annotations

import asyncio
import datetime
import subprocess
import time
import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from integrity.app import create_app
from integrity.context import ServiceContext
from integrity.publication import copies, filecheck
from integrity.publication.tables import CheckState, Rendition
from integrity.settings import Settings
from tests.cases.test_intake import NEW_CASE, upload
from tests.factories import AccountFactory, Caller, files_read
from tests.publication.test_publishing import act
from tests.redaction.handmade import scanned_pdf
from tests.web.helpers import HTML, post_form, visible_text

#: A witness statement scanned on a copier: two pages, the protected witness named on both, in
#: Cyrillic (declined) on page 1 and in Latin on page 2.
SCAN = scanned_pdf(
    [
        [
            "ЗАПИСНИК О САСЛУШАЊУ СВЕДОКА",
            "Сведок Петар Измишљеновић изјављује",
            "да је видео потписани уговор.",
        ],
        ["Ugovor je potpisan u martu.", "Potpis: Petar Izmišljenović"],
    ]
)


async def scan_case(accounts: AccountFactory) -> tuple[str, str, Caller, Caller]:
    """A verified case whose only file is SCAN; (case id, file id, reviewer, editor)."""
    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    editor = await accounts.as_role("editor")
    case = (await member.post("/api/v1/cases", json=NEW_CASE)).json()
    uploaded = await upload(member, case["id"], [("izjava-sken.pdf", SCAN)])
    assert uploaded.status_code == 201, uploaded.text
    await member.post(f"/api/v1/cases/{case['id']}/submit")
    await act(reviewer, case["id"], "start_review")
    await act(reviewer, case["id"], "verify")
    return case["id"], uploaded.json()[0]["id"], reviewer, editor


def texts(file_id: str, decision: str) -> dict[str, Any]:
    return {
        "public_title": "Svedočenje o ugovoru",
        "public_summary": "Svedok je video potpisani ugovor.",
        "public_body": "Ugovor je potpisan u martu, bez javnog poziva.",
        "attachments": [{"attachment_id": file_id, "decision": decision}],
    }


async def test_a_scan_naming_a_protected_witness_in_cyrillic_is_refused_through_ocr(
    accounts: AccountFactory,
) -> None:
    case_id, file_id, reviewer, editor = await scan_case(accounts)
    saved = await reviewer.put(
        f"/api/v1/cases/{case_id}/publication", json=texts(file_id, "publish_as_filed")
    )
    assert saved.status_code == 200, saved.text
    draft = await files_read(reviewer, case_id)
    check = draft["leak_check"]
    assert not check["ok"] and check["pending"] == [] and check["failed"] == []
    # The scan has no text layer: only OCR can have found the name, on both pages.
    assert {(f["field"], f["attachment_id"], f["page"], f["source"]) for f in check["findings"]} == {
        ("file", file_id, 1, "ocr"),
        ("file", file_id, 2, "ocr"),
    }
    first = next(f for f in check["findings"] if f["page"] == 1)
    # "Сведок Петар Измишљеновић" is the second line: 1/10 + 1/16 of the page down.
    assert first["box"]["y"] == pytest.approx(0.1 + 1 / 16, abs=0.02)
    assert "Измишљ" not in first["excerpt"] and "Izmi" not in first["excerpt"]
    refused = await act(editor, case_id, "approve")
    assert refused.status_code == 409
    assert "on page 1" in refused.json()["detail"] and "on page 2" in refused.json()["detail"]

    # The approvers see every page as the public would get it, the name framed where it was found.
    rendition_id = draft["attachments"][0]["rendition_id"]
    for path in (f"/app/cases/{case_id}/publication", f"/app/cases/{case_id}/publication/preview"):
        shown = await editor.get(path + "?lang=en", headers={"accept": "text/html"})
        assert shown.status_code == 200, path
        html = shown.text
        for number in (1, 2):
            assert f"/api/v1/cases/{case_id}/renditions/{rendition_id}/pages/{number}.png" in html
        assert html.count('<figure class="published-page has-finding">') == 2
        assert "a protected name was found here" in html
    page_1 = await editor.get(f"/api/v1/cases/{case_id}/renditions/{rendition_id}/pages/1.png")
    assert page_1.status_code == 200 and page_1.content.startswith(b"\x89PNG")
    # Read by Debian's own tesseract command: the page shown is the copy, name and all.
    read = subprocess.run(
        ["tesseract", "-", "-", "-l", "srp+srp_latn"], input=page_1.content, capture_output=True, check=True
    ).stdout.decode()
    assert "Измишљ" in read or "Izmišlj" in read, read
    assert (
        await editor.get(f"/api/v1/cases/{case_id}/renditions/{rendition_id}/pages/3.png")
    ).status_code == 404


async def test_a_redaction_that_covers_page_1_but_not_page_2_is_refused(accounts: AccountFactory) -> None:
    case_id, file_id, reviewer, editor = await scan_case(accounts)
    # The box covers the witness's line on page 1 only.
    page_1_only = {"boxes": [{"page": 1, "x": 0.0, "y": 0.15, "width": 1.0, "height": 0.04}]}
    made = await reviewer.post(f"/api/v1/cases/{case_id}/attachments/{file_id}/redactions", json=page_1_only)
    assert made.status_code == 201, made.text
    await reviewer.put(f"/api/v1/cases/{case_id}/publication", json=texts(file_id, "publish_redacted"))
    check = (await files_read(reviewer, case_id))["leak_check"]
    assert [(f["page"], f["source"]) for f in check["findings"]] == [(2, "ocr")]
    assert (await act(editor, case_id, "approve")).status_code == 409

    # Both lines covered: the copy passes and can be approved.
    both = {"boxes": [*page_1_only["boxes"], {"page": 2, "x": 0.0, "y": 0.15, "width": 1.0, "height": 0.04}]}
    made = await reviewer.post(f"/api/v1/cases/{case_id}/attachments/{file_id}/redactions", json=both)
    assert made.status_code == 201, made.text
    await reviewer.put(f"/api/v1/cases/{case_id}/publication", json=texts(file_id, "publish_redacted"))
    draft = await files_read(reviewer, case_id)
    assert draft["leak_check"]["ok"], draft["leak_check"]
    assert (await act(editor, case_id, "approve")).status_code == 200


@pytest.fixture
async def no_tesseract(settings: Settings, engine: Any) -> Any:
    """An app on a server where Tesseract is not installed (its program is not where it is looked for)."""
    broken = settings.with_overrides(tesseract_command=f"/nonexistent/{uuid.uuid4().hex}/tesseract")
    app = create_app(broken, engine=engine)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        from tests.factories import isolate_test_pool

        isolate_test_pool(app)
        yield app, client, broken


async def test_without_tesseract_files_cannot_be_approved_and_readyz_says_what_to_install(
    no_tesseract: tuple[Litestar, AsyncTestClient[Litestar], Settings],
) -> None:
    app, client, broken = no_tesseract
    accounts = AccountFactory(app=app, client=client, settings=broken)  # type: ignore[arg-type]
    ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert (
        "tesseract-ocr tesseract-ocr-srp tesseract-ocr-srp-latn tesseract-ocr-eng"
        in ready.json()["checks"]["ocr"]
    )

    case_id, file_id, reviewer, editor = await scan_case(accounts)
    await reviewer.put(f"/api/v1/cases/{case_id}/publication", json=texts(file_id, "publish_as_filed"))
    draft = await files_read(reviewer, case_id)
    assert draft["leak_check"]["failed"] == [file_id] and not draft["leak_check"]["ok"]
    decision = draft["attachments"][0]
    assert (decision["check_state"], decision["check_problem"]) == ("failed", "ocr_unavailable")
    assert [b["code"] for b in draft["blockers"]] == ["file_check_failed"]
    refused = await act(editor, case_id, "approve")
    assert refused.status_code == 409 and "could not be read" in refused.json()["detail"]

    page = await reviewer.get(f"/app/cases/{case_id}/publication?lang=en", headers={"accept": "text/html"})
    assert "Tesseract, which reads the files, is not installed on the server" in page.text
    assert "tesseract-ocr-srp-latn" in page.text


async def test_a_reading_abandoned_by_a_dead_worker_is_queued_again_and_done(
    accounts: AccountFactory, app: Litestar
) -> None:
    case_id, file_id, reviewer, _ = await scan_case(accounts)
    await reviewer.put(f"/api/v1/cases/{case_id}/publication", json=texts(file_id, "publish_as_filed"))
    await files_read(reviewer, case_id)
    row = await Rendition.select(Rendition.id).where(Rendition.attachment == uuid.UUID(file_id)).first()
    # As a worker killed mid-reading leaves it: running, its heartbeat long stopped, nothing read.
    long_ago = datetime.datetime.now(datetime.UTC) - filecheck.ABANDONED_AFTER - datetime.timedelta(minutes=1)
    await Rendition.update(
        {
            Rendition.check_state: CheckState.running,
            Rendition.check_claimed_at: long_ago,
            Rendition.check_sealed: None,
            Rendition.checked_pages: 1,
        }
    ).where(Rendition.id == row["id"])
    draft = (await reviewer.get(f"/api/v1/cases/{case_id}/publication")).json()
    assert draft["leak_check"]["pending"] == [file_id] and not draft["leak_check"]["ok"]
    # A worker that is alive (the app's own, every second) finds it, and reads it again from page 1.
    draft = await files_read(reviewer, case_id)
    assert draft["attachments"][0]["check_state"] == "done"
    assert {f["page"] for f in draft["leak_check"]["findings"]} == {1, 2}
    state = app.state
    ctx = ServiceContext(vault=state.vault, signer=state.signer, settings=state.settings)
    assert await filecheck.requeue_abandoned() == 0 and await filecheck.run_pending(ctx) == 0


async def test_search_and_redact_finds_the_name_on_every_page_and_its_boxes_make_a_clean_copy(
    accounts: AccountFactory,
) -> None:
    case_id, file_id, reviewer, editor = await scan_case(accounts)
    search = f"/api/v1/cases/{case_id}/attachments/{file_id}/redactions/search"
    # A scan has no text layer: the first search queues the reading of its pages and says so.
    first = await reviewer.post(search, json={"name": "Petar Izmišljenović"})
    assert first.status_code == 200, first.text
    assert first.json()["reading"] is True and first.json()["boxes"] == []
    deadline = time.monotonic() + 120
    while (found := (await reviewer.post(search, json={"name": "Petar Izmišljenović"})).json())["reading"]:
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.3)
    # Found on both pages: in Cyrillic and declined on page 1, in Latin on page 2.
    assert [box["page"] for box in found["boxes"]] == [1, 2], found
    assert all(box["y"] == pytest.approx(0.1 + 1 / 16, abs=0.03) for box in found["boxes"])
    assert (await reviewer.post(search, json={"name": "  "})).status_code == 422

    made = await reviewer.post(
        f"/api/v1/cases/{case_id}/attachments/{file_id}/redactions", json={"boxes": found["boxes"]}
    )
    assert made.status_code == 201, made.text
    await reviewer.put(f"/api/v1/cases/{case_id}/publication", json=texts(file_id, "publish_redacted"))
    draft = await files_read(reviewer, case_id)
    assert draft["leak_check"]["ok"], draft["leak_check"]
    assert (await act(editor, case_id, "approve")).status_code == 200

    # The page: a reviewer types the name, the boxes are proposed in the form.
    page = await reviewer.get(f"/app/cases/{case_id}/files/{file_id}/redact?lang=en", headers=HTML)
    assert 'list="protected-names"' in page.text and "Petar Izmišljenović" in page.text
    proposed = await post_form(
        reviewer,
        f"/app/cases/{case_id}/files/{file_id}/redact?lang=en",
        {"do": "find", "find_name": "Izmišljenović", "view_page": "1"},
    )
    assert proposed.status_code == 200 and "2 boxes were proposed" in visible_text(proposed.text)
    assert 'name="box-1-page"' in proposed.text and 'value="2"' in proposed.text
    # A name the file does not hold proposes nothing, and the page does not pretend it found some.
    none = await post_form(
        reviewer,
        f"/app/cases/{case_id}/files/{file_id}/redact?lang=en",
        {"do": "find", "find_name": "Nepostojeći Nadimak", "view_page": "1"},
    )
    assert "The name was not found in the file" in visible_text(none.text)
    assert "0 boxes were proposed" not in visible_text(none.text)


async def test_a_copy_the_reader_chokes_on_fails_safe_once(app: Litestar, accounts: AccountFactory) -> None:
    """A stored copy that is not the image it claims to be (a damaged file, a bug) fails its reading
    for good, with a problem code: it is not approvable, and it is not retried forever."""
    from tests.publication.factories import Publisher

    damaged = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    case = await Publisher(app).publish(files=[damaged])
    (rendition_id,) = case.rendition_ids
    await Rendition.update({Rendition.check_state: CheckState.pending}).where(Rendition.id == rendition_id)
    deadline = time.monotonic() + 60
    while True:
        row = await Rendition.select().where(Rendition.id == rendition_id).first()
        if row["check_state"] not in (CheckState.pending, CheckState.running):
            break
        assert time.monotonic() < deadline, row["check_state"]
        await asyncio.sleep(0.2)
    assert (row["check_state"], row["check_problem"]) == ("failed", "processing_failed")


async def test_with_worker_processes_the_server_leaves_readings_to_integrity_worker(
    settings: Settings, engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """INTEGRITY_JOBS=worker: the server only records the need; `integrity worker --once` (another
    process, the same database and key ring) reads the file and stops."""
    import os
    import sys

    leaving = settings.with_overrides(jobs="worker")
    # The server does not wait for the cleaned copy a worker makes (see test_copies).
    monkeypatch.setattr(copies, "WAIT_SECONDS", 0.0)
    app = create_app(leaving, engine=engine)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        accounts = AccountFactory(app=app, client=client, settings=leaving)
        case_id, file_id, reviewer, _ = await scan_case(accounts)
        saved = await reviewer.put(
            f"/api/v1/cases/{case_id}/publication", json=texts(file_id, "publish_as_filed")
        )
        assert saved.status_code == 200, saved.text
        await asyncio.sleep(2)
        draft = (await reviewer.get(f"/api/v1/cases/{case_id}/publication")).json()
        # Nothing was read here: on PostgreSQL the copy itself waits for a worker; on the embedded
        # default (whose queue lives in the process) it was made in the request, and waits to be read.
        waiting = draft["leak_check"]["pending"] == [file_id]
        assert waiting or [b["code"] for b in draft["blockers"]] == ["file_without_copy"], draft

        env = {
            **os.environ,
            "INTEGRITY_DATA_DIR": str(settings.data_dir),
            "INTEGRITY_DATABASE_URL": settings.database.url,
        }
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "integrity.cli", "worker", "--once"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert "queued work done" in done.stdout
        draft = (await reviewer.get(f"/api/v1/cases/{case_id}/publication")).json()
        assert draft["leak_check"]["pending"] == [] and draft["attachments"][0]["check_state"] == "done"
        assert {f["page"] for f in draft["leak_check"]["findings"]} == {1, 2}
