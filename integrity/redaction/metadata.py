"""What an uploaded photo says about where, when and with what it was taken: the kinds of metadata
it carries (its location, the camera, the time, an author), for the member who uploads it to know;
and who a PDF or an office document says wrote it (its author, the last person to save it).
The public never gets them: every published copy is rebuilt from pixels (``integrity.redaction``).

Documents are read as they stream into the vault: a PDF's document information and XMP where they
are written in the clear (an information dictionary compressed into an object stream is not seen:
the notice is for the member's information, not a safeguard), an office file's core properties
as its zip entries are inflated for the bomb check (``cases.filetypes.InflationCheck``).

Read from the first bytes of the upload (the sniffed head, where JPEG, PNG and WebP keep their
EXIF) by a small bounded scan of the EXIF (TIFF) directory, with no image decoder: nothing here
decodes pixels, so it runs in the request without a worker process. Only the kinds are kept,
never the values.
"""

from __future__ import annotations

import re
import struct

__all__ = ["CARRIED_KINDS", "PdfAuthorScan", "carried_metadata", "office_metadata"]

#: The kinds, in the order a page lists them.
CARRIED_KINDS = ("location", "camera", "taken", "author")

_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_TAGS = {271: "camera", 272: "camera", 306: "taken", 315: "author", 0x9C9D: "author", _GPS_IFD: "location"}
_EXIF_TAGS = {36867: "taken", 36868: "taken"}
#: No directory holds more entries than this in a real file; a larger count is a broken one.
_MAX_ENTRIES = 512


def _exif_of(head: bytes) -> bytes | None:
    """The EXIF (TIFF) block of a JPEG, PNG or WebP head, or None."""
    if head[:2] == b"\xff\xd8":  # JPEG: segments up to the start of scan
        position = 2
        while position + 4 <= len(head) and head[position] == 0xFF:
            marker = head[position + 1]
            if marker == 0xDA:
                return None
            (length,) = struct.unpack(">H", head[position + 2 : position + 4])
            segment = head[position + 4 : position + 2 + length]
            if marker == 0xE1 and segment.startswith(b"Exif\x00\x00"):
                return segment[6:]
            position += 2 + length
        return None
    if head[:8] == b"\x89PNG\r\n\x1a\n":  # PNG: the eXIf chunk
        position = 8
        while position + 8 <= len(head):
            length, kind = struct.unpack(">I4s", head[position : position + 8])
            if kind == b"eXIf":
                return head[position + 8 : position + 8 + length]
            if kind == b"IDAT":
                return None
            position += 12 + length
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":  # WebP: the EXIF chunk
        position = 12
        while position + 8 <= len(head):
            kind, length = struct.unpack("<4sI", head[position : position + 8])
            if kind == b"EXIF":
                block = head[position + 8 : position + 8 + length]
                return block[6:] if block.startswith(b"Exif\x00\x00") else block
            position += 8 + length + (length & 1)
    return None


def _entries(tiff: bytes, offset: int, order: str) -> list[tuple[int, int]]:
    """(tag, value or offset) of the directory at ``offset`` (empty when it is out of bounds)."""
    if offset < 8 or offset + 2 > len(tiff):
        return []
    (count,) = struct.unpack(order + "H", tiff[offset : offset + 2])
    entries = []
    for index in range(min(count, _MAX_ENTRIES)):
        start = offset + 2 + 12 * index
        if start + 12 > len(tiff):
            break
        tag, _kind, _count, value = struct.unpack(order + "HHII", tiff[start : start + 12])
        entries.append((tag, value))
    return entries


def carried_metadata(head: bytes, content_type: str) -> list[str]:
    """The kinds of identifying metadata in an image's first bytes ([] for other files, or when
    there is no EXIF to read)."""
    if not content_type.startswith("image/"):
        return []
    try:
        tiff = _exif_of(head)
        if not tiff or tiff[:2] not in (b"II", b"MM"):
            return []
        order = "<" if tiff[:2] == b"II" else ">"
        (first,) = struct.unpack(order + "I", tiff[4:8])
        found: set[str] = set()
        for tag, value in _entries(tiff, first, order):
            if tag in _TAGS:
                found.add(_TAGS[tag])
            if tag == _EXIF_IFD:
                found.update(_EXIF_TAGS[t] for t, _ in _entries(tiff, value, order) if t in _EXIF_TAGS)
    except struct.error:
        return []
    return [kind for kind in CARRIED_KINDS if kind in found]


#: A PDF's author, written in the clear: a non-empty /Author string (literal or hex, not the empty
#: UTF-16 mark alone), or an XMP creator or author.
_PDF_AUTHOR = re.compile(
    rb"/Author\s*(?:\((?!\s*\))|<(?!\s*(?:fe\s*ff\s*)?>))"
    rb"|<dc:creator>\s*<rdf:(?:Seq|Bag)>\s*<rdf:li[^>]*>\s*[^<\s]"
    rb"|<pdf:Author>\s*[^<\s]",
    re.IGNORECASE,
)
#: Bytes kept from one chunk to the next, so that a mark split between them is still found.
_OVERLAP = 256


class PdfAuthorScan:
    """Watches a PDF's bytes as they stream by for an author's name written in the clear."""

    def __init__(self) -> None:
        self._tail = b""
        self.author = False

    def feed(self, chunk: bytes) -> None:
        if self.author:
            return
        window = self._tail + chunk
        if _PDF_AUTHOR.search(window):
            self.author = True
        self._tail = window[-_OVERLAP:]

    def carried(self) -> list[str]:
        return ["author"] if self.author else []


#: Who wrote an office document: OOXML's creator and last modifier, ODF's initial creator and
#: creator (each with some text).
_OFFICE_AUTHOR = re.compile(rb"<(?:dc:creator|cp:lastModifiedBy|meta:initial-creator)(?:\s[^>]*)?>\s*[^<\s]")


def office_metadata(entries: dict[str, bytes]) -> list[str]:
    """The kinds of identifying metadata in an office file's metadata entries (their text)."""
    return ["author"] if any(_OFFICE_AUTHOR.search(text) for text in entries.values()) else []
