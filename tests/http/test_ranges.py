"""`Range` headers for evidence downloads: one range served, several ignored, the impossible refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrity.errors import RangeNotSatisfiable
from integrity.http.ranges import ByteRange, parse_range


def test_no_header_serves_the_whole_file() -> None:
    assert parse_range(None, 100) is None


@pytest.mark.parametrize(
    ("header", "size", "start", "end"),
    [
        ("bytes=0-9", 100, 0, 10),
        ("bytes=10-19", 100, 10, 20),
        ("bytes=90-200", 100, 90, 100),  # last-pos past the end is clamped
        ("bytes=0-", 100, 0, 100),
        ("bytes=99-", 100, 99, 100),
        ("bytes=-10", 100, 90, 100),
        ("bytes=-1000", 100, 0, 100),  # a suffix longer than the file is the whole file
        ("bytes=0-0", 1, 0, 1),
        ("bytes=-1", 1, 0, 1),
        ("bytes=0-", 1, 0, 1),
        ("Bytes=5-5", 10, 5, 6),  # the unit is case-insensitive
        ("bytes= 2-3 ", 10, 2, 4),  # optional whitespace around the range
        ("bytes=0-99999999999999999999999", 10, 0, 10),
    ],
)
def test_single_range(header: str, size: int, start: int, end: int) -> None:
    wanted = parse_range(header, size)
    assert wanted == ByteRange(start=start, end=end, size=size)
    assert wanted.length == end - start
    assert wanted.content_range == f"bytes {start}-{end - 1}/{size}"


@pytest.mark.parametrize(
    ("header", "size"),
    [
        ("bytes=100-", 100),
        ("bytes=100-200", 100),
        ("bytes=1-", 1),
        ("bytes=-0", 100),
        ("bytes=0-", 0),
        ("bytes=0-0", 0),
        ("bytes=-5", 0),
        ("bytes=99999999999999999999999-", 10),
    ],
)
def test_unsatisfiable_range_is_416_with_the_size(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable) as raised:
        parse_range(header, size)
    assert raised.value.status_code == 416
    assert raised.value.title == "Range not satisfiable"
    assert raised.value.content_range == f"bytes */{size}"


@pytest.mark.parametrize(
    "header",
    [
        "bytes=0-1,5-6",  # several ranges: RFC 9110 lets us send the whole file
        "bytes=0-1, 50-",
        "bytes=-1,-2",
        "bytes=0-0,0-0,0-0,0-0",
        "items=0-1",  # another unit
        "bytes 0-1",
        "bytes=",
        "bytes=-",
        "bytes=a-b",
        "bytes=1-2-3",
        "bytes=5-2",  # last before first: invalid, so ignored
        "bytes=+1-2",
        "",
    ],
)
def test_ignored_headers_serve_the_whole_file(header: str) -> None:
    assert parse_range(header, 10) is None


def test_multiple_ranges_on_an_empty_file_serve_it_whole() -> None:
    assert parse_range("bytes=0-1,2-3", 0) is None


@settings(max_examples=300, deadline=None)
@given(size=st.integers(0, 10_000), first=st.integers(0, 20_000), last=st.integers(0, 20_000) | st.none())
def test_a_served_range_is_always_inside_the_file(size: int, first: int, last: int | None) -> None:
    header = f"bytes={first}-" + ("" if last is None else str(last))
    try:
        wanted = parse_range(header, size)
    except RangeNotSatisfiable:
        assert first >= size
        return
    if wanted is None:
        assert last is not None and last < first
        return
    assert 0 <= wanted.start < wanted.end <= size
    assert wanted.start == first
