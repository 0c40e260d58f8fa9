"""The members' case pages through the test client: forms posted as browsers post them (with the CSRF
field, no header), messages next to the fields with the input kept, errors as pages, and every page in
the three languages with no English left in Serbian."""

from __future__ import annotations

import json
import re

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from integrity.cases.tables import Attachment, Case
from tests import samples
from tests.cases.test_intake import NEW_CASE, upload
from tests.factories import DEFAULT_PASSWORD, AccountFactory
from tests.web.helpers import (
    CASE_FIELDS,
    HTML,
    NO_HEADER,
    case_id_of,
    file_case,
    html_lang,
    multipart_form,
    post_form,
    serbian_msgids,
    visible_text,
)


async def test_filing_a_case_with_files_streams_them_into_the_case(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    response = await file_case(member, files=[("ugovor.pdf", samples.pdf()), ("slika.png", samples.png())])
    assert response.status_code == 303, response.text
    case_id = case_id_of(response)
    page = await member.get(f"/app/cases/{case_id}")
    assert page.status_code == 200
    text = visible_text(page.text)
    for expected in (
        "ugovor.pdf",
        "slika.png",
        "Petar Petrović",
        "identitet zaštićen",
        "Pera, Perica",
        "Čačak",
        "mart 2026",
        "Javne nabavke",
    ):
        assert expected in text, expected
    rows = await Attachment.select(Attachment.sha256, Attachment.size).where(Attachment.case == case_id)
    assert sorted(r["size"] for r in rows) == sorted([len(samples.pdf()), len(samples.png())])
    for row in rows:
        assert row["sha256"] in page.text


async def test_a_case_form_with_mistakes_comes_back_with_messages_and_the_input(
    accounts: AccountFactory,
) -> None:
    member = await accounts.as_role("member")
    fields = [(k, v) for k, v in CASE_FIELDS if k not in ("title", "categories")]
    fields += [("title", "   "), ("actor-3-kind", "person")]
    response = await file_case(member, fields, files=[("ugovor.pdf", samples.pdf())])
    assert response.status_code == 422
    text = visible_text(response.text)
    assert "Unesite naslov slučaja." in text
    assert "Izaberite bar jednu kategoriju." in text
    assert "Unesite ime ili ispraznite ostala polja u ovom redu." in text
    assert "Datoteke nisu sačuvane: izaberite ih ponovo." in text
    assert "Ugovor je dobio gradonačelnikov brat." in response.text  # kept
    assert 'value="Petar Petrović"' in response.text
    assert await Case.count() == 0
    # A date in the future is refused by the service and shown next to the date.
    future = [(k, "2099-01-01" if k == "incident_date" else v) for k, v in CASE_FIELDS]
    response = await file_case(member, future)
    assert response.status_code == 422
    assert (
        'id="incident_date-error"' in response.text
        and "Datum događaja ne može biti u budućnosti." in response.text
    )


async def test_a_refused_file_keeps_the_draft_and_says_why(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    response = await file_case(member, files=[("program.exe", b"MZ\x90\x00" + bytes(2000))])
    assert response.status_code == 415
    assert "Slučaj je sačuvan kao nacrt, ali datoteke nisu." in response.text
    assert "Ova vrsta datoteke se ne prihvata" in response.text
    assert await Case.count() == 1 and await Attachment.count() == 0


async def test_a_draft_is_edited_given_files_and_submitted_with_a_receipt(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    case_id = case_id_of(await file_case(member))
    edit = await member.get(f"/app/cases/{case_id}/edit")
    assert edit.status_code == 200 and 'value="Tender za popravku škole"' in edit.text
    fields = [
        (k, "Izmenjen naslov" if k == "title" else v) for k, v in CASE_FIELDS if not k.startswith("actor-1")
    ]
    saved = await post_form(member, f"/app/cases/{case_id}/edit", fields)
    assert saved.status_code == 200 and str(saved.url).endswith(case_id)  # followed the 303
    assert "Izmenjen naslov" in saved.text and "Opštinska uprava Čačak" not in saved.text

    body, content_type = multipart_form([], [("beleska.txt", samples.text())], csrf=member.csrf_token)
    added = await member.post(
        f"/app/cases/{case_id}/files",
        content=body,
        headers={"content-type": content_type, **NO_HEADER},
        follow_redirects=False,
    )
    assert added.status_code == 303
    empty, content_type = multipart_form([], [("", b"")], csrf=member.csrf_token)
    nothing = await member.post(
        f"/app/cases/{case_id}/files", content=empty, headers={"content-type": content_type, **NO_HEADER}
    )
    assert nothing.status_code == 422 and "Izaberite jednu ili više datoteka." in nothing.text

    attachment = await Attachment.select(Attachment.id).where(Attachment.case == case_id).first()
    page = await member.get(f"/app/cases/{case_id}")
    assert f"/app/cases/{case_id}/files/{attachment['id']}/delete" in page.text
    deleted = await post_form(member, f"/app/cases/{case_id}/files/{attachment['id']}/delete", {})
    assert deleted.status_code == 200 and "beleska.txt" not in deleted.text

    confirm = await member.get(f"/app/cases/{case_id}/submit")
    assert confirm.status_code == 200 and "Da, podnesi slučaj" in confirm.text
    submitted = await post_form(member, f"/app/cases/{case_id}/submit", {})
    assert submitted.status_code == 200 and str(submitted.url).endswith("/receipt")
    assert re.search(r"Potvrda o prijemu slučaja PR-\d{4}-\d{4}", submitted.text)
    download = await member.get(f"/app/cases/{case_id}/receipt.json")
    assert download.headers["content-disposition"].startswith('attachment; filename="receipt-PR-')
    receipt = download.json()
    assert set(receipt) == {"payload", "signature", "key_id"}
    assert json.loads(receipt["payload"])["case_id"] == case_id
    # Filed material is frozen: no edit, no upload, no delete offered; editing is refused.
    page = await member.get(f"/app/cases/{case_id}")
    assert "/edit" not in page.text and "/files" not in page.text
    # Only withdrawing the case is still offered.
    assert re.findall(r'action="/app/cases/[^"]+"', page.text) == [
        f'action="/app/cases/{case_id}/transitions"'
    ]
    assert 'name="action" value="withdraw"' in page.text
    refused = await post_form(member, f"/app/cases/{case_id}/edit", CASE_FIELDS)
    assert refused.status_code == 409 and "slučaj je podnet" in refused.text.lower()


async def test_other_members_cannot_tell_a_draft_from_a_missing_case(accounts: AccountFactory) -> None:
    owner = await accounts.as_role("member")
    case_id = case_id_of(await file_case(owner))
    other = await accounts.as_role("member")
    for url in (
        f"/app/cases/{case_id}",
        f"/app/cases/{case_id}/edit",
        "/app/cases/00000000-0000-4000-8000-000000000000",
    ):
        response = await other.get(url, headers=HTML)
        assert response.status_code == 404
        assert "Taj slučaj ne postoji ili vam nije dostupan." in response.text


@pytest.mark.parametrize("lang", ["sr-Latn", "sr-Cyrl", "en"])
async def test_every_page_renders_in_every_language(accounts: AccountFactory, lang: str) -> None:
    member = await accounts.as_role("member")
    admin = await accounts.as_role("admin")
    draft = case_id_of(await file_case(member, files=[("ugovor.pdf", samples.pdf())]))
    filed = case_id_of(await file_case(member))
    await post_form(member, f"/app/cases/{filed}/submit", {})
    pages = [
        (accounts.anonymous(), "/login"),
        (accounts.anonymous(), "/join/some-token"),
        (member, "/app/"),
        (member, "/app/?status=submitted"),
        (member, "/app/cases/new"),
        (member, f"/app/cases/{draft}"),
        (member, f"/app/cases/{draft}/edit"),
        (member, f"/app/cases/{draft}/submit"),
        (member, f"/app/cases/{filed}"),
        (member, f"/app/cases/{filed}/receipt"),
        (member, "/app/totp"),
        (member, "/app/cases/00000000-0000-4000-8000-000000000000"),
        (admin, "/app/admin/members"),
        (admin, "/app/admin/invitations"),
        (admin, "/app/totp"),
    ]
    english = serbian_msgids() if lang != "en" else []
    for caller, url in pages:
        separator = "&" if "?" in url else "?"
        response = await caller.get(f"{url}{separator}lang={lang}", headers=HTML)
        assert response.status_code in (200, 404), (url, response.status_code)
        assert html_lang(response) == lang, url
        text = visible_text(response.text)
        left = [msgid for msgid in english if msgid in text]
        assert not left, f"{url} in {lang} still says: {left}"
        if lang == "sr-Cyrl":
            # No Serbian Latin letters outside names, codes and what members typed.
            assert "Moji slučajevi" not in text and "Prijavi" not in text
        if lang == "en":
            assert "Slučaj" not in text and "Prijavi se" not in text


async def test_the_receipt_page_names_the_files_shows_local_time_and_links_to_verify(
    accounts: AccountFactory,
) -> None:
    from tests.review.test_service import submitted

    member, case = await submitted(accounts)
    page = await member.get(f"/app/cases/{case['id']}/receipt?lang=en", headers=HTML)
    text = visible_text(page.text)
    payload = json.loads((await member.get(f"/app/cases/{case['id']}/receipt.json")).json()["payload"])
    # The file by its name beside its hash; the time in Serbia's zone, the receipt's UTC beside it.
    assert "izvestaj.txt" in text and payload["files"][0]["sha256"] in page.text
    assert "izvestaj" not in json.dumps(payload)  # the signed receipt itself names no file
    assert "in the receipt, in UTC:" in text and f"<code>{payload['submitted_at']}</code>" in page.text
    assert "2026-" not in text.split("Submitted")[1].split("(")[0]  # shown as people write dates
    assert 'href="/verify#receipt"' in page.text and "In plain words" in text


async def test_a_report_written_while_the_session_ended_is_kept_through_a_new_log_in(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    """The session ends while the member writes (30 minutes idle); sending the form does nothing,
    keeps the text, logs in again and sends it with one more click. Files cannot be kept, and the
    page says so."""
    import html as html_module

    from integrity.accounts.tables import MemberSession

    member = await accounts.as_role("member")
    assert member.member is not None
    story = "Dugačak izveštaj o tenderu. " * 200
    fields = [(name, story if name == "narrative" else value) for name, value in CASE_FIELDS]
    await MemberSession.delete().where(MemberSession.member == member.member.id)

    ended = await file_case(member, fields, files=[("ugovor.pdf", samples.pdf("Ugovor"))])
    assert ended.status_code == 401 and await Case.count() == 0
    page = html_module.unescape(ended.text)
    assert "Odjavljeni ste" in visible_text(ended.text)
    assert f'name="resume.narrative" value="{story}"' in page
    assert "izabrana datoteka nije mogla da se sačuva" in visible_text(ended.text)
    assert 'name="resume._csrf_token"' not in page
    assert 'name="next" value="/app/cases/new"' in page

    # Log in again from that page: the answer holds the form to send, with a fresh token.
    resume = re.findall(r'name="(resume\.[^"]+)" value="([^"]*)"', ended.text)
    client.cookies.clear()
    await client.get("/login")
    login_csrf = client.cookies.get("csrftoken")
    from urllib.parse import urlencode

    logged = await client.post(
        "/login?lang=en",
        content=urlencode(
            [
                ("_csrf_token", login_csrf),
                ("next", "/app/cases/new"),
                ("email", member.member.email),
                ("password", DEFAULT_PASSWORD),
                *[(name, html_module.unescape(value)) for name, value in resume],
            ]
        ).encode(),
        headers={
            **HTML,
            **NO_HEADER,
            "content-type": "application/x-www-form-urlencoded",
            "cookie": f"csrftoken={login_csrf}",
        },
    )
    assert logged.status_code == 200 and "You are logged in again" in visible_text(logged.text)
    session = logged.cookies.get("integrity_session")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', logged.text).group(1)
    kept = [
        (name, html_module.unescape(value))
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', logged.text)
        if name != "_csrf_token"
    ]
    assert ("narrative", story) in kept
    body, content_type = multipart_form(kept, csrf=token)
    sent = await client.post(
        "/app/cases/new",
        content=body,
        headers={
            "content-type": content_type,
            **HTML,
            **NO_HEADER,
            "cookie": f"integrity_session={session}; csrftoken={token}",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert await Case.count() == 1


async def test_an_upload_says_what_identifying_metadata_the_photo_carries(accounts: AccountFactory) -> None:
    from tests.redaction.handmade import photo_jpeg

    member = await accounts.as_role("member")
    filed = await file_case(member, files=[("fotografija.jpg", photo_jpeg()), ("crtez.png", samples.png())])
    case_id = case_id_of(filed)
    view = (await member.get(f"/api/v1/cases/{case_id}")).json()
    carries = {a["filename"]: a["carries"] for a in view["attachments"]}
    assert carries["fotografija.jpg"][0] == "location" and carries["crtez.png"] == []
    page = visible_text((await member.get(f"/app/cases/{case_id}?lang=en", headers=HTML)).text)
    assert "This file carries its location (GPS)" in page
    assert "a published copy is rebuilt from its pixels" in page

    # A PDF and an office document say who wrote them.
    from tests.cases.test_filetypes import RELS, WORD_MAIN, D, content_types, zipped
    from tests.redaction.test_metadata import CORE, _pdf

    written = zipped(
        [
            ("[Content_Types].xml", content_types(WORD_MAIN), D),
            ("_rels/.rels", RELS, D),
            ("docProps/core.xml", CORE.format(inside="<dc:creator>Jelena Izmišljena</dc:creator>"), D),
            ("word/document.xml", "<w:document/>", D),
        ]
    )
    documents = [
        ("ugovor.pdf", _pdf("Jelena Izmišljena")),
        ("zapisnik.docx", written),
        ("prazan.pdf", _pdf(None)),
    ]
    filed = await file_case(member, files=documents)
    view = (await member.get(f"/api/v1/cases/{case_id_of(filed)}")).json()
    carries = {a["filename"]: a["carries"] for a in view["attachments"]}
    assert carries == {"ugovor.pdf": ["author"], "zapisnik.docx": ["author"], "prazan.pdf": []}
    page = visible_text((await member.get(f"/app/cases/{case_id_of(filed)}?lang=en", headers=HTML)).text)
    assert page.count("This file carries an author's name") == 2


async def test_my_cases_show_a_date_as_precisely_as_the_member_knew_it(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    made = await member.post(
        "/api/v1/cases", json={**NEW_CASE, "incident_date": "2026-01-01", "incident_date_precision": "year"}
    )
    assert made.status_code == 201, made.text
    assert (await member.get("/api/v1/cases")).json()["items"][0]["incident_date_precision"] == "year"
    listed = visible_text((await member.get("/app/?lang=en", headers=HTML)).text)
    assert "2026, " in listed and "Jan 1, 2026" not in listed


async def test_sizes_are_written_with_the_decimal_sign_of_the_pages_language(
    accounts: AccountFactory,
) -> None:
    member = await accounts.as_role("member")
    case = (await member.post("/api/v1/cases", json=NEW_CASE)).json()
    stored = await upload(member, case["id"], [("beleska.txt", b"x" * 3000)])
    assert stored.status_code == 201, stored.text
    assert "2,9 KiB" in (await member.get(f"/app/cases/{case['id']}?lang=sr-Latn", headers=HTML)).text
    assert "2.9 KiB" in (await member.get(f"/app/cases/{case['id']}?lang=en", headers=HTML)).text
