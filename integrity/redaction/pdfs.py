"""PDF redaction: every page rasterised, boxes burned in, a new PDF built from the page images.

The output holds nothing but one JPEG image per page: no text layer, fonts, annotations, forms,
attachments, JavaScript, actions, outlines or metadata (it has no document information dictionary
at all). Pages are rendered with PDFium (through pypdfium2) exactly as the preview shows them, so
boxes drawn on the preview land on the same spot.

PDFium is not thread-safe, not even across different documents: every call into it holds
``PDFIUM_LOCK``. ``integrity.redaction.pool.run_in_worker`` runs these functions in worker
processes, where the lock costs nothing.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image

from integrity.errors import Invalid
from integrity.redaction.images import MAX_PREVIEW_SIDE, MIN_PREVIEW_SIDE
from integrity.redaction.model import Box, Rendition, burn_boxes, check_pages

__all__ = [
    "DEFAULT_DPI",
    "MAX_PAGES",
    "MAX_PAGE_PIXELS",
    "PDFIUM_LOCK",
    "clean_pdf",
    "open_pdf",
    "pdf_page_count",
    "preview_pdf_page_png",
    "redact_pdf",
]

#: Longest PDF accepted for redaction or text extraction.
MAX_PAGES = 300
#: Most pixels one rendered page may have; a larger page (a poster, a drawing) is rendered at a
#: lower resolution instead. 40 MP is an A3 page at 300 dpi, or A0 at 150 dpi.
MAX_PAGE_PIXELS = 40_000_000
DEFAULT_DPI = 150
MIN_DPI, MAX_DPI = 50, 300
#: JPEG quality of the page images: scanned text stays crisp at 150 dpi, pages stay small.
PAGE_JPEG_QUALITY = 85

PDFIUM_LOCK = threading.RLock()


@contextmanager
def open_pdf(data: bytes) -> Iterator[pdfium.PdfDocument]:
    """Open a PDF for reading, holding the PDFium lock; refuse damaged, locked or overlong files.

    A PDF that opens without a password but carries owner restrictions ("no copying") is accepted:
    it is read for its pixels only, as any viewer would show it.
    """
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
                raise Invalid(
                    "The PDF is protected by a password; ask for an unprotected copy to redact",
                    code="pdf_encrypted",
                ) from None
            raise Invalid("The PDF is damaged and cannot be read", code="pdf_damaged") from None
        try:
            pages = len(document)
            if pages < 1:
                raise Invalid("The PDF has no pages", code="pdf_empty")
            if pages > MAX_PAGES:
                raise Invalid(
                    f"The PDF has more than {MAX_PAGES} pages; split it before redacting",
                    code="pdf_too_many_pages",
                )
            yield document
        finally:
            document.close()


def pdf_page_count(data: bytes) -> int:
    with open_pdf(data) as document:
        return len(document)


def redact_pdf(data: bytes, boxes: list[Box], *, dpi: int = DEFAULT_DPI) -> Rendition:
    """Rasterise every page at ``dpi``, burn ``boxes`` in and build a new image-only PDF.

    Boxes count pages from 1 and use fractions of the page as rendered (after its rotation).
    """
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise Invalid(f"Pages are rasterised at {MIN_DPI} to {MAX_DPI} dpi", code="dpi_out_of_range")
    with open_pdf(data) as document:
        pages = len(document)
        check_pages(boxes, pages)
        writer = _ImagePdfWriter(pages)
        for index in range(pages):
            image, width_pt, height_pt = _render(document, index, scale=dpi / 72)
            burn_boxes(image, [box for box in boxes if box.page == index + 1])
            out = io.BytesIO()
            # A new image from the pixels, so nothing but pixels reaches the encoder.
            Image.frombytes("RGB", image.size, image.tobytes()).save(
                out, "JPEG", quality=PAGE_JPEG_QUALITY, optimize=True
            )
            writer.add_page(out.getvalue(), image.size, (width_pt, height_pt))
            del image, out
    return Rendition(writer.finish(), "application/pdf", "pdf", pages)


def clean_pdf(data: bytes) -> Rendition:
    """The PDF as filed, rebuilt from its rendered pages: what a reader sees, and nothing else."""
    return redact_pdf(data, [])


def preview_pdf_page_png(data: bytes, page: int, max_side: int = 1600) -> bytes:
    """A PNG of page ``page`` (from 1), at most ``max_side`` pixels on its longer side."""
    if not MIN_PREVIEW_SIDE <= max_side <= MAX_PREVIEW_SIDE:
        raise Invalid(
            f"A preview is {MIN_PREVIEW_SIDE} to {MAX_PREVIEW_SIDE} pixels on its longer side",
            code="preview_size",
        )
    with open_pdf(data) as document:
        pages = len(document)
        if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= pages:
            raise Invalid(f"The PDF has pages 1 to {pages}", code="page_not_found")
        width_pt, height_pt = _page_size(document, page - 1)
        image, _, _ = _render(document, page - 1, scale=max_side / max(width_pt, height_pt))
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    Image.frombytes("RGB", image.size, image.tobytes()).save(out, "PNG", compress_level=6)
    return out.getvalue()


def _page_size(document: pdfium.PdfDocument, index: int) -> tuple[float, float]:
    page = document[index]
    try:
        width, height = page.get_size()  # points, as displayed (rotation applied)
    finally:
        page.close()
    if not (math.isfinite(width) and math.isfinite(height) and width > 0 and height > 0):
        raise Invalid("The PDF has a page without a usable size", code="pdf_page_unsized")
    return width, height


def _render(document: pdfium.PdfDocument, index: int, *, scale: float) -> tuple[Image.Image, float, float]:
    """Page ``index`` as an RGB image (white background, annotations drawn, as a viewer shows it)."""
    width_pt, height_pt = _page_size(document, index)
    # Cap the pixels of huge pages by lowering their resolution rather than refusing them.
    scale = min(scale, math.sqrt(MAX_PAGE_PIXELS / (width_pt * height_pt)))
    while math.ceil(width_pt * scale) * math.ceil(height_pt * scale) > MAX_PAGE_PIXELS:
        scale *= 0.99  # the bitmap's sides round up
    page = document[index]
    try:
        bitmap = page.render(scale=scale, may_draw_forms=False)
        try:
            image = bitmap.to_pil().convert("RGB")  # convert copies out of PDFium's buffer
        finally:
            bitmap.close()
    except pdfium.PdfiumError:
        raise Invalid(
            f"Page {index + 1} of the PDF cannot be rendered", code="pdf_page_unrenderable"
        ) from None
    finally:
        page.close()
    return image, width_pt, height_pt


class _ImagePdfWriter:
    """Writes a PDF of one full-page JPEG per page, and nothing else.

    Hand-written rather than Pillow's PDF writer (which keeps every page decoded in memory for a
    multi-page file and stamps creation dates) or PDFium's (which always adds an information
    dictionary): here every byte of the output is ours to account for. Pages go out as they come.
    """

    def __init__(self, pages: int) -> None:
        self._pages = pages
        self._added = 0
        self._out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
        self._offsets: list[int] = []
        # Objects: 1 catalog, 2 page tree, then for page i (from 0): 3+3i page, 4+3i contents, 5+3i image.
        kids = " ".join(f"{3 + 3 * i} 0 R" for i in range(pages))
        self._object(b"<< /Type /Catalog /Pages 2 0 R >>")
        self._object(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())

    def _object(self, body: bytes) -> None:
        self._offsets.append(len(self._out))
        self._out += f"{len(self._offsets)} 0 obj\n".encode() + body + b"\nendobj\n"

    def add_page(self, jpeg: bytes, pixels: tuple[int, int], size_pt: tuple[float, float]) -> None:
        number = 3 + 3 * self._added
        width, height = (_number(v) for v in size_pt)
        self._object(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
            f"/Resources << /XObject << /Im0 {number + 2} 0 R >> >> /Contents {number + 1} 0 R >>".encode()
        )
        draw = f"q {width} 0 0 {height} 0 0 cm /Im0 Do Q".encode()
        self._object(_stream(b"", draw))
        image = (
            f"/Type /XObject /Subtype /Image /Width {pixels[0]} /Height {pixels[1]} "
            "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode "
        ).encode()
        self._object(_stream(image, jpeg))
        self._added += 1

    def finish(self) -> bytes:
        if self._added != self._pages:
            raise RuntimeError("every page must be added before the PDF is finished")
        xref = len(self._out)
        count = len(self._offsets) + 1
        self._out += f"xref\n0 {count}\n0000000000 65535 f \n".encode()
        self._out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in self._offsets)
        self._out += f"trailer\n<< /Size {count} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        return bytes(self._out)


def _stream(entries: bytes, content: bytes) -> bytes:
    length = str(len(content)).encode()
    return b"<< " + entries + b"/Length " + length + b" >>\nstream\n" + content + b"\nendstream"


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")
