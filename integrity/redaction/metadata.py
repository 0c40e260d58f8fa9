"""What an uploaded photo says about where, when and with what it was taken: the kinds of metadata
it carries (its location, the camera, the time, an author), for the member who uploads it to know.
The public never gets them: every published copy is rebuilt from pixels (``integrity.redaction``).

Read from the first bytes of the upload (the sniffed head, where JPEG, PNG and WebP keep their EXIF),
in a worker process like every decoder of untrusted files (``run_in_worker``). Only the kinds are
kept, never the values.
"""

from __future__ import annotations

import io

from PIL import Image

__all__ = ["CARRIED_KINDS", "carried_metadata"]

#: The kinds, in the order a page lists them.
CARRIED_KINDS = ("location", "camera", "taken", "author")

_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_MAKE, _MODEL, _DATETIME, _ARTIST = 271, 272, 306, 315
_DATETIME_ORIGINAL = 36867
_XP_AUTHOR = 0x9C9D


def carried_metadata(head: bytes, content_type: str) -> list[str]:
    """The kinds of identifying metadata in an image's first bytes ([] for other files, or when
    its header cannot be read)."""
    if not content_type.startswith("image/"):
        return []
    try:
        with Image.open(io.BytesIO(head)) as image:
            exif = image.getexif()
            found: set[str] = set()
            if exif.get_ifd(_GPS_IFD) or _GPS_IFD in exif:
                found.add("location")
            if exif.get(_MAKE) or exif.get(_MODEL):
                found.add("camera")
            if exif.get(_DATETIME) or exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL):
                found.add("taken")
            if exif.get(_ARTIST) or exif.get(_XP_AUTHOR):
                found.add("author")
    except Exception:  # noqa: BLE001 - a header Pillow cannot read says nothing we can show
        return []
    return [kind for kind in CARRIED_KINDS if kind in found]
