"""PDF redaction: pages rebuilt from pixels, boxes burned in, nothing else of the original survives."""

from __future__ import annotations

import io
import re

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image

from integrity.errors import Invalid
from integrity.redaction import (
    Box,
    clean_pdf,
    extract_text,
    pdf_page_count,
    pdfs,
    preview_pdf_page_png,
    redact_pdf,
)
from tests.redaction.handmade import (
    NAME_BOX,
    build_pdf,
    encrypted_pdf,
    many_pages_pdf,
    nasty_pdf,
    png_chunks,
    sized_page_pdf,
)

# Keys of the PDF object model that must not occur in a rendition.
FORBIDDEN_KEYS = [
    b"/JavaScript",
    b"/JS",
    b"/AA",
    b"/OpenAction",
    b"/EmbeddedFiles",
    b"/EmbeddedFile",
    b"/Filespec",
    b"/Annots",
    b"/AcroForm",
    b"/Metadata",
    b"/Outlines",
    b"/Names",
    b"/Font",
    b"/Info",
    b"/Encrypt",
]
SECRETS = [b"SECRET", b"Izmi", b"witness", b"secret.txt", b"Helvetica"]
RED, BLUE = (220, 20, 20), (20, 20, 220)


@pytest.fixture(scope="module")
def nasty() -> bytes:
    return nasty_pdf()


@pytest.fixture(scope="module")
def rendition(nasty: bytes) -> bytes:
    # Page 1: over the name. Page 2 (shown turned, 792 x 612): its lower-right quarter.
    return redact_pdf(nasty, [Box(1, *NAME_BOX), Box(2, 0.5, 0.5, 0.5, 0.5)]).content


def structure(data: bytes) -> bytes:
    """The PDF without its stream contents (JPEG data could hold any three bytes by chance)."""
    return re.sub(rb"stream\n.*?\nendstream", b"stream endstream", data, flags=re.S)


def render(data: bytes, page: int, scale: float = 1.0) -> Image.Image:
    with pdfium.PdfDocument(data) as document:
        return document[page - 1].render(scale=scale).to_pil().convert("RGB")


def close_to(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 16) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def at(image: Image.Image, x: float, y: float) -> tuple[int, ...]:
    return image.getpixel((int(x * image.width), int(y * image.height)))


def test_the_sample_pdf_really_carries_what_must_go(nasty: bytes) -> None:
    assert "Petar Izmišljenovic" in extract_text(nasty, "application/pdf")
    for key in FORBIDDEN_KEYS[:-1]:
        assert key in nasty, key
    with pdfium.PdfDocument(nasty) as document:
        assert document.get_metadata_dict()["Author"]
        assert document.count_attachments() == 1
        page = document[0]
        assert pdfium_c.FPDFPage_GetAnnotCount(page) == 2
        assert pdfium_c.FPDFDoc_GetJavaScriptActionCount(document) == 1


def test_the_rendition_has_no_text_layer(rendition: bytes) -> None:
    with pdfium.PdfDocument(rendition) as document:
        assert len(document) == 2
        for page in document:
            assert page.get_textpage().get_text_range() == ""
    assert extract_text(rendition, "application/pdf") == "\f"


def test_the_rendition_has_no_annotations_forms_scripts_attachments_or_metadata(rendition: bytes) -> None:
    skeleton = structure(rendition)
    for key in FORBIDDEN_KEYS:
        assert key not in skeleton, key
    for secret in SECRETS:
        assert secret not in rendition, secret
    with pdfium.PdfDocument(rendition) as document:
        assert all(value == "" for value in document.get_metadata_dict().values())
        assert document.count_attachments() == 0
        assert pdfium_c.FPDFDoc_GetJavaScriptActionCount(document) == 0
        assert document.get_formtype() == pdfium_c.FORMTYPE_NONE
        assert list(document.get_toc()) == []
        for page in document:
            assert pdfium_c.FPDFPage_GetAnnotCount(page) == 0
            kinds = [obj.type for obj in page.get_objects()]
            assert kinds == [pdfium_c.FPDF_PAGEOBJ_IMAGE]


def test_boxes_are_black_and_the_rest_keeps_its_colour(rendition: bytes) -> None:
    first = render(rendition, 1)
    x, y, w, h = NAME_BOX
    assert at(first, x + w / 2, y + h / 2) == (0, 0, 0)
    assert at(first, x + 0.02, y + h / 2) == (0, 0, 0)
    assert close_to(at(first, 0.9, 0.9), RED)
    assert close_to(at(first, 0.05, 0.05), RED)

    second = render(rendition, 2)
    assert second.width > second.height  # the page keeps its rotation
    assert at(second, 0.75, 0.75) == (0, 0, 0)
    assert close_to(at(second, 0.25, 0.25), BLUE)
    assert close_to(at(second, 0.9, 0.1), BLUE)


def test_pages_keep_their_size(nasty: bytes, rendition: bytes) -> None:
    with pdfium.PdfDocument(nasty) as original, pdfium.PdfDocument(rendition) as rebuilt:
        for a, b in zip(original, rebuilt, strict=True):
            assert b.get_size() == pytest.approx(a.get_size(), abs=0.01)


def test_the_preview_matches_the_rendition_where_the_boxes_go(nasty: bytes) -> None:
    preview = Image.open(io.BytesIO(preview_pdf_page_png(nasty, 1, max_side=800)))
    assert preview.format == "PNG" and max(preview.size) == 800
    assert close_to(at(preview, 0.9, 0.9), RED)
    # The name's ink lies inside the box the reviewer draws on this preview.
    x, y, w, h = NAME_BOX
    box = preview.crop(
        (
            int(x * preview.width),
            int(y * preview.height),
            int((x + w) * preview.width),
            int((y + h) * preview.height),
        )
    )
    assert box.getextrema()[0][0] < 60  # dark ink on the red page
    rotated = Image.open(io.BytesIO(preview_pdf_page_png(nasty, 2, max_side=400)))
    assert rotated.size[0] == 400 and rotated.size[1] < 400
    assert set(png_chunks(preview_pdf_page_png(nasty, 1, max_side=200))) <= {b"IHDR", b"IDAT", b"IEND"}


def test_clean_pdf_rebuilds_without_boxes(nasty: bytes) -> None:
    result = clean_pdf(nasty)
    assert (result.content_type, result.extension, result.pages) == ("application/pdf", "pdf", 2)
    assert extract_text(result.content, "application/pdf").strip() == ""
    assert close_to(at(render(result.content, 1), 0.5, 0.5), RED)


def test_page_count_and_page_checks(nasty: bytes) -> None:
    assert pdf_page_count(nasty) == 2
    with pytest.raises(Invalid, match="page 3"):
        redact_pdf(nasty, [Box(3, 0, 0, 0.5, 0.5)])
    for page in (0, 3):
        with pytest.raises(Invalid, match="pages 1 to 2"):
            preview_pdf_page_png(nasty, page)


def test_a_password_protected_pdf_is_refused() -> None:
    locked = encrypted_pdf(user_password=b"secret")
    assert pdfium.PdfDocument(locked, password="secret")[0].get_textpage().get_text_range()  # a real file
    for call in (clean_pdf, pdf_page_count, lambda data: extract_text(data, "application/pdf")):
        with pytest.raises(Invalid, match="password") as caught:
            call(locked)
        assert caught.value.status_code == 422


def test_a_pdf_encrypted_only_for_permissions_is_rebuilt_from_its_pixels() -> None:
    # Opens without a password, as in any viewer; the rendition is a new, unencrypted file.
    restricted = encrypted_pdf(user_password=b"")
    assert "Izmisljenovic" in extract_text(restricted, "application/pdf")
    result = clean_pdf(restricted).content
    assert b"/Encrypt" not in structure(result)
    assert extract_text(result, "application/pdf") == ""


def test_too_many_pages_are_refused() -> None:
    assert pdf_page_count(many_pages_pdf(pdfs.MAX_PAGES)) == pdfs.MAX_PAGES
    with pytest.raises(Invalid, match="more than 300 pages"):
        pdf_page_count(many_pages_pdf(pdfs.MAX_PAGES + 1))
    with pytest.raises(Invalid, match="more than 300 pages"):
        clean_pdf(many_pages_pdf(pdfs.MAX_PAGES + 1))


@pytest.mark.parametrize(
    "data",
    [b"", b"%PDF-1.4\nSECRET garbage Petar Izmisljenovic\n", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100],
    ids=["empty", "garbage", "not-a-pdf"],
)
def test_damaged_pdfs_are_refused_without_echoing_them(data: bytes) -> None:
    with pytest.raises(Invalid, match="damaged") as caught:
        clean_pdf(data)
    assert "SECRET" not in str(caught.value)


def test_a_pdf_without_pages_is_refused() -> None:
    empty = build_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])
    with pytest.raises(Invalid, match="no pages|damaged"):  # PDFium calls it damaged
        clean_pdf(empty)


def test_a_huge_page_is_rendered_at_a_lower_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdfs, "MAX_PAGE_PIXELS", 200_000)
    result = clean_pdf(sized_page_pdf(14_400, 7_200))
    with pdfium.PdfDocument(result.content) as document:
        page = document[0]
        assert page.get_size() == pytest.approx((14_400, 7_200))
        (image,) = page.get_objects()
        width, height = image.get_px_size()
    assert width * height <= 200_000 and width == pytest.approx(2 * height, rel=0.01)


def test_dpi_out_of_range_is_refused(nasty: bytes) -> None:
    with pytest.raises(Invalid, match="dpi"):
        redact_pdf(nasty, [], dpi=1200)
