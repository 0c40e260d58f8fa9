"""Turns the filename a client sent into the name the review team sees: display only, never a path.

The name is shown in pages and in the download's Content-Disposition, so it must not be able to
spoof anything there: no directories, no invisible or direction-changing characters (the classic
`invoice\\u202Efdp.exe` that reads as `invoiceexe.pdf`), and an extension that is the one of the
type detected from the file's bytes, never the one the client chose. Objects in the vault have
random names; nothing here is ever used to build a path or an object name.

Extension rule: a final extension-like suffix (`.` followed by 1-10 ASCII letters or digits) is
dropped, because it is only what the client claimed; if what remains already ends with the detected
extension it is kept as it is, otherwise the detected one is appended:

    invoice.pdf      (PDF)   -> invoice.pdf
    invoice.pdf.exe  (PDF)   -> invoice.pdf
    photo.png        (JPEG)  -> photo.jpg
    report.2024.pdf  (PDF)   -> report.2024.pdf
    scan             (PDF)   -> scan.pdf
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 150

# Categories that render as nothing or steer rendering: controls (Cc, NUL included), format
# characters (Cf: bidi embeddings/overrides/isolates and marks, zero-width characters, soft hyphen,
# BOM), surrogates, private use and unassigned code points.
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
# Characters drawn like a slash: harmless as data, but they make a name look like a path.
_SLASH_LOOKALIKES = dict.fromkeys(map(ord, "\u2044\u2215\u29f8\u29f9\uff0f\uff3c"), "_")
_WHITESPACE = re.compile(r"\s+")
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,10})\Z")
_VALID_EXTENSION = re.compile(r"[a-z0-9]{1,10}\Z")
_EDGES = re.compile(r"\A[ .]+|[ .]+\Z")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    # Whitespace first (line and paragraph separators are whitespace, not format characters), then
    # everything invisible.
    text = _WHITESPACE.sub(" ", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _REMOVED_CATEGORIES)
    text = text.translate(_SLASH_LOOKALIKES)
    # Removing characters can leave a base letter and a combining mark side by side, and two
    # spaces side by side: normalise again so a second pass finds nothing to do.
    text = _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text))
    return text


def _trim(stem: str) -> str:
    # Leading dots would hide the file on Unix and make `..` appear; trailing dots and spaces are
    # silently dropped by Windows, so a name ending in them does not mean what it shows.
    return _EDGES.sub("", stem)


def safe_display_name(raw: str | None, *, extension: str) -> str:
    """The name to show for an uploaded file whose detected type has `extension` (e.g. "pdf")."""
    extension = extension.lower().lstrip(".")
    if not _VALID_EXTENSION.match(extension):
        raise ValueError("the extension must be 1-10 ASCII letters or digits")
    suffix = "." + extension

    name = _clean(raw or "")
    # Only the last path component: browsers on old Windows sent the whole path, and a client may
    # send anything. Splitting after the cleaning means an invisible character cannot hide a slash.
    components = [_trim(part) for part in re.split(r"[/\\]", name)]
    name = next((part for part in reversed(components) if part), "")

    claimed = _EXTENSION.search(name)
    if claimed is not None and claimed.start() > 0:
        name = _trim(name[: claimed.start()])
    # Cut to length before looking at the end again, so the cut cannot expose a new extension.
    name = _trim(name[: MAX_LENGTH - len(suffix)])
    while name.lower().endswith(suffix):
        name = _trim(name[: -len(suffix)])
    return (name or "file") + suffix
