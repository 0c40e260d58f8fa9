"""Small, valid sample evidence files made on the spot (no binary fixtures in the repository)."""

from __future__ import annotations

import os
import struct
import zlib


def png(marker: bytes = b"", *, width: int = 8, height: int = 8) -> bytes:
    """A real PNG (grey pixels); `marker` goes into a text chunk so scans can look for it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + bytes([128]) * width for _ in range(height))
    text = chunk(b"tEXt", b"Comment\x00" + marker) if marker else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + text
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def jpeg(marker: bytes = b"", *, size: int = 4096) -> bytes:
    """A JPEG-shaped file (SOI, JFIF APP0, a COM segment with `marker`, filler, EOI)."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    comment = b"\xff\xfe" + struct.pack(">H", len(marker) + 2) + marker if marker else b""
    filler = os.urandom(max(0, size - len(app0) - len(comment) - 4)).replace(b"\xff", b"\x00")
    return b"\xff\xd8" + app0 + comment + filler + b"\xff\xd9"


def pdf(text: str = "Izveštaj") -> bytes:
    """A one-page PDF with `text` in its text layer."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def text(marker: str = "") -> bytes:
    return f"Zapisnik sa sastanka opštinskog veća.\n{marker}\n".encode()


def windows_executable() -> bytes:
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + os.urandom(512)


def multipart(files: list[tuple[str, bytes]], *, field: str = "file") -> tuple[bytes, str]:
    """A multipart/form-data body with one `field` part per (filename, content)."""
    boundary = "integrity-test-" + os.urandom(8).hex()
    body = bytearray()
    for filename, content in files:
        body += f"--{boundary}\r\n".encode()
        body += f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'.encode()
        body += b"Content-Type: application/octet-stream\r\n\r\n"
        body += content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"
