"""Text of a filed document, for the leak check.

Plain text is decoded (UTF-8, or UTF-16/UTF-8 with a byte order mark, as uploads accept); a PDF gives
its text layer, page by page, separated by form feeds. Images and every other type give ``""``:
reading text out of pixels (OCR) is out of scope, so names in images and scanned pages must be
covered by redaction boxes, and a rendition (pixels only) has no text at all.
"""

from __future__ import annotations

import codecs

from integrity.redaction.pdfs import open_pdf

__all__ = ["PAGE_SEPARATOR", "extract_text"]

#: Between the texts of two PDF pages; the leak check treats it as whitespace.
PAGE_SEPARATOR = "\f"
# PDFium marks a word broken at the end of a line with U+FFFE (older builds: U+0002) in place of
# the hyphen and the line break: "Petro\ufffević". Put both back, so the text reads as printed.
_PDFIUM_LINE_HYPHEN = str.maketrans({"\ufffe": "-\n", "\x02": "-\n"})

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def extract_text(data: bytes, content_type: str) -> str:
    """The text in ``data`` that a reader of the file could see, or ``""`` if it has none we can read.

    Raises ``Invalid`` for a PDF that cannot be opened (damaged, password, too many pages).
    """
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "text/plain":
        return _decode_text(data)
    if kind == "application/pdf":
        return _pdf_text(data)
    return ""


def _decode_text(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    # Uploads are checked to be UTF-8 already; "replace" only keeps a stray byte from hiding the rest.
    return data.decode("utf-8", errors="replace")


def _pdf_text(data: bytes) -> str:
    texts: list[str] = []
    with open_pdf(data) as document:
        for index in range(len(document)):
            page = document[index]
            try:
                textpage = page.get_textpage()
                try:
                    texts.append(textpage.get_text_range().translate(_PDFIUM_LINE_HYPHEN))
                finally:
                    textpage.close()
            finally:
                page.close()
    return PAGE_SEPARATOR.join(texts)
