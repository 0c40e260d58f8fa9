"""Building form posts as browsers send them, for the page tests and the access matrix."""

from __future__ import annotations

import os
from html.parser import HTMLParser

import httpx


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
