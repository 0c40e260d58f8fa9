"""The members' pages through the test client: forms posted as browsers post them (with the CSRF
field, no header), redirects, messages next to the fields with the input kept, errors as pages, and
every page in the three languages with no English left in Serbian."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from babel.messages.pofile import read_po
from litestar import Litestar
from litestar.testing import AsyncTestClient

from integrity.cases.tables import Attachment, Case
from integrity.web.i18n import TRANSLATIONS
from tests import samples
from tests.factories import DEFAULT_PASSWORD, AccountFactory, Caller
from tests.web.helpers import html_lang, multipart_form, visible_text

NO_HEADER = {"x-csrftoken": ""}  # forms carry the token in the `_csrf_token` field only
HTML = {"accept": "text/html"}

CASE_FIELDS = [
    ("title", "Tender za popravku škole"),
    ("narrative", "Ugovor je dobio gradonačelnikov brat.\n\nDrugih ponuda nije bilo."),
    ("incident_date", "2026-03-12"),
    ("incident_date_precision", "month"),
    ("municipality", "cacak"),
    ("categories", "procurement_public_money"),
    ("categories", "employment_patronage"),
    ("location_detail", "OŠ „Vuk Karadžić”"),
    ("actor-0-name", "Petar Petrović"),
    ("actor-0-kind", "person"),
    ("actor-0-role", "alleged_perpetrator"),
    ("actor-0-protect", "1"),
    ("actor-0-aliases", "Pera, Perica"),
    ("actor-1-name", "Opštinska uprava Čačak"),
    ("actor-1-kind", "institution"),
    ("actor-1-role", "institution_involved"),
    ("actor-2-name", ""),
]


async def post_form(
    caller: Caller, url: str, fields: dict[str, Any] | list[tuple[str, str]], *, follow: bool = True
) -> httpx.Response:
    """Post a form as a browser does; with `follow`, go where a 303 leads, as the same caller."""
    items = list(fields.items()) if isinstance(fields, dict) else fields
    response = await caller.post(
        url,
        content=urlencode([("_csrf_token", caller.csrf_token or ""), *items]).encode(),
        headers={**NO_HEADER, **HTML, "content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    if follow and response.status_code == 303:
        return await caller.get(response.headers["location"], headers=HTML)
    return response


async def file_case(caller: Caller, fields: list[tuple[str, str]] = CASE_FIELDS, files=()) -> httpx.Response:
    body, content_type = multipart_form(fields, files, csrf=caller.csrf_token)
    return await caller.post(
        "/app/cases/new",
        content=body,
        headers={"content-type": content_type, **NO_HEADER, **HTML},
        follow_redirects=False,
    )


def case_id_of(response: httpx.Response) -> str:
    match = re.search(r"/app/cases/([0-9a-f-]{36})", response.headers["location"])
    assert match, response.headers.get("location")
    return match.group(1)


async def test_anonymous_visitors_are_sent_to_the_login_page_and_back(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.get("/app/cases/new", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/app/cases/new"
    page = await client.get(response.headers["location"])
    assert 'name="next" value="/app/cases/new"' in page.text
    # Only paths of the members' area are followed after logging in.
    page = await client.get("/login?next=https://evil.example/")
    assert 'name="next" value="/app/"' in page.text


async def test_logging_in_with_the_form(client: AsyncTestClient[Litestar], accounts: AccountFactory) -> None:
    member = await accounts.create("member")
    page = await client.get("/login")
    token = client.cookies["csrftoken"]
    assert f'name="_csrf_token" value="{token}"' in page.text
    wrong = await client.post(
        "/login", data={"_csrf_token": token, "email": member.email, "password": "not it", "next": "/app/"}
    )
    assert wrong.status_code == 401
    assert "pogrešna adresa e-pošte, lozinka ili kod drugog faktora" in wrong.text.lower()
    assert f'value="{member.email}"' in wrong.text  # the address is kept, the password is not
    assert "not it" not in wrong.text
    ok = await client.post(
        "/login",
        data={
            "_csrf_token": token,
            "email": member.email,
            "password": DEFAULT_PASSWORD,
            "next": "/app/cases/new",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/app/cases/new"
    assert "integrity_session" in ok.cookies
    mine = await client.get("/app/")
    assert mine.status_code == 200 and "Moji slučajevi" in mine.text
    out = await client.post(
        "/logout", data={"_csrf_token": client.cookies["csrftoken"]}, follow_redirects=False
    )
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert (await client.get("/app/", follow_redirects=False)).status_code == 303


async def test_a_form_without_the_csrf_field_is_refused_with_a_page(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    member = await accounts.create("member")
    await client.get("/login")
    refused = await client.post(
        "/login?lang=en", data={"email": member.email, "password": DEFAULT_PASSWORD}, headers=HTML
    )
    assert refused.status_code == 403
    assert "This form has expired or did not come from this site" in refused.text


async def test_the_second_factor_is_asked_for_in_a_second_step(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    editor = await accounts.create("editor")
    await client.get("/login")
    token = client.cookies["csrftoken"]
    first = await client.post(
        "/login?lang=en", data={"_csrf_token": token, "email": editor.email, "password": DEFAULT_PASSWORD}
    )
    assert first.status_code == 200 and "Code from your authenticator app" in first.text
    assert DEFAULT_PASSWORD not in first.text  # it travels sealed
    pending = re.search(r'name="pending" value="([^"]+)"', first.text).group(1)  # type: ignore[union-attr]
    wrong = await client.post(
        "/login/code?lang=en", data={"_csrf_token": token, "pending": pending, "code": "000000"}
    )
    assert (
        wrong.status_code == 401
        and "wrong e-mail address, password or second-factor code" in wrong.text.lower()
    )
    forged = await client.post(
        "/login/code?lang=en", data={"_csrf_token": token, "pending": "x" + pending[1:]}
    )
    assert forged.status_code == 401 and "took too long" in forged.text
    right = await client.post(
        "/login/code",
        data={"_csrf_token": token, "pending": pending, "code": editor.next_totp_code(), "next": "/app/"},
        follow_redirects=False,
    )
    assert right.status_code == 303 and right.headers["location"] == "/app/"


async def test_a_reviewer_without_a_second_factor_is_sent_to_enrol(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    reviewer = await accounts.create("reviewer", totp=False)
    caller = await accounts.caller(reviewer)
    response = await caller.get("/app/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/app/totp"
    started = await post_form(caller, "/app/totp", {})
    assert started.status_code == 200 and "<svg" in started.text and 'class="qr-code"' in started.text
    assert " style=" not in started.text
    wrong = await post_form(caller, "/app/totp/confirm", {"code": "000000"})
    assert wrong.status_code == 422
    assert "kod je pogrešan ili je već iskorišćen" in wrong.text.lower()
    assert "<svg" in wrong.text  # the same key is shown again


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
    assert re.search(r"Potvrda o prijemu slučaja IN-\d{4}-\d{4}", submitted.text)
    download = await member.get(f"/app/cases/{case_id}/receipt.json")
    assert download.headers["content-disposition"].startswith('attachment; filename="receipt-IN-')
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


async def test_an_admin_invites_someone_who_then_joins(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    admin = await accounts.as_role("admin")
    bad = await post_form(admin, "/app/admin/invitations", {"email": "not-an-address", "role": "member"})
    assert bad.status_code == 422 and "To nije ispravna adresa e-pošte." in bad.text
    assert 'value="not-an-address"' in bad.text
    created = await post_form(
        admin, "/app/admin/invitations", {"email": "nova@example.org", "role": "reviewer"}
    )
    assert created.status_code == 201
    link = re.search(r'id="invitation-link" type="text" readonly value="([^"]+)"', created.text).group(1)  # type: ignore[union-attr]
    token = link.rsplit("/", 1)[1]
    listed = await admin.get("/app/admin/invitations")
    assert "nova@example.org" in listed.text and token not in listed.text  # shown once only

    client.cookies.clear()
    form = await client.get(f"/join/{token}")
    csrf = client.cookies["csrftoken"]
    fields = {"_csrf_token": csrf, "display_name": "Nova", "profession": "journalist"}
    differ = await client.post(
        f"/join/{token}", data={**fields, "password": DEFAULT_PASSWORD, "password_again": "something else"}
    )
    assert (
        differ.status_code == 422
        and "Lozinke se ne podudaraju." in differ.text
        and 'value="Nova"' in differ.text
    )
    joined = await client.post(
        f"/join/{token}", data={**fields, "password": DEFAULT_PASSWORD, "password_again": DEFAULT_PASSWORD}
    )
    assert joined.status_code == 200 and "Dobro došli u Mrežu za integritet" in joined.text
    again = await client.post(
        f"/join/{token}", data={**fields, "password": DEFAULT_PASSWORD, "password_again": DEFAULT_PASSWORD}
    )
    assert again.status_code == 404 and "Ta pozivnica ne postoji" in again.text
    assert form.status_code == 200


async def test_an_admin_changes_roles_and_deactivates_but_not_themselves(accounts: AccountFactory) -> None:
    admin = await accounts.as_role("admin")
    target = await accounts.create("member")
    page = await admin.get("/app/admin/members")
    assert target.email in page.text
    changed = await post_form(admin, f"/app/admin/members/{target.id}", {"role": "reviewer"})
    assert changed.status_code == 200
    off = await post_form(admin, f"/app/admin/members/{target.id}", {"is_active": "false"})
    assert off.status_code == 200 and "deaktiviran" in off.text
    assert admin.member is not None
    myself = await post_form(admin, f"/app/admin/members/{admin.member.id}", {"is_active": "false"})
    assert myself.status_code == 409 and "zamolite drugog administratora" in myself.text
    member = await accounts.as_role("member")
    assert (await member.get("/app/admin/members", headers=HTML)).status_code == 403


def _serbian_msgids() -> list[str]:
    """English source strings whose Serbian translation differs; phrases only, since one word (a
    role, say) may well occur in what members typed or in their names."""
    with (TRANSLATIONS / "sr_Latn" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f, locale="sr_Latn")
    found = []
    for message in catalogue:
        text = message.id
        if isinstance(text, str) and text and message.string != text and " " in text and "%(" not in text:
            found.append(text)
    return found


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
    english = _serbian_msgids() if lang != "en" else []
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
