"""Hand-made test files full of what a redaction must remove: metadata, text layers, scripts."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

from PIL import ExifTags, Image, ImageCms
from PIL.TiffImagePlugin import IFDRational

# --- images -----------------------------------------------------------------------------------

NAME = "Petar Izmišljenović"
GPS_DATUM = "SECRET-GPS-DATUM"
COMMENT = b"SECRET-JPEG-COMMENT"
THUMBNAIL_MARKER = b"SECRET-THUMBNAIL"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="44,49.2057N" '
    b'exif:GPSLongitude="20,27.9463E"/></rdf:RDF></x:xmpmeta>'
)
# The seconds of the GPS position as Pillow writes them: reduced rationals, big-endian ("MM").
GPS_LATITUDE_SECONDS = struct.pack(">II", 617, 50)
GPS_LONGITUDE_SECONDS = struct.pack(">II", 2839, 50)
RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (20, 200, 20)


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Artist] = "Petar Izmisljenovic"
    exif[ExifTags.Base.Make] = "SECRET-CAMERA"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps.update(
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (44.0, 49.0, IFDRational(1234, 100)),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (20.0, 27.0, IFDRational(5678, 100)),
            ExifTags.GPS.GPSMapDatum: GPS_DATUM,
        }
    )
    return exif


def icc_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def thumbnail_segment() -> bytes:
    """A JFIF extension (APP0 "JFXX") holding a JPEG thumbnail with a marker in its comment."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), GREEN).save(out, "JPEG", comment=THUMBNAIL_MARKER)
    return _segment(0xE0, b"JFXX\x00\x10" + out.getvalue())


def halves(size: tuple[int, int], first: tuple[int, int, int], second: tuple[int, int, int]) -> Image.Image:
    """An image whose left half is ``first`` and right half ``second``."""
    image = Image.new("RGB", size, second)
    image.paste(first, (0, 0, size[0] // 2, size[1]))
    return image


def photo_jpeg(orientation: int = 6) -> bytes:
    """A 200x100 JPEG (left red, right blue as stored) carrying EXIF with GPS, orientation,
    XMP, an ICC profile, a comment and a thumbnail."""
    out = io.BytesIO()
    halves((200, 100), RED, BLUE).save(
        out,
        "JPEG",
        quality=95,
        exif=exif_with_gps(orientation).tobytes(),
        icc_profile=icc_profile(),
        comment=COMMENT,
        xmp=XMP,
    )
    data = out.getvalue()
    jfif_end = 4 + struct.unpack(">H", data[4:6])[0]  # the thumbnail goes right after JFIF's APP0
    return data[:jfif_end] + thumbnail_segment() + data[jfif_end:]


def jpeg_markers(data: bytes) -> list[int]:
    """The marker codes of a JPEG's segments up to the start of scan."""
    assert data[:2] == b"\xff\xd8"
    markers, position = [], 2
    while position < len(data):
        assert data[position] == 0xFF
        marker = data[position + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            return markers
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        position += 2 + length
    return markers


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        chunks.append(data[position + 4 : position + 8])
        position += 12 + length
    return chunks


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels in a few bytes: a decompression bomb's shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


# --- PDFs -------------------------------------------------------------------------------------

#: Points of the pages below (US Letter).
PAGE_WIDTH, PAGE_HEIGHT = 612, 792


def build_pdf(objects: list[bytes], *, trailer: bytes = b"") -> bytes:
    """A PDF of ``objects`` (numbered from 1; object 1 is the catalog) with a correct xref."""
    out = bytearray(b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R ".encode() + trailer + b" >>\n"
    out += f"startxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def stream(content: bytes, entries: bytes = b"") -> bytes:
    return b"<< " + entries + b" /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


def page_one_content() -> bytes:
    """Red background; the name in black, 24 pt, baseline at (72, 700)."""
    name = "Petar Izmišljenovic".encode("cp1252")  # š is in WinAnsi; ć is not
    return (
        b"0.86 0.08 0.08 rg 0 0 612 792 re f "
        b"0 0 0 rg BT /F1 24 Tf 72 700 Td (" + name + b") Tj ET "
        b"BT /F1 12 Tf 72 400 Td (Zapisnik sa sastanka) Tj ET"
    )


#: A box (fractions of page 1) that covers the name on page 1, as a reviewer would draw it.
NAME_BOX = (72 / 612 - 0.01, (792 - 724) / 792, 0.6, 36 / 792)


def nasty_pdf() -> bytes:
    """Two pages; page 1 names a witness in its text layer, page 2 is rotated; the file carries an
    annotation, a form field, an /OpenAction and a page /AA JavaScript, an embedded file, an XMP
    metadata stream, outlines and an /Info dictionary."""
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">SECRET-XMP Petar Izmisljenovic</x:xmpmeta>'
    objects = [
        # 1 catalog
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 8 0 R /AcroForm << /Fields [9 0 R] >> "
        b"/Names << /EmbeddedFiles << /Names [(secret.txt) 10 0 R] >> "
        b"/JavaScript << /Names [(init) 8 0 R] >> >> /Metadata 12 0 R /Outlines 13 0 R >>",
        # 2 page tree
        b"<< /Type /Pages /Kids [3 0 R 6 0 R] /Count 2 >>",
        # 3 page 1
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> /Annots [9 0 R 15 0 R] "
        b"/AA << /O 8 0 R >> >>",
        # 4 page 1 content
        stream(page_one_content()),
        # 5 font
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        # 6 page 2, rotated: shown 792 wide and 612 high
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate 90 /Contents 7 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        # 7 page 2 content: blue with a line of text
        stream(b"0.08 0.08 0.86 rg 0 0 612 792 re f 1 1 1 rg BT /F1 14 Tf 72 300 Td (Strana dva) Tj ET"),
        # 8 JavaScript action
        b"<< /Type /Action /S /JavaScript /JS (app.alert('SECRET-JS');) >>",
        # 9 form field and widget
        b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (witness) /V (SECRET-FORM-VALUE) "
        b"/Rect [300 100 500 130] /P 3 0 R >>",
        # 10 file specification
        b"<< /Type /Filespec /F (secret.txt) /UF (secret.txt) /EF << /F 11 0 R >> >>",
        # 11 embedded file
        stream(b"SECRET-EMBEDDED-FILE Petar Izmisljenovic", b"/Type /EmbeddedFile"),
        # 12 XMP metadata
        stream(xmp, b"/Type /Metadata /Subtype /XML"),
        # 13 outlines
        b"<< /Type /Outlines /First 14 0 R /Last 14 0 R /Count 1 >>",
        # 14 outline item
        b"<< /Title (SECRET-OUTLINE) /Parent 13 0 R /Dest [3 0 R /Fit] >>",
        # 15 a sticky note
        b"<< /Type /Annot /Subtype /Text /Rect [500 700 520 720] /Contents (SECRET-ANNOTATION) >>",
        # 16 document information
        b"<< /Title (SECRET-TITLE) /Author (Petar Izmisljenovic) /Producer (SECRET-PRODUCER) "
        b"/Creator (SECRET-CREATOR) /CreationDate (D:20240101120000+01'00') >>",
    ]
    return build_pdf(objects, trailer=b"/Info 16 0 R")


def text_pdf(content: bytes) -> bytes:
    """A one-page PDF drawing ``content`` (text operators) in Helvetica as font /F1."""
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            stream(content),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
    )


def many_pages_pdf(pages: int) -> bytes:
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages)).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        stream(b"0 0 1 rg 10 10 50 50 re f"),
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 3 0 R >>"] * pages
    return build_pdf(objects)


def sized_page_pdf(width: float, height: float) -> bytes:
    return build_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] /Contents 4 0 R >>".encode(),
            stream(f"0 1 0 rg 0 0 {width} {height} re f".encode()),
        ]
    )


# RC4 and the standard security handler, revision 2 (PDF 1.7, 7.6.3), just enough to lock a file.
_PASSWORD_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    state = list(range(256))
    j = 0
    for i in range(256):
        j = (j + state[i] + key[i % len(key)]) % 256
        state[i], state[j] = state[j], state[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + state[i]) % 256
        state[i], state[j] = state[j], state[i]
        out.append(byte ^ state[(state[i] + state[j]) % 256])
    return bytes(out)


def _padded(password: bytes) -> bytes:
    return (password + _PASSWORD_PAD)[:32]


def encrypted_pdf(*, user_password: bytes, owner_password: bytes = b"owner") -> bytes:
    """A one-page PDF naming the witness, encrypted with RC4 (40-bit). With an empty user password
    it opens without one (permissions only); otherwise it needs ``user_password``."""
    file_id = b"0123456789abcdef"
    permissions = struct.pack("<i", -4)
    owner = _rc4(hashlib.md5(_padded(owner_password)).digest()[:5], _padded(user_password))
    key = hashlib.md5(_padded(user_password) + owner + permissions + file_id).digest()[:5]
    user = _rc4(key, _PASSWORD_PAD)

    def encrypt(number: int, data: bytes) -> bytes:
        object_key = hashlib.md5(key + number.to_bytes(3, "little") + b"\x00\x00").digest()[:10]
        return _rc4(object_key, data)

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        stream(encrypt(4, b"BT /F1 24 Tf 72 700 Td (Petar Izmisljenovic) Tj ET")),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Filter /Standard /V 1 /R 2 /O <"
        + owner.hex().encode()
        + b"> /U <"
        + user.hex().encode()
        + b"> /P -4 >>",
    ]
    identifier = file_id.hex().encode()
    return build_pdf(objects, trailer=b"/Encrypt 6 0 R /ID [<" + identifier + b"> <" + identifier + b">]")


# --- scans --------------------------------------------------------------------------------------

#: A font every Debian machine with a browser has (fonts-dejavu-core), with Latin and Cyrillic.
SCAN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def scanned_pdf(pages: list[list[str]], *, dpi: int = 150) -> bytes:
    """An image-only PDF, as a scanner makes it: each page an A4 picture of its lines of text (in
    any script), with no text layer at all. Lines start 1/10 of the page down, 1/16 apart."""
    from PIL import ImageDraw, ImageFont

    font = ImageFont.truetype(SCAN_FONT, round(dpi * 16 / 72))  # 16-point type
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    images = []
    for lines in pages:
        image = Image.new("RGB", (width, height), "white")
        draw = ImageDraw.Draw(image)
        for number, line in enumerate(lines):
            draw.text((width // 10, height // 10 + number * height // 16), line, font=font, fill="black")
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()
