"""Decides what an uploaded file is from its first bytes, and refuses anything off the allow-list.

Neither the filename nor the client's Content-Type is ever consulted: a member's browser (or an
attacker) can say anything, while the stored type decides how the review team's browser treats the
file. Binary formats are recognised with the `filetype` package (pure Python, magic numbers only);
the few things it gets wrong or does not do are hand-written here, each with the reason.
"""

from __future__ import annotations

import codecs
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any, Literal

import filetype

from integrity.errors import UnsupportedType

#: How many leading bytes `detect` wants: the whole file if it is shorter. 64 KiB rather than a
#: few hundred bytes so the local headers of an office file's first entries and a meaningful
#: sample of a text file fit; `filetype` itself looks at no more than 8 KiB.
SNIFF_BYTES = 64 * 1024

Kind = Literal["image", "pdf", "text", "audio", "video", "document"]


@dataclass(frozen=True, slots=True)
class DetectedType:
    mime: str
    extension: str
    kind: Kind


JPEG = DetectedType("image/jpeg", "jpg", "image")
PNG = DetectedType("image/png", "png", "image")
WEBP = DetectedType("image/webp", "webp", "image")
HEIC = DetectedType("image/heic", "heic", "image")
HEIF = DetectedType("image/heif", "heif", "image")
PDF = DetectedType("application/pdf", "pdf", "pdf")
TEXT = DetectedType("text/plain", "txt", "text")
MP3 = DetectedType("audio/mpeg", "mp3", "audio")
M4A = DetectedType("audio/mp4", "m4a", "audio")
OGG = DetectedType("audio/ogg", "ogg", "audio")
WAV = DetectedType("audio/wav", "wav", "audio")
MP4 = DetectedType("video/mp4", "mp4", "video")
MOV = DetectedType("video/quicktime", "mov", "video")
WEBM = DetectedType("video/webm", "webm", "video")
DOCX = DetectedType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", "document"
)
XLSX = DetectedType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", "document")
ODT = DetectedType("application/vnd.oasis.opendocument.text", "odt", "document")
#: The types that are zip containers, whose uploads go through ``InflationCheck``.
ZIP_CONTAINERS = frozenset({DOCX, XLSX, ODT})

#: Everything `detect` can return.
ALLOWED: tuple[DetectedType, ...] = (
    JPEG, PNG, WEBP, HEIC, HEIF, PDF, TEXT, MP3, M4A, OGG, WAV, MP4, MOV, WEBM, DOCX, XLSX, ODT,
)  # fmt: skip

#: The file inputs' ``accept``: the extensions (and the types) of what is accepted, so the browser
#: offers those and its script refuses others before sending (the server still decides by content).
ACCEPT = ",".join(
    [
        *sorted({f".{t.extension}" for t in ALLOWED} | {".jpeg", ".oga", ".text", ".md", ".csv"}),
        *sorted({t.mime for t in ALLOWED}),
    ]
)

# `filetype`'s answer (its MIME type) -> ours. Anything it recognises that is not here (programs,
# archives, HTML-capable formats, fonts, ...) is refused.
_FROM_FILETYPE: dict[str, DetectedType] = {
    "image/jpeg": JPEG,
    "image/png": PNG,
    # An animated PNG is a PNG with extra chunks; every PNG decoder reads its first frame.
    "image/apng": PNG,
    "image/webp": WEBP,
    "image/heic": HEIC,
    "application/pdf": PDF,
    "audio/mpeg": MP3,
    "audio/mp4": M4A,
    "audio/ogg": OGG,
    "audio/x-wav": WAV,
    "video/mp4": MP4,
    "video/quicktime": MOV,
    "video/webm": WEBM,
}

NOT_ALLOWED = (
    "this type of file is not accepted; send photos (JPEG, PNG, WebP, HEIC), PDF, plain text, "
    "audio (MP3, M4A, OGG, WAV), video (MP4, MOV, WebM) or documents (DOCX, XLSX, ODT)"
)


def _refuse() -> UnsupportedType:
    # One message for every refusal: it names what is accepted, never the file or what it looked like.
    return UnsupportedType(NOT_ALLOWED, code="type_not_allowed")


def detect(head: bytes) -> DetectedType:
    """The type of a file from its first `SNIFF_BYTES` bytes (all of it, if it is shorter).

    Raises `UnsupportedType` for an empty file and for anything not on the allow-list.
    """
    if not head:
        raise UnsupportedType("the file is empty", code="file_empty")
    complete = len(head) < SNIFF_BYTES
    head = bytes(head[:SNIFF_BYTES])

    if _is_program(head):
        raise _refuse()
    if head.startswith(b"PK\x03\x04"):
        # filetype's office checks compare fixed offsets: they accept a zip whose first entry is
        # `docProps/...` followed by `word/...` without the package's content types, and let a
        # macro-enabled document (.docm/.xlsm) pass as DOCX/XLSX. Walking the local headers is
        # short and decides both properly.
        return _zip_document(head)

    guess = filetype.guess(head)
    found = _FROM_FILETYPE.get(guess.mime) if guess is not None else None
    if found is not None and _confirmed(found, head):
        return found
    # Anything else filetype recognised is refused unless it is in fact clean plain text: some of
    # its signatures are two or three letters ("BM" for BMP, "FWS" for Flash, "ID3"), which a note
    # starting "BM report..." has too. Real files of those types carry binary header fields and
    # fail the text check.
    heif = _heif(head)
    if heif is not None:
        return heif
    text = _text(head, complete=complete)
    if text is not None:
        return text
    raise _refuse()


# --- programs ---------------------------------------------------------------------------------

_PROGRAM_MAGIC = (
    b"\x7fELF",  # ELF (filetype only sees it in 53 bytes or more)
    # Mach-O, 32/64-bit, both byte orders, and universal binaries: filetype has no Mach-O matcher.
    b"\xfe\xed\xfa\xce",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"\x00asm",  # WebAssembly
)


def _is_program(head: bytes) -> bool:
    # "MZ" alone also starts ordinary words; a PE/DOS header always has zero bytes in its fields.
    return head.startswith(_PROGRAM_MAGIC) or (head.startswith(b"MZ") and b"\x00" in head[:64])


# --- checks on top of filetype -----------------------------------------------------------------


def _confirmed(found: DetectedType, head: bytes) -> bool:
    if found is MP3 and head.startswith(b"ID3"):
        # filetype takes any file starting with "ID3" for MP3, so a text note starting with those
        # letters would be stored as audio. An ID3v2 tag header is "ID3", version 2-4, a revision
        # byte, flags, and a 28-bit size in four bytes whose top bit is clear.
        return (
            len(head) >= 10 and head[3] in (2, 3, 4) and head[4] != 0xFF and all(b < 0x80 for b in head[6:10])
        )
    if found is M4A:
        # filetype also takes a file that merely starts with "M4A " for M4A; real ones have an
        # ISO-BMFF `ftyp` box first.
        return head[4:8] == b"ftyp"
    if found is OGG:
        # Ogg is a container: the first packet names the codec. Audio codecs only (Theora video and
        # anything unknown are not on the list).
        first_page = head[:512]
        return any(codec in first_page for codec in (b"\x01vorbis", b"OpusHead", b"\x7fFLAC", b"Speex   "))
    return True


_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"})


def _heif(head: bytes) -> DetectedType | None:
    """HEIF images whose `ftyp` does not carry the `heic` brand, which is all filetype knows."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    (box_size,) = struct.unpack(">I", head[:4])
    if box_size < 16 or box_size > len(head) or box_size % 4:
        return None
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, box_size, 4)}
    if b"avif" in brands or b"avis" in brands:
        # AVIF shares the HEIF container but is not on the list.
        return None
    return HEIF if brands & _HEIF_BRANDS else None


# --- office documents (zip containers) -----------------------------------------------------------

_LOCAL_HEADER = struct.Struct("<4sHHHHHIIIHH")
_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_MAX_ENTRIES = 256
_MAX_CONTENT_TYPES = 256 * 1024
# A part that claims to inflate past this, at more than this ratio, is a decompression bomb: real
# documents' XML compresses some 5 to 30 times. The file itself is never inflated at intake, but the
# review team's office software would.
_BOMB_FLOOR = 64 * 1024 * 1024
_BOMB_RATIO = 100


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    method: int
    encrypted: bool
    data: bytes | None  # the compressed data, when it lies entirely within the sniffed bytes
    compressed_size: int = 0
    size: int = 0  # as the local header declares it (0 when it follows the data)


def _zip_entries(head: bytes) -> list[_Entry]:
    entries: list[_Entry] = []
    offset = 0
    while len(entries) < _MAX_ENTRIES and head.startswith(b"PK\x03\x04", offset):
        if offset + _LOCAL_HEADER.size > len(head):
            break
        _sig, _ver, flags, method, _t, _d, _crc, csize, usize, name_len, extra_len = (
            _LOCAL_HEADER.unpack_from(head, offset)
        )
        name_start = offset + _LOCAL_HEADER.size
        data_start = name_start + name_len + extra_len
        if name_start + name_len > len(head):
            break
        name = head[name_start : name_start + name_len].decode("utf-8", errors="replace")
        if flags & 0x08 or csize == 0xFFFFFFFF:
            # Sizes follow the data (streamed writers) or live in a zip64 extra field: find the next
            # entry by its signature instead, as unzip tools do when recovering.
            following = head.find(b"PK\x03\x04", data_start)
            data = None
            next_offset = following if following != -1 else len(head)
        else:
            data_end = data_start + csize
            data = head[data_start:data_end] if data_end <= len(head) else None
            next_offset = data_end
        entries.append(
            _Entry(
                name=name,
                method=method,
                encrypted=bool(flags & 0x01),
                data=data,
                compressed_size=csize,
                size=usize,
            )
        )
        offset = next_offset
    return entries


def _inflate(entry: _Entry) -> bytes | None:
    if entry.data is None or entry.encrypted:
        return None
    if entry.method == 0:
        return entry.data
    if entry.method != 8:
        return None
    try:
        # Bounded output: a content-types part is a few KiB, and a bomb must not cost memory.
        return zlib.decompressobj(-15).decompress(entry.data, _MAX_CONTENT_TYPES)
    except zlib.error:
        return None


#: Inflated output is counted in slices of this size and dropped: memory stays bounded.
_INFLATE_SLICE = 1024 * 1024


#: The entries of an office file that name its authors: OOXML's core properties, ODF's meta.xml.
METADATA_ENTRIES = frozenset({"docProps/core.xml", "meta.xml"})
_METADATA_BYTES = 64 * 1024


class InflationCheck:
    """Inflates an office file's zip entries as it streams in, counting the bytes they really
    inflate to, and refuses it as a decompression bomb past ``_BOMB_FLOOR`` at more than
    ``_BOMB_RATIO`` to 1. Declared sizes prove nothing: an entry written with a data descriptor (or
    a zip64 header) declares none before its data, and a forged header can declare anything. Only
    the local entries are walked (as unzip does when recovering): the central directory, read
    last, repeats them. An entry in a method office software cannot open ends the walk."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._done = False
        self._inflater: Any = None
        self._remaining: int | None = None  # compressed bytes left in a sized entry
        self._stored = False
        self._descriptor = False
        self.inflated = 0
        self.compressed = 0
        #: The inflated text of the entries that say who wrote the document (``METADATA_ENTRIES``),
        #: at most ``_METADATA_BYTES`` of each, for ``redaction.metadata.office_metadata``.
        self.metadata: dict[str, bytes] = {}
        self._capturing: str | None = None

    def feed(self, chunk: bytes) -> None:
        if self._done:
            return
        self._buffer += chunk
        while not self._done and self._step():
            pass

    def _step(self) -> bool:
        """Advance as far as the buffered bytes allow; False when more are needed."""
        if self._inflater is None and not self._stored:
            return self._header()
        return self._data()

    def _header(self) -> bool:
        buffer = self._buffer
        if self._descriptor:
            # A data descriptor (with or without its signature, 32- or 64-bit sizes) sits between
            # the data and the next header: skip to the next signature.
            if len(buffer) < 28:
                return False
            following = min(
                (i for i in (buffer.find(b"PK\x03\x04"), buffer.find(b"PK\x01\x02")) if i >= 0), default=-1
            )
            if following < 0:
                self._done = True
                return False
            del buffer[:following]
            self._descriptor = False
        if len(buffer) < 4:
            return False
        if not buffer.startswith(b"PK\x03\x04"):
            self._done = True  # the central directory: every entry was seen
            return False
        if len(buffer) < _LOCAL_HEADER.size:
            return False
        _sig, _ver, flags, method, _t, _d, _crc, csize, _usize, name_len, extra_len = (
            _LOCAL_HEADER.unpack_from(buffer)
        )
        start = _LOCAL_HEADER.size + name_len + extra_len
        if len(buffer) < start:
            return False
        name = bytes(buffer[_LOCAL_HEADER.size : _LOCAL_HEADER.size + name_len]).decode("cp437", "replace")
        self._capturing = name if name in METADATA_ENTRIES and name not in self.metadata else None
        del buffer[:start]
        hidden = bool(flags & 0x08) or csize == 0xFFFFFFFF
        if flags & 0x01 or method not in (0, 8) or (method == 0 and hidden):
            self._done = True  # encrypted entries are refused by `detect`; others cannot be opened
            return False
        self._remaining = None if hidden else csize
        self._descriptor = hidden
        self._stored = method == 0
        self._inflater = zlib.decompressobj(-15) if method == 8 else None
        return True

    def _data(self) -> bool:
        buffer = self._buffer
        if not buffer and self._remaining != 0:
            return False
        take = len(buffer) if self._remaining is None else min(self._remaining, len(buffer))
        data = bytes(buffer[:take])
        del buffer[:take]
        self.compressed += take
        if self._remaining is not None:
            self._remaining -= take
        if self._stored:
            self._count(len(data))
            self._capture(data)
        else:
            try:
                out = self._inflater.decompress(data, _INFLATE_SLICE)
                self._count(len(out))
                self._capture(out)
                while self._inflater.unconsumed_tail:
                    out = self._inflater.decompress(self._inflater.unconsumed_tail, _INFLATE_SLICE)
                    self._count(len(out))
                    self._capture(out)
            except zlib.error:
                raise _refuse() from None
            if self._inflater.eof:
                # The deflate stream says where the entry ends (all a data descriptor leaves us).
                unused = self._inflater.unused_data
                self.compressed -= len(unused)
                buffer[:0] = unused
                self._end_entry()
                return True
        if self._remaining == 0:
            self._end_entry()
            return True
        return False

    def _capture(self, data: bytes) -> None:
        if self._capturing is not None:
            kept = self.metadata.get(self._capturing, b"")
            self.metadata[self._capturing] = kept + data[: max(0, _METADATA_BYTES - len(kept))]

    def _end_entry(self) -> None:
        self._capturing = None
        self._inflater = None
        self._stored = False
        self._remaining = None

    def _count(self, size: int) -> None:
        self.inflated += size
        if self.inflated > _BOMB_FLOOR and self.inflated > _BOMB_RATIO * max(self.compressed, 1):
            raise _refuse()


def _zip_document(head: bytes) -> DetectedType:
    entries = _zip_entries(head)
    if not entries or any(e.encrypted for e in entries):
        raise _refuse()
    if any(e.size > _BOMB_FLOOR and e.size > _BOMB_RATIO * e.compressed_size for e in entries):
        raise _refuse()
    names = [e.name for e in entries]
    lowered = [n.lower() for n in names]

    first = entries[0]
    if first.name == "mimetype":
        # ODF: the first entry is an uncompressed `mimetype` naming the document type.
        if first.method != 0 or first.data != _ODT_MIMETYPE:
            raise _refuse()
        if any(n.startswith(("basic/", "scripts/")) for n in lowered):
            raise _refuse()  # StarBasic or other macros
        return ODT

    if any(n.endswith("vbaproject.bin") or n.startswith("ppt/") for n in lowered):
        raise _refuse()
    content_types = next((e for e in entries if e.name == "[Content_Types].xml"), None)
    if content_types is None and "_rels/.rels" not in names:
        raise _refuse()  # a plain zip with an office-like folder in it
    declared = _inflate(content_types) if content_types is not None else None
    if declared is not None:
        # Office writes the content types first, and they are authoritative: the main part's type
        # says document, template or macro-enabled.
        declared = declared.lower()
        if b"macroenabled" in declared:
            raise _refuse()
        if b"wordprocessingml.document.main+xml" in declared:
            return DOCX
        if b"spreadsheetml.sheet.main+xml" in declared:
            return XLSX
        raise _refuse()
    # LibreOffice writes [Content_Types].xml last, so decide from the folders seen so far.
    word = any(n.startswith("word/") for n in names)
    excel = any(n.startswith("xl/") for n in names)
    if word and not excel:
        return DOCX
    if excel and not word:
        return XLSX
    raise _refuse()


# --- plain text --------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Controls other than tab, line feed, vertical tab, form feed and carriage return: a text file has
# none of these, and binary data that happens to be valid UTF-8 usually does.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
# Markup that a browser would render or run. Text is served as text/plain with nosniff, but a file
# that is really a web page or an SVG is refused anyway: the review team may open it elsewhere.
_MARKUP = re.compile(r"<\s*(?:script|html|svg|iframe|object|embed|body|meta)\b|<!doctype|<\?xml", re.I)
# JavaScript has no magic number; these are the ways a script file usually begins.
_SCRIPT_START = re.compile(
    r"""(?:
        ["']use\ strict["']
      | (?:var|let|const)\s+[A-Za-z_$][\w$]*\s*=
      | (?:async\s+)?function\s*[\w$]*\s*\(
      | [!(]\s*(?:async\s+)?function\b
      | \(\s*\(\s*\)\s*=>
      | import\s*(?:[\w${}*,\s]+\s+from\s*)?["']
      | export\s+(?:default|const|let|var|function|class|async|\{|\*)
      | //
      | /\*
    )""",
    re.X,
)


def _text(head: bytes, *, complete: bool) -> DetectedType | None:
    encoding, body = "utf-8", head
    for bom, name in _BOMS:
        if head.startswith(bom):
            encoding, body = name, head[len(bom) :]
            break
    if encoding == "utf-8" and b"\x00" in body:
        return None
    try:
        # A cut-off head may end inside a multi-byte sequence; only a complete file must end cleanly.
        text = codecs.getincrementaldecoder(encoding)("strict").decode(body, final=complete)
    except UnicodeDecodeError:
        return None
    if _CONTROL.search(text):
        return None
    start = text.lstrip("\ufeff \t\r\n\f\v\u00a0")
    # Markup, a script's shebang, PostScript and RTF: text-based formats that are programs or
    # carry active content.
    if start.startswith(("<", "#!", "%!", "{\\rtf")) or _SCRIPT_START.match(start) or _MARKUP.search(text):
        return None
    return TEXT
