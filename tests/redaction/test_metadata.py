"""The scans that tell the member what an upload carries (a photo's EXIF, a PDF's or an office
document's author): they find what exiftool finds in real files, and never fail on a broken or
hostile head."""

from __future__ import annotations

import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from integrity.redaction.metadata import carried_metadata
from tests import samples
from tests.redaction.handmade import photo_jpeg


def test_a_photo_with_gps_camera_and_author_says_so_as_exiftool_reads_it(tmp_path) -> None:
    photo = photo_jpeg()
    path = tmp_path / "photo.jpg"
    path.write_bytes(photo)
    shown = subprocess.run(
        ["exiftool", "-s", "-GPSLatitude", "-Make", "-Model", "-Artist", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    kinds = carried_metadata(photo[: 64 * 1024], "image/jpeg")
    assert ("GPSLatitude" in shown) == ("location" in kinds)
    assert ("Make" in shown or "Model" in shown) == ("camera" in kinds)
    assert kinds[0] == "location"
    # The published copy is rebuilt from pixels: nothing to report on it, nor on a plain PNG.
    assert carried_metadata(samples.png(), "image/png") == []
    assert carried_metadata(b"%PDF-1.7", "application/pdf") == []


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2048), st.integers(0, 2048))
def test_a_broken_or_hostile_head_is_no_error(noise: bytes, cut: int) -> None:
    for head in (
        b"\xff\xd8" + noise,
        b"\xff\xd8\xff\xe1" + noise,
        b"\xff\xd8\xff\xe1\x00\x40Exif\x00\x00II*\x00" + noise,
        b"\x89PNG\r\n\x1a\n" + noise,
        b"RIFF\x00\x00\x00\x00WEBP" + noise,
        photo_jpeg()[:cut],
    ):
        kinds = carried_metadata(head, "image/jpeg")
        assert set(kinds) <= {"location", "camera", "taken", "author"}


CORE = (
    '<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/'
    'package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "{inside}</cp:coreProperties>"
)


def _exiftool(path, *tags: str) -> str:
    return subprocess.run(
        ["exiftool", "-s", *tags, str(path)], capture_output=True, text=True, check=True
    ).stdout


def _pdf(author: str | None) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    extra = {"author": author} if author else {}
    Image.new("RGB", (200, 200), "white").save(out, format="PDF", **extra)
    return out.getvalue()


def test_a_pdfs_author_is_found_as_it_streams_as_exiftool_reads_it(tmp_path) -> None:
    from integrity.redaction.metadata import PdfAuthorScan

    for author in ("Jelena Izmišljena", None):
        document = _pdf(author)
        path = tmp_path / "document.pdf"
        path.write_bytes(document)
        scan = PdfAuthorScan()
        # In small pieces: a mark split between two chunks is still found.
        for start in range(0, len(document), 7):
            scan.feed(document[start : start + 7])
        assert ("Author" in _exiftool(path, "-Author")) == bool(author)
        assert scan.carried() == (["author"] if author else [])
    empty = PdfAuthorScan()
    empty.feed(b"%PDF-1.7\n1 0 obj << /Author () /Title (x) >> endobj << /Author <FEFF> >>")
    assert empty.carried() == []


def test_an_office_documents_author_is_found_as_its_entries_inflate_as_exiftool_reads_it(tmp_path) -> None:
    from integrity.cases.filetypes import InflationCheck
    from integrity.redaction.metadata import office_metadata
    from tests.cases.test_filetypes import RELS, WORD_MAIN, D, content_types, zipped

    for inside, expected in [
        ("<dc:creator>Jelena Izmišljena</dc:creator><cp:lastModifiedBy>JI</cp:lastModifiedBy>", ["author"]),
        ("<dc:title>Zapisnik</dc:title><dc:creator></dc:creator>", []),
    ]:
        document = zipped(
            [
                ("[Content_Types].xml", content_types(WORD_MAIN), D),
                ("_rels/.rels", RELS, D),
                ("docProps/core.xml", CORE.format(inside=inside), D),
                ("word/document.xml", "<w:document/>", D),
            ]
        )
        path = tmp_path / "document.docx"
        path.write_bytes(document)
        check = InflationCheck()
        for start in range(0, len(document), 13):
            check.feed(document[start : start + 13])
        assert ("Jelena" in _exiftool(path, "-Creator")) == bool(expected)
        assert office_metadata(check.metadata) == expected
