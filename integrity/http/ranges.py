"""Parses an HTTP `Range` header (RFC 9110 section 14) into the one byte range a download serves."""

from __future__ import annotations

import re
from dataclasses import dataclass

from integrity.errors import RangeNotSatisfiable

# first-pos "-" [last-pos] | "-" suffix-length, with the optional whitespace RFC 9110 allows around
# each element of the list.
_SPEC = re.compile(r"[ \t]*(\d*)-(\d*)[ \t]*")

# Longer digit strings are clamped rather than converted: Python refuses int() on very long strings,
# and no file is anywhere near 10**18 bytes, so the clamped value behaves exactly like the real one.
_MAX_DIGITS = 18
_HUGE = 10**_MAX_DIGITS


@dataclass(frozen=True, slots=True)
class ByteRange:
    """Bytes `start` (inclusive) to `end` (exclusive) of a file of `size` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start

    @property
    def content_range(self) -> str:
        """The `Content-Range` header of the 206 response."""
        return f"bytes {self.start}-{self.end - 1}/{self.size}"


def _number(digits: str) -> int:
    return int(digits) if len(digits) <= _MAX_DIGITS else _HUGE


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The range to serve, or None to serve the whole file (200).

    None also covers what RFC 9110 lets a server ignore: no header, another unit, a header that does
    not parse, and several ranges (serving them would mean multipart/byteranges, and overlapping
    ranges are a known amplification trick; the whole file is always a correct answer).
    Raises `RangeNotSatisfiable` when the single range selects no byte of the file.
    """
    if size < 0:
        raise ValueError("size must not be negative")
    if header is None:
        return None
    unit, sep, range_set = header.strip().partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    specs = range_set.split(",")
    if len(specs) != 1:
        # Multiple ranges: only check that the list is well-formed enough to be a Range at all;
        # either way the answer is the whole file.
        return None
    match = _SPEC.fullmatch(specs[0])
    if match is None:
        return None
    first, last = match.group(1), match.group(2)
    if not first and not last:
        return None

    if not first:
        # bytes=-n: the last n bytes. A zero-length suffix, or any suffix of an empty file, selects
        # nothing (RFC 9110 section 14.1.3).
        suffix = _number(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(size=size)
        return ByteRange(start=max(size - suffix, 0), end=size, size=size)

    start = _number(first)
    if last:
        stop = _number(last)
        if stop < start:
            # Syntactically invalid (RFC 9110 section 14.1.1): ignore the header.
            return None
        end = min(stop + 1, size)
    else:
        end = size
    if start >= size:
        raise RangeNotSatisfiable(size=size)
    return ByteRange(start=start, end=end, size=size)
