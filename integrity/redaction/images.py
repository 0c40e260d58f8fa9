"""Image redaction: boxes burned into the pixels and a new file encoded from the pixels alone.

Nothing of the original file but its pixels reaches the output: no EXIF (GPS, camera, time,
orientation), XMP, ICC profile, comment, embedded thumbnail or extra frame. The image is turned
upright by its EXIF orientation first, so the boxes a reviewer draws on the preview (which is
turned the same way) land on the same pixels.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from integrity.errors import IntegrityError, Invalid
from integrity.redaction.model import Box, Rendition, burn_boxes, check_pages

__all__ = ["JPEG_QUALITY", "MAX_PIXELS", "clean_image", "preview_png", "redact_image"]

#: Largest image accepted, in pixels (width x height), checked from the header before decoding.
#: 50 megapixels covers every phone and most cameras; decoded as RGB it takes 150 MB.
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 90
#: Preview sizes a drawing tool may ask for.
MIN_PREVIEW_SIDE, MAX_PREVIEW_SIDE = 64, 4096

# Decoders we let Pillow use. Restricting them keeps Pillow from trying every plugin it has on
# hostile input (EPS, for one, would start Ghostscript). HEIF is there only if a plugin such as
# pillow-heif has registered it; Pillow alone reads AVIF but not HEIC.
_DECODERS = ("JPEG", "PNG", "WEBP", "HEIF", "AVIF")
# Photos stay JPEG; everything else becomes PNG, which is lossless for screenshots and documents.
_AS_JPEG = {"JPEG", "MPO", "HEIF", "AVIF"}
# ISO base media file brands of HEIF/HEIC photos (the `ftyp` box at offset 4).
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"heif")


def redact_image(data: bytes, boxes: list[Box]) -> Rendition:
    """Burn ``boxes`` (page 1, fractions of the upright image) into the image and re-encode it.

    JPEG stays JPEG (quality 90); PNG and WebP become PNG; HEIC/AVIF become JPEG when this server
    can read them. Raises ``Invalid`` for unreadable, damaged or oversized images.
    """
    check_pages(boxes, 1)
    image, source_format = _decode(data)
    burn_boxes(image, boxes)
    if source_format in _AS_JPEG:
        return Rendition(_encode(image, "JPEG"), "image/jpeg", "jpg", 1)
    return Rendition(_encode(image, "PNG"), "image/png", "png", 1)


def clean_image(data: bytes) -> Rendition:
    """The image as filed, re-encoded from its pixels so that none of its metadata survives."""
    return redact_image(data, [])


def preview_png(data: bytes, *, page: int = 1, max_side: int = 1600) -> bytes:
    """A PNG of the upright image, at most ``max_side`` pixels on its longer side, to draw boxes on."""
    if page != 1:
        raise Invalid("An image has only page 1", code="page_not_found")
    _check_preview_side(max_side)
    image, _ = _decode(data, draft=max_side)
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return _encode(image, "PNG")


def _check_preview_side(max_side: int) -> None:
    if not MIN_PREVIEW_SIDE <= max_side <= MAX_PREVIEW_SIDE:
        raise Invalid(
            f"A preview is {MIN_PREVIEW_SIDE} to {MAX_PREVIEW_SIDE} pixels on its longer side",
            code="preview_size",
        )


def _decoders() -> list[str]:
    Image.init()
    return [name for name in _DECODERS if name in Image.OPEN]


def _looks_like_heif(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _decode(data: bytes, *, draft: int | None = None) -> tuple[Image.Image, str]:
    """Decode the first frame, upright and flattened to RGB; returns it with the source format."""
    try:
        # Pillow warns about (and from twice its limit refuses) large images; a warning must stop us
        # too, since decoding would go ahead after it.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_decoders()) as opened:
                width, height = opened.size  # from the header; nothing is decoded yet
                if width < 1 or height < 1:
                    raise Invalid("The image has no pixels", code="image_empty")
                if width * height > MAX_PIXELS:
                    raise Invalid(_too_large(), code="image_too_large")
                source_format = (opened.format or "").upper()
                if draft and source_format in {"JPEG", "MPO"}:
                    # JPEG can decode straight to 1/2, 1/4 or 1/8 size: a fast preview.
                    opened.draft("RGB", (draft, draft))
                opened.load()
                return _upright_rgb(opened), source_format
    except IntegrityError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Invalid(_too_large(), code="image_too_large") from None
    except UnidentifiedImageError:
        if _looks_like_heif(data):
            raise Invalid(
                "This server cannot read HEIC images; ask for the photo as JPEG or PNG "
                "(on a phone: share or export it as JPEG)",
                code="heic_unsupported",
            ) from None
        raise Invalid(
            "The file is not an image this server can read (JPEG, PNG or WebP)", code="image_unreadable"
        ) from None
    except MemoryError:
        raise Invalid(_too_large(), code="image_too_large") from None
    except Exception:  # decoders raise OSError, SyntaxError, ValueError, EOFError, ...
        # Never pass the decoder's message on: it may quote bytes of the file.
        raise Invalid(
            "The image is damaged or truncated and cannot be redacted", code="image_damaged"
        ) from None


def _too_large() -> str:
    return f"The image is too large to process (more than {MAX_PIXELS // 1_000_000} megapixels)"


def _upright_rgb(image: Image.Image) -> Image.Image:
    try:
        upright = ImageOps.exif_transpose(image)
    except Exception:  # a broken EXIF block: keep the stored orientation
        # Preview and rendition both come through here, so the boxes still land where drawn.
        upright = image
    transparent = upright.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or (
        upright.mode == "P" and "transparency" in upright.info
    )
    if transparent:
        # Dropping alpha would reveal whatever colour hides under fully transparent pixels; lay the
        # image on white instead, as a browser shows it.
        rgba = upright.convert("RGBA")
        canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        canvas.alpha_composite(rgba)
        return canvas.convert("RGB")
    try:
        return upright.convert("RGB")
    except ValueError:  # 16-bit and float greys have no direct way to RGB
        return upright.convert("L").convert("RGB")


def _encode(image: Image.Image, fmt: str) -> bytes:
    """Encode a new image made from ``image``'s pixels only (``copy`` and ``convert`` keep ``info``)."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    pixels = Image.frombytes("RGB", image.size, rgb.tobytes())
    out = io.BytesIO()
    if fmt == "JPEG":
        pixels.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        pixels.save(out, "PNG", compress_level=6)
    return out.getvalue()
