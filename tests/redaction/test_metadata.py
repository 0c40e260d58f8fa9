"""The scan of an upload's EXIF that tells the member what the photo carries: it finds what
exiftool finds in a real photo, and never fails on a broken or hostile head."""

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
