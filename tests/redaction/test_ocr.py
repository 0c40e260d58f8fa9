"""Reading files for the leak check: Tesseract on the pixels, PDFium on the original's text layer,
both giving each word's box in the frame redaction boxes use."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest

from integrity.redaction.model import Box
from integrity.redaction.ocr import OCR_PACKAGES, missing_packages, ocr_pages, page_count, text_layer_pages
from tests import samples
from tests.redaction.handmade import scanned_pdf

WITNESS_LINE = "Svedok Petar Izmisljenovic je video ugovor"


def words(pages: list) -> list[str]:
    return [word.text for page in pages for word in page.words]


def rotated(data: bytes, degrees: int) -> bytes:
    document = pdfium.PdfDocument(data)
    document[0].set_rotation(degrees)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_the_text_layer_gives_every_word_with_its_box_and_leaves_out_what_a_box_covers() -> None:
    pdf = samples.pdf(WITNESS_LINE)  # 12-point Helvetica at (72, 720) on a 612 x 792 page
    [page] = text_layer_pages(pdf, [])
    assert (page.page, page.source) == (1, "text_layer")
    assert words([page]) == WITNESS_LINE.split()
    svedok = page.words[0]
    assert svedok.x == pytest.approx(72 / 612, abs=0.005)
    assert svedok.y + svedok.height == pytest.approx(1 - 720 / 792, abs=0.01)  # its baseline
    # A box over "Izmisljenovic" only (by its middle) hides that word and nothing else.
    name = page.words[2]
    box = Box(1, name.x - 0.005, name.y - 0.005, name.width + 0.01, name.height + 0.01)
    assert words(text_layer_pages(pdf, [box])) == ["Svedok", "Petar", "je", "video", "ugovor"]
    # A box on another page hides nothing here.
    assert words(text_layer_pages(pdf, [Box(2, 0, 0, 1, 1)])) == WITNESS_LINE.split()


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_text_layer_boxes_follow_the_page_rotation_as_shown(degrees: int) -> None:
    """A rotated page is shown (and redacted) turned: the word's box must be where it is seen, or
    a box drawn over it would not hide it from the check, or hide a word it does not cover."""
    pdf = rotated(samples.pdf(WITNESS_LINE), degrees)
    [page] = text_layer_pages(pdf, [])
    [shown] = ocr_pages(pdf, "application/pdf", 1, 1)
    by_text = {w.text: w for w in shown.words}
    for word in page.words:
        if word.text in by_text:  # OCR of the rendered page sees it at the same place
            seen = by_text[word.text]
            assert word.x + word.width / 2 == pytest.approx(seen.x + seen.width / 2, abs=0.02)
            assert word.y + word.height / 2 == pytest.approx(seen.y + seen.height / 2, abs=0.02)
    assert any(word.text in by_text for word in page.words)


def test_ocr_reads_a_scan_in_cyrillic_and_latin_page_by_page() -> None:
    scan = scanned_pdf([["Сведок Петар Измишљеновић"], ["Potpis: Petar Izmišljenović"]])
    assert page_count(scan, "application/pdf") == 2
    assert text_layer_pages(scan, []) == []  # a scan has no text layer
    pages = ocr_pages(scan, "application/pdf", 1, 2)
    assert [p.page for p in pages] == [1, 2]
    assert "Измишљеновић" in words(pages[:1])
    assert "Izmišljenović" in words(pages[1:])
    assert [p.page for p in ocr_pages(scan, "application/pdf", 2, 5)] == [2]


def test_missing_packages_names_what_to_install() -> None:
    assert missing_packages() == ()  # CI installs Tesseract and its language data
    assert missing_packages("/nonexistent/tesseract") == OCR_PACKAGES


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_sparse_scan_turned_round_is_still_read(degrees: int) -> None:
    """One line on a scanned page is too little for orientation detection: the page is read in
    every turn, so a name on a page scanned upside down or sideways is not missed."""
    scan = rotated(scanned_pdf([["Svedok Petar Izmišljenović"]]), degrees)
    assert "Izmišljenović" in words(ocr_pages(scan, "application/pdf", 1, 1))


def test_a_page_without_text_is_read_once() -> None:
    blank = scanned_pdf([[]])
    assert ocr_pages(blank, "application/pdf", 1, 1)[0].words == []
