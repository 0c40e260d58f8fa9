"""Image redaction: boxes burned in, every byte of metadata gone, bombs and damaged files refused."""

from __future__ import annotations

import io
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from integrity.errors import Invalid
from integrity.redaction import Box, clean_image, preview_png, redact_image
from integrity.redaction.images import MAX_PIXELS
from tests.redaction.handmade import (
    BLUE,
    COMMENT,
    GPS_DATUM,
    GPS_LATITUDE_SECONDS,
    GPS_LONGITUDE_SECONDS,
    GREEN,
    RED,
    THUMBNAIL_MARKER,
    XMP,
    encode,
    exif_with_gps,
    halves,
    icc_profile,
    jpeg_markers,
    photo_jpeg,
    png_chunks,
    png_header_only,
)

# Segments a clean baseline JPEG may have: SOI, APP0 (JFIF), DQT, SOF0/SOF2, DHT, SOS.
CLEAN_JPEG_MARKERS = {0xD8, 0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDA}
LEAKS = [
    b"Exif",
    b"http://ns.adobe.com/xap",
    b"xmpmeta",
    b"ICC_PROFILE",
    b"acsp",
    b"JFXX",
    COMMENT,
    THUMBNAIL_MARKER,
    GPS_DATUM.encode(),
    GPS_LATITUDE_SECONDS,
    GPS_LONGITUDE_SECONDS,
    struct.pack("<II", 617, 50),  # the same seconds, little-endian ("II")
    b"SECRET",
    b"Izmisljenovic",
]


def close_to(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_no_metadata(data: bytes) -> None:
    for leak in LEAKS:
        assert leak not in data, leak
    image = opened(data)
    assert not image.getexif()
    assert set(image.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}, image.info
    if image.format == "JPEG":
        assert set(jpeg_markers(data)) <= CLEAN_JPEG_MARKERS
    else:
        assert set(png_chunks(data)) <= {b"IHDR", b"IDAT", b"IEND"}


def test_the_sample_photo_really_carries_what_must_go() -> None:
    data = photo_jpeg()
    for leak in (b"Exif", b"http://ns.adobe.com/xap", b"ICC_PROFILE", COMMENT, THUMBNAIL_MARKER):
        assert leak in data
    assert GPS_DATUM.encode() in data and GPS_LATITUDE_SECONDS in data
    assert opened(data).getexif().get_ifd(0x8825)


def test_a_jpeg_photo_loses_gps_exif_xmp_icc_comment_and_thumbnail() -> None:
    rendition = clean_image(photo_jpeg())
    assert (rendition.content_type, rendition.extension, rendition.pages) == ("image/jpeg", "jpg", 1)
    assert_no_metadata(rendition.content)


def test_orientation_is_applied_before_the_boxes() -> None:
    # Stored 200x100 with red on the left; orientation 6 shows it turned clockwise: 100 wide,
    # 200 high, red on top. The reviewer blacks out the top half of what the preview shows.
    data = photo_jpeg(orientation=6)
    preview = opened(preview_png(data))
    assert preview.size == (100, 200)
    assert close_to(preview.getpixel((50, 40)), RED) and close_to(preview.getpixel((50, 160)), BLUE)

    out = opened(redact_image(data, [Box(1, 0, 0, 1, 0.5)]).content)
    assert out.size == (100, 200)
    assert out.getpixel((50, 50)) == (0, 0, 0)
    assert close_to(out.getpixel((50, 150)), BLUE)
    assert not out.getexif()  # the orientation tag is gone too: the pixels are upright


def test_boxes_are_black_inside_and_the_rest_keeps_its_colour_in_a_png() -> None:
    data = encode(Image.new("RGB", (300, 200), GREEN), "PNG")
    rendition = redact_image(data, [Box(1, 0.1, 0.1, 0.2, 0.3), Box(1, 0.5, 0.5, 0.5, 0.5)])
    assert (rendition.content_type, rendition.extension) == ("image/png", "png")
    out = opened(rendition.content)
    assert out.mode == "RGB" and out.size == (300, 200)
    assert out.getpixel((60, 50)) == (0, 0, 0)  # centre of the first box
    assert out.getpixel((225, 150)) == (0, 0, 0)  # centre of the second box
    assert out.getpixel((299, 199)) == (0, 0, 0)  # its far corner, right at the edge
    assert out.getpixel((5, 5)) == GREEN
    assert out.getpixel((140, 30)) == GREEN


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=st.integers(1, 60),
    height=st.integers(1, 60),
    box=st.tuples(*[st.floats(0, 1, allow_nan=False)] * 4),
)
def test_every_pixel_a_box_touches_is_black_and_no_other(
    width: int, height: int, box: tuple[float, float, float, float]
) -> None:
    x, y = min(box[0], box[1]), min(box[2], box[3])
    w, h = max(box[0], box[1]) - x, max(box[2], box[3]) - y
    if w <= 0 or h <= 0:
        return
    out = opened(
        redact_image(encode(Image.new("RGB", (width, height), GREEN), "PNG"), [Box(1, x, y, w, h)]).content
    )
    for px in range(width):
        for py in range(height):
            # The pixel's square [px, px+1) x [py, py+1) overlaps the box (in pixel units)?
            overlaps = (
                px < (x + w) * width and px + 1 > x * width and py < (y + h) * height and py + 1 > y * height
            )
            assert out.getpixel((px, py)) == ((0, 0, 0) if overlaps else GREEN), (px, py)


def test_png_text_chunks_exif_and_icc_are_dropped() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "SECRET-PNG-TEXT Petar Izmisljenovic")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    data = encode(
        Image.new("RGB", (40, 30), GREEN),
        "PNG",
        pnginfo=info,
        exif=exif_with_gps(),
        icc_profile=icc_profile(),
    )
    assert b"SECRET-PNG-TEXT" in data and b"eXIf" in data
    rendition = clean_image(data)
    assert rendition.content_type == "image/png"
    assert_no_metadata(rendition.content)


def test_transparent_pixels_are_laid_on_white_so_hidden_colour_does_not_show() -> None:
    image = Image.new("RGBA", (20, 20), (255, 0, 0, 0))  # red, but fully transparent
    image.paste((0, 0, 255, 255), (0, 0, 10, 20))
    out = opened(clean_image(encode(image, "PNG")).content)
    assert out.mode == "RGB"
    assert out.getpixel((15, 10)) == (255, 255, 255)
    assert out.getpixel((5, 10)) == (0, 0, 255)


def test_webp_becomes_png_without_its_exif() -> None:
    data = encode(halves((40, 20), RED, BLUE), "WEBP", lossless=True, exif=exif_with_gps(), xmp=XMP)
    assert b"EXIF" in data
    rendition = clean_image(data)
    assert (rendition.content_type, rendition.extension) == ("image/png", "png")
    assert_no_metadata(rendition.content)
    assert close_to(opened(rendition.content).getpixel((5, 10)), RED)


def test_only_the_first_frame_of_an_animation_is_kept() -> None:
    frames = [Image.new("RGB", (10, 10), RED), Image.new("RGB", (10, 10), BLUE)]
    data = encode(frames[0], "PNG", save_all=True, append_images=frames[1:])
    out = opened(clean_image(data).content)
    assert getattr(out, "n_frames", 1) == 1
    assert out.getpixel((5, 5)) == RED


def test_heic_that_pillow_cannot_read_is_refused_clearly() -> None:
    if "HEIF" in Image.OPEN:
        pytest.skip("a HEIF plugin is installed here")
    data = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    with pytest.raises(Invalid, match="HEIC") as caught:
        clean_image(data)
    assert caught.value.status_code == 422


@pytest.mark.parametrize("size", [(100_000, 100_000), (8_000, 8_000)], ids=["pillow-limit", "our-limit"])
def test_decompression_bombs_are_refused_from_the_header(size: tuple[int, int]) -> None:
    assert size[0] * size[1] > MAX_PIXELS
    bomb = png_header_only(*size)
    for call in (clean_image, preview_png):
        with pytest.raises(Invalid, match="too large") as caught:
            call(bomb)
        assert caught.value.status_code == 422


def test_a_truncated_jpeg_is_refused() -> None:
    noise = Image.effect_noise((256, 256), 64).convert("RGB")
    data = encode(noise, "JPEG", quality=90)
    with pytest.raises(Invalid, match="damaged or truncated"):
        clean_image(data[: len(data) // 2])


@pytest.mark.parametrize(
    "data",
    [b"", b"SECRET not an image Petar Izmisljenovic", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n"],
    ids=["empty", "text", "eps"],
)
def test_what_is_not_an_allowed_image_is_refused_without_echoing_it(data: bytes) -> None:
    with pytest.raises(Invalid) as caught:
        clean_image(data)
    assert "SECRET" not in str(caught.value) and "Izmisljenovic" not in str(caught.value)


def test_a_gif_is_not_read_although_pillow_could() -> None:
    with pytest.raises(Invalid, match="not an image this server can read"):
        clean_image(encode(Image.new("RGB", (4, 4), RED), "GIF"))


def test_boxes_off_the_image_or_on_another_page_are_refused() -> None:
    data = encode(Image.new("RGB", (10, 10), GREEN), "PNG")
    with pytest.raises(Invalid, match="page 2"):
        redact_image(data, [Box(1, 0, 0, 1, 1), Box(2, 0, 0, 0.5, 0.5)])
    with pytest.raises(Invalid, match="only page 1"):
        preview_png(data, page=2)


@pytest.mark.parametrize(
    "values",
    [
        (0, 0.1, 0.1, 0.1, 0.1),
        (1, -0.1, 0.1, 0.1, 0.1),
        (1, 0.5, 0.1, 0.6, 0.1),
        (1, 0.1, 0.1, 0, 0.1),
        (1, float("nan"), 0.1, 0.1, 0.1),
        (1, 0.1, float("inf"), 0.1, 0.1),
        (True, 0.1, 0.1, 0.1, 0.1),
        (1, "0.1", 0.1, 0.1, 0.1),
    ],
)
def test_malformed_boxes_are_refused(values: tuple) -> None:
    with pytest.raises(Invalid):
        Box(*values)


def test_the_preview_is_bounded_and_clean() -> None:
    data = encode(Image.new("RGB", (3000, 1000), GREEN), "JPEG", exif=exif_with_gps(1))
    png = preview_png(data, max_side=600)
    preview = opened(png)
    assert preview.format == "PNG" and max(preview.size) <= 600 and preview.size[0] > preview.size[1]
    assert set(png_chunks(png)) <= {b"IHDR", b"IDAT", b"IEND"}
    with pytest.raises(Invalid):
        preview_png(data, max_side=100_000)
