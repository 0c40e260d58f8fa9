"""Reading a file as the public will see it, for the leak check: every page's words with their boxes.

Published copies are rebuilt from pixels, so they have no text layer: the only way to know what a
reader can read in them is to read the pixels, with Tesseract (Debian's ``tesseract-ocr``, with the
Serbian Cyrillic, Serbian Latin and English language data) through ``pytesseract``. Where the original
PDF has a text layer, its words outside the redaction boxes are read too: a faint or tiny name that
OCR misses is still in the original's text.

Words come with their box as fractions of the page as rendered (top-left origin, rotation applied),
the same frame as redaction boxes, so a finding can be drawn on the page and compared with a box.
Everything here is CPU-bound and pure: call it through ``run_in_worker``.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import statistics
import subprocess
from dataclasses import dataclass

import pypdfium2.raw as pdfium_c
import pytesseract
from PIL import Image

from integrity.errors import OcrUnavailable
from integrity.redaction.model import Box
from integrity.redaction.pdfs import _render, open_pdf

__all__ = [
    "LANGUAGES",
    "OCR_DPI",
    "OCR_PACKAGES",
    "PageText",
    "Word",
    "missing_packages",
    "ocr_pages",
    "page_count",
    "text_layer_pages",
]

#: Tesseract's language data the check reads with, and the Debian package each comes in.
LANGUAGES = {"srp": "tesseract-ocr-srp", "srp_latn": "tesseract-ocr-srp-latn", "eng": "tesseract-ocr-eng"}
#: Everything to install for reading files (Debian package names).
OCR_PACKAGES = ("tesseract-ocr", *LANGUAGES.values())
#: Pages are rendered for OCR at this resolution: 10-point type is then about 28 pixels high.
OCR_DPI = 200
# Tesseract's own confidence below which a "word" is noise (a speck, a ruled line).
_MIN_CONFIDENCE = 10.0
# A page read upright with at least this many words at this median confidence is taken to lie the
# right way up (text read upside down or sideways comes out as few words of low confidence), so
# its orientation is not checked again.
_UPRIGHT_WORDS = 20
_UPRIGHT_CONFIDENCE = 80.0


@dataclass(frozen=True, slots=True)
class Word:
    """A word read on a page; its box in fractions of the page, from the top-left corner."""

    text: str
    x: float
    y: float
    width: float
    height: float
    #: Words on the same line share a number (a new line starts a new number).
    line: int


@dataclass(frozen=True, slots=True)
class PageText:
    """What was read on page ``page`` (from 1) by ``source``: "ocr" or "text_layer"."""

    page: int
    source: str
    words: list[Word]


@functools.cache
def missing_packages(command: str = "tesseract") -> tuple[str, ...]:
    """The Debian packages to install before files can be read, or ``()`` when all are there."""
    if shutil.which(command) is None:
        return OCR_PACKAGES
    try:
        # The command comes from the operator's settings (INTEGRITY_TESSERACT), never from a request.
        listed = subprocess.run(  # noqa: S603
            [command, "--list-langs"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return ("tesseract-ocr",)
    return tuple(package for language, package in LANGUAGES.items() if language not in listed)


def page_count(data: bytes, content_type: str) -> int:
    if content_type == "application/pdf":
        with open_pdf(data) as document:
            return len(document)
    return 1


def ocr_pages(
    data: bytes, content_type: str, first: int, last: int, command: str = "tesseract"
) -> list[PageText]:
    """OCR of pages ``first`` to ``last`` (from 1, inclusive) of a PDF, or of an image (page 1)."""
    missing = missing_packages(command)
    if missing:
        raise OcrUnavailable(
            "files cannot be read for names: install " + " ".join(missing), code="ocr_unavailable"
        )
    pytesseract.pytesseract.tesseract_cmd = command
    # One thread per Tesseract: two workers read at once, and the web process keeps a core.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    pages: list[PageText] = []
    if content_type != "application/pdf":
        with Image.open(io.BytesIO(data)) as opened:
            pages.append(PageText(1, "ocr", _ocr(opened.convert("RGB"))))
        return pages
    with open_pdf(data) as document:
        for index in range(first - 1, min(last, len(document))):
            image, _, _ = _render(document, index, scale=OCR_DPI / 72)
            pages.append(PageText(index + 1, "ocr", _ocr(image)))
            del image
    return pages


def _ocr(image: Image.Image) -> list[Word]:
    """The page's words as it lies, and again turned upright when it does not: Tesseract reads text
    the right way up (and sideways, poorly) but not upside down, and a page scanned turned round must
    not hide a name. Orientation detection needs enough text; where it cannot tell (a sparse page:
    cheap to read), every turn is read, unless the page read as no words at all (no text)."""
    if not _has_ink(image):
        return []
    words, confidence = _read(image, 0, 0)
    if len(words) >= _UPRIGHT_WORDS and confidence >= _UPRIGHT_CONFIDENCE:
        return words  # plenty of text read with confidence: the page lies the right way up
    try:
        osd = pytesseract.image_to_osd(
            image, config="--psm 0", output_type=pytesseract.Output.DICT, timeout=600
        )
        turns = [int(osd["rotate"]) % 360] if int(osd["rotate"]) % 360 else []
    except pytesseract.TesseractError:
        # Too little text to tell which way it lies. Text upside down or sideways still reads as
        # (garbled) words; a picture with no text at all reads as none, and has nothing to turn.
        turns = [90, 180, 270] if words else []
    for number, turn in enumerate(turns, start=1):
        # OSD's "rotate" is clockwise; PIL's rotate() is counter-clockwise.
        words += _read(image.rotate(-turn, expand=True), turn, number * _LINES_PER_PASS)[0]
    return words


def _has_ink(image: Image.Image) -> bool:
    """Whether anything could be written on the image: text needs contrast, and a flat or nearly
    flat picture (a blank page, a swatch of colour) has none, so reading it would find nothing."""
    darkest, lightest = image.convert("L").getextrema()  # one band: two numbers
    return float(lightest) - float(darkest) >= _MIN_CONTRAST  # type: ignore[arg-type]


#: The least difference between the darkest and lightest grey (0-255) that could show a letter.
_MIN_CONTRAST = 32


# Line numbers of a second reading start this far on, so lines of two readings never merge.
_LINES_PER_PASS = 100_000


def _read(image: Image.Image, turn: int, first_line: int) -> tuple[list[Word], float]:
    """OCR of ``image`` (the page turned ``turn`` degrees clockwise), boxes in the page's frame, and
    Tesseract's median confidence in the words (0-100)."""
    data = pytesseract.image_to_data(
        image, lang="+".join(LANGUAGES), output_type=pytesseract.Output.DICT, timeout=600
    )
    width, height = image.size
    words: list[Word] = []
    confidences: list[float] = []
    lines: dict[tuple[int, int, int], int] = {}
    for i, text in enumerate(data["text"]):
        text = text.strip()
        if not text or float(data["conf"][i]) < _MIN_CONFIDENCE:
            continue
        confidences.append(float(data["conf"][i]))
        line = lines.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]), len(lines))
        x0, y0 = data["left"][i] / width, data["top"][i] / height
        x1, y1 = x0 + data["width"][i] / width, y0 + data["height"][i] / height
        (ax, ay), (bx, by) = _unturn(x0, y0, turn), _unturn(x1, y1, turn)
        left, top, right, bottom = min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)
        words.append(Word(text, left, top, right - left, bottom - top, first_line + line))
    return words, statistics.median(confidences) if confidences else 0.0


def _unturn(u: float, v: float, turn: int) -> tuple[float, float]:
    """A point (fractions) of the page turned ``turn`` degrees clockwise, on the page as it lies."""
    if turn == 90:
        return v, 1 - u
    if turn == 180:
        return 1 - u, 1 - v
    if turn == 270:
        return 1 - v, u
    return u, v


def text_layer_pages(data: bytes, boxes: list[Box]) -> list[PageText]:
    """The words of a PDF's text layer, page by page, leaving out each word whose middle lies under a
    redaction box (what the box hides is not what the public gets)."""
    pages: list[PageText] = []
    with open_pdf(data) as document:
        for index in range(len(document)):
            on_page = [box for box in boxes if box.page == index + 1]
            words = [word for word in _layer_words(document, index) if not _covered(word, on_page)]
            if words:
                pages.append(PageText(index + 1, "text_layer", words))
    return pages


def _covered(word: Word, boxes: list[Box]) -> bool:
    middle_x, middle_y = word.x + word.width / 2, word.y + word.height / 2
    return any(
        box.x <= middle_x <= box.x + box.width and box.y <= middle_y <= box.y + box.height for box in boxes
    )


def _layer_words(document: object, index: int) -> list[Word]:
    page = document[index]  # type: ignore[index]
    try:
        rotation = page.get_rotation() % 360
        left, bottom, right, top = page.get_cropbox()
        width, height = right - left, top - bottom
        textpage = page.get_textpage()
        try:
            words: list[Word] = []
            current: list[tuple[str, tuple[float, float, float, float]]] = []
            line = 0
            previous_top: float | None = None

            def flush() -> None:
                if current:
                    text = "".join(ch for ch, _ in current)
                    x0 = min(b[0] for _, b in current)
                    y0 = min(b[1] for _, b in current)
                    x1 = max(b[2] for _, b in current)
                    y1 = max(b[3] for _, b in current)
                    words.append(Word(text, x0, y0, x1 - x0, y1 - y0, line))
                    current.clear()

            for i in range(textpage.count_chars()):
                code = pdfium_c.FPDFText_GetUnicode(textpage, i)
                char = chr(code) if code else " "
                if char in "\ufffe\x02":  # PDFium's mark for a hyphen at a line break
                    char = "-"
                if char.isspace():
                    flush()
                    continue
                c_left, c_bottom, c_right, c_top = textpage.get_charbox(i)
                box = _shown(
                    c_left - left, c_bottom - bottom, c_right - left, c_top - bottom, width, height, rotation
                )
                if previous_top is not None and abs(c_top - previous_top) > (c_top - c_bottom or 1):
                    flush()
                    line += 1
                previous_top = c_top
                current.append((char, box))
            flush()
        finally:
            textpage.close()
    finally:
        page.close()
    return words


def _shown(
    x0: float, y0: float, x1: float, y1: float, width: float, height: float, rotation: int
) -> tuple[float, float, float, float]:
    """A box in PDF space (origin bottom-left of the crop box) as fractions of the page as shown
    (origin top-left, the page's /Rotate applied clockwise): (left, top, right, bottom)."""
    corners = [(x0, y0), (x1, y1)]
    shown: list[tuple[float, float]] = []
    for x, y in corners:
        fx, fy = x / width, y / height
        if rotation == 90:
            shown.append((fy, fx))
        elif rotation == 180:
            shown.append((1 - fx, fy))
        elif rotation == 270:
            shown.append((1 - fy, 1 - fx))
        else:
            shown.append((fx, 1 - fy))
    (ax, ay), (bx, by) = shown
    return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)
