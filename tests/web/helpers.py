"""What the page tests of every domain share: form posts as browsers send them (also for the access
matrix), a filed case, the visible text of a page, and the Serbian phrases that must not stay English."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import httpx
from babel.messages.pofile import read_po

from integrity.web.i18n import TRANSLATIONS
from tests.factories import Caller


def multipart_form(
    fields: list[tuple[str, str]],
    files: tuple[tuple[str, bytes], ...] | list[tuple[str, bytes]] = (),
    *,
    csrf: str | None = None,
) -> tuple[bytes, str]:
    """A multipart/form-data body in a browser's order: the CSRF field, the text fields, the files."""
    boundary = "----browserform" + os.urandom(8).hex()
    body = bytearray()
    parts = ([("_csrf_token", csrf)] if csrf is not None else []) + list(fields)
    for name, value in parts:
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        body += value.encode("utf-8") + b"\r\n"
    for filename, content in files:
        body += f"--{boundary}\r\n".encode()
        body += f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'.encode()
        body += b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "pre", "code"):
            self._skip += 1
        for name, value in attrs:
            # What people read or hear: labels in attributes count as text.
            if name in ("aria-label", "title", "placeholder", "alt", "data-label") and value:
                self.chunks.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "pre", "code") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.chunks).split())


def html_lang(response: httpx.Response) -> str | None:
    start = response.text.find('<html lang="')
    if start < 0:
        return None
    start += len('<html lang="')
    return response.text[start : response.text.index('"', start)]


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


def serbian_msgids() -> list[str]:
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
