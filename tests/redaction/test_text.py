"""Text for the leak check: plain text decoded, a PDF's text layer, nothing from pixels."""

from __future__ import annotations

import codecs

import pytest
from PIL import Image

from integrity.errors import Invalid
from integrity.redaction import clean_pdf, extract_text
from tests.redaction.handmade import encode, exif_with_gps, many_pages_pdf, nasty_pdf, text_pdf
from tests.samples import pdf

TEXT = "Svedok Петар Izmišljenović je rekao: „novac je stigao”.\n"


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (TEXT.encode(), "text/plain"),
        (TEXT.encode(), "text/plain; charset=utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode(), "text/plain"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "TEXT/PLAIN"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "text/plain"),
    ],
    ids=["utf-8", "charset", "utf-8-bom", "utf-16-le", "utf-16-be"],
)
def test_plain_text_is_decoded(data: bytes, content_type: str) -> None:
    assert extract_text(data, content_type) == TEXT


def test_a_stray_byte_does_not_hide_the_rest() -> None:
    assert extract_text(b"Petar \xff Izmisljenovic", "text/plain") == "Petar \ufffd Izmisljenovic"


def test_a_pdf_gives_its_text_layer_page_by_page() -> None:
    text = extract_text(nasty_pdf(), "application/pdf")
    first, second = text.split("\f")
    assert "Petar Izmišljenovic" in first and "Zapisnik sa sastanka" in first
    assert "Strana dva" in second
    assert extract_text(pdf("Izvestaj o tenderu"), "application/pdf") == "Izvestaj o tenderu"


def test_a_word_broken_at_a_line_end_reads_as_printed() -> None:
    # PDFium reports "Petro-" + line break as "Petro\ufffe"; the hyphen and break come back.
    data = text_pdf(b"BT /F1 12 Tf 72 700 Td (Svedok je Petro-) Tj 0 -14 Td (vic koji je rekao) Tj ET")
    assert extract_text(data, "application/pdf") == "Svedok je Petro-\nvic koji je rekao"


def test_a_rendition_has_no_text() -> None:
    rendition = clean_pdf(pdf("Petar Izmisljenovic")).content
    assert extract_text(rendition, "application/pdf") == ""


def test_images_and_other_types_give_no_text() -> None:
    # OCR is out of scope: names in pixels are covered by redaction boxes.
    photo = encode(Image.new("RGB", (8, 8)), "JPEG", exif=exif_with_gps())
    assert extract_text(photo, "image/jpeg") == ""
    assert extract_text(b"PK\x03\x04 Petar Izmisljenovic", "application/vnd.openxmlformats") == ""
    assert extract_text(b"ID3 Petar", "audio/mpeg") == ""


def test_a_pdf_that_cannot_be_read_is_refused() -> None:
    with pytest.raises(Invalid):
        extract_text(b"%PDF-1.4 Petar Izmisljenovic", "application/pdf")
    with pytest.raises(Invalid, match="more than 300 pages"):
        extract_text(many_pages_pdf(301), "application/pdf")
