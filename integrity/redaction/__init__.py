"""Redaction engines (pure and CPU-heavy: call them through ``run_in_worker``) and their types."""

from integrity.redaction.images import clean_image, preview_png, redact_image
from integrity.redaction.model import Box, Rendition
from integrity.redaction.pdfs import clean_pdf, pdf_page_count, preview_pdf_page_png, redact_pdf
from integrity.redaction.pool import run_in_worker
from integrity.redaction.text import extract_text

__all__ = [
    "Box",
    "Rendition",
    "clean_image",
    "clean_pdf",
    "extract_text",
    "pdf_page_count",
    "preview_pdf_page_png",
    "preview_png",
    "redact_image",
    "redact_pdf",
    "run_in_worker",
]
