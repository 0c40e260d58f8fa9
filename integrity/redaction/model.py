"""What the redaction engines take and give: boxes drawn on a page and the rendition built from them."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image

from integrity.errors import Invalid

__all__ = ["Box", "Rendition", "burn_boxes", "check_pages"]

# A box drawn right up to the page edge may come out a hair past it after the browser's arithmetic.
_EDGE_SLACK = 1e-6


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle to black out: ``page`` counts from 1; the rest are fractions 0..1 of the page
    (or image) as shown in the preview, measured from its top-left corner."""

    page: int
    x: float
    y: float
    width: float
    height: float

    def __post_init__(self) -> None:
        if isinstance(self.page, bool) or not isinstance(self.page, int) or self.page < 1:
            raise Invalid(
                "A redaction box needs a page number from 1", code="box_page_invalid", field="boxes"
            )
        values = (self.x, self.y, self.width, self.height)
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        if not numeric or not all(math.isfinite(v) for v in values):
            raise Invalid("A redaction box needs numeric coordinates", code="box_not_numeric", field="boxes")
        if self.x < 0 or self.y < 0 or self.width <= 0 or self.height <= 0:
            raise Invalid(
                "A redaction box needs a position from 0 and a size above 0",
                code="box_geometry",
                field="boxes",
            )
        if self.x + self.width > 1 + _EDGE_SLACK or self.y + self.height > 1 + _EDGE_SLACK:
            raise Invalid(
                "A redaction box must lie within its page (coordinates are fractions 0..1)",
                code="box_outside_page",
                field="boxes",
            )


@dataclass(frozen=True, slots=True)
class Rendition:
    """A file rebuilt from pixels only, ready to publish in place of the original."""

    content: bytes
    content_type: str
    extension: str
    pages: int


def check_pages(boxes: list[Box], pages: int) -> None:
    """Refuse boxes on pages the file does not have (an image has one page)."""
    for number, box in enumerate(boxes, start=1):
        if box.page > pages:
            noun = "page" if pages == 1 else "pages"
            raise Invalid(
                f"Redaction box {number} is on page {box.page}, but the file has {pages} {noun}",
                code="box_page_outside",
                field="boxes",
            )


def burn_boxes(image: Image.Image, boxes: list[Box]) -> None:
    """Paint each box opaque black into ``image`` (RGB), in place.

    Edges round outwards, so every pixel the box touches is covered: a box may grow by less than a
    pixel on each side, never shrink.
    """
    width, height = image.size
    for box in boxes:
        left = max(0, math.floor(box.x * width))
        top = max(0, math.floor(box.y * height))
        right = min(width, math.ceil((box.x + box.width) * width))
        bottom = min(height, math.ceil((box.y + box.height) * height))
        if right > left and bottom > top:
            image.paste((0, 0, 0), (left, top, right, bottom))
