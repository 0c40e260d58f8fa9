"""Streaming multipart/form-data: same parts however the body is split, bounded memory, clean errors."""

from __future__ import annotations

import asyncio
import hashlib
import tracemalloc
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrity.errors import BadRequest, Invalid, TooLarge
from integrity.http.multipart import FormPart, iter_form_parts, parse_header_params

BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
MiB = 1024 * 1024


@dataclass(frozen=True)
class Part:
    name: str
    filename: str | None
    content_type: str | None
    body: bytes


def encode_part(
    name: str, body: bytes, *, filename: str | None = None, content_type: str | None = None
) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"Content-Disposition: {disposition}\r\n"
    if content_type is not None:
        head += f"Content-Type: {content_type}\r\n"
    return head.encode() + b"\r\n" + body


def form(*parts: bytes, boundary: str = BOUNDARY) -> bytes:
    delimiter = b"--" + boundary.encode()
    out = b""
    for part in parts:
        out += delimiter + b"\r\n" + part + b"\r\n"
    return out + delimiter + b"--\r\n"


async def pieces(data: bytes, cuts: Iterable[int] = ()) -> AsyncIterator[bytes]:
    """The body as a request stream, cut at the given offsets."""
    start = 0
    for cut in sorted(set(cuts)):
        if 0 < cut < len(data):
            yield data[start:cut]
            start = cut
    yield data[start:]


async def in_chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def collect(body: AsyncIterator[bytes], content_type: str = CONTENT_TYPE, **limits: int) -> list[Part]:
    limits.setdefault("max_part_bytes", 10 * MiB)
    parts = []
    async for part in iter_form_parts(body, content_type, **limits):  # type: ignore[arg-type]
        data = b"".join([chunk async for chunk in part.chunks()])
        parts.append(Part(part.name, part.filename, part.content_type, data))
    return parts


def parse(
    data: bytes, cuts: Iterable[int] = (), content_type: str = CONTENT_TYPE, **limits: int
) -> list[Part]:
    return asyncio.run(collect(pieces(data, cuts), content_type, **limits))


# --- what comes out -----------------------------------------------------------------------------


def test_fields_and_files_come_out_in_order() -> None:
    body = form(
        encode_part("csrf", b"token-123"),
        encode_part("file", b"\x89PNG\r\n\x1a\n...", filename="photo.png", content_type="image/png"),
        encode_part("file", b"", filename="empty.txt", content_type="text/plain"),
    )
    assert parse(body) == [
        Part("csrf", None, None, b"token-123"),
        Part("file", "photo.png", "image/png", b"\x89PNG\r\n\x1a\n..."),
        Part("file", "empty.txt", "text/plain", b""),
    ]


def test_headers_are_exposed_with_lower_case_names() -> None:
    body = form(b'content-disposition: form-data; name="a"\r\nX-Extra:  yes \r\n\r\nv')

    async def run() -> dict[str, str]:
        async for part in iter_form_parts(pieces(body), CONTENT_TYPE, max_part_bytes=100):
            await part.skip()
            return part.headers
        raise AssertionError

    assert asyncio.run(run()) == {"content-disposition": 'form-data; name="a"', "x-extra": "yes"}


def test_an_empty_form_has_no_parts() -> None:
    assert parse(b"--" + BOUNDARY.encode() + b"--\r\n") == []


def test_leading_blank_lines_and_an_epilogue_are_ignored() -> None:
    body = b"\r\n" + form(encode_part("a", b"1")) + b"epilogue the parser never looks at"
    assert parse(body) == [Part("a", None, None, b"1")]


def test_a_quoted_boundary_is_accepted() -> None:
    boundary = "abc'()+_,-./:=? def"
    body = form(encode_part("a", b"1"), boundary=boundary)
    assert parse(body, content_type=f'multipart/form-data; charset=utf-8; boundary="{boundary}"') == [
        Part("a", None, None, b"1")
    ]


@pytest.mark.parametrize(
    ("disposition", "filename"),
    [
        (b'form-data; name="f"; filename="report.pdf"', "report.pdf"),
        (b'form-data; name="f"; filename=report.pdf', "report.pdf"),
        (b'form-data; name="f"; filename="say \\"hi\\".txt"', 'say "hi".txt'),
        # Browsers send UTF-8 as it is.
        ('form-data; name="f"; filename="Izveštaj о набавци.pdf"'.encode(), "Izveštaj о набавци.pdf"),
        # Not UTF-8: still readable, byte for byte.
        (b'form-data; name="f"; filename="caf\xe9.txt"', "café.txt"),
        # RFC 8187 extended value, which wins over the plain one.
        (
            b'form-data; name="f"; filename="fallback.pdf"; '
            b"filename*=UTF-8''%C4%8Dla%C5%BEe%20%E2%80%AE.pdf",
            "\u010dla\u017ee \u202e.pdf",
        ),
        (b"form-data; name=\"f\"; filename*=iso-8859-1'en'caf%E9.txt", "café.txt"),
        (b'form-data; name="f"; filename*=koi8-r\'\'x; filename="plain.txt"', "plain.txt"),
        # A Windows path keeps its backslashes; safe_display_name cuts them.
        (b'form-data; name="f"; filename="C:\\Users\\ana\\izjava.docx"', "C:\\Users\\ana\\izjava.docx"),
        # A file input with nothing chosen.
        (b'form-data; name="f"; filename=""', ""),
        (b'form-data; name="f"; filename="a;b=c.txt"', "a;b=c.txt"),
        (b'form-data; name="f"; filename="first.txt"; filename="second.txt"', "first.txt"),
    ],
)
def test_filenames_are_decoded(disposition: bytes, filename: str) -> None:
    body = form(b"Content-Disposition: " + disposition + b"\r\n\r\nx")
    [part] = parse(body)
    assert part.name == "f"
    assert part.filename == filename


def test_header_parameters() -> None:
    assert parse_header_params('Form-Data; NAME="a b"; x=1;;  y = "2" ') == (
        "form-data",
        {"name": "a b", "x": "1", "y": "2"},
    )
    assert parse_header_params('form-data; name="unterminated') == ("form-data", {"name": "unterminated"})


# --- the same parts, however the body arrives ------------------------------------------------------

tricky = st.sampled_from(
    [
        b"\r",
        b"\n",
        b"\r\n",
        b"-",
        b"--",
        b"\r\n--",
        b"\r\n--" + BOUNDARY.encode()[:-1],
        b"--" + BOUNDARY.encode() + b"x",
    ]
)
contents = st.lists(st.binary(max_size=200) | tricky, max_size=8).map(b"".join)
field_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(
        st.tuples(field_names, st.none() | field_names.map(lambda n: n + ".bin"), contents),
        min_size=0,
        max_size=5,
    ),
    data=st.data(),
)
def test_random_split_points_give_identical_parts(
    parts: list[tuple[str, str | None, bytes]], data: st.DataObject
) -> None:
    body = form(*(encode_part(name, content, filename=filename) for name, filename, content in parts))
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=12))
    expected = [Part(name, filename, None, content) for name, filename, content in parts]
    assert parse(body) == expected
    assert parse(body, cuts) == expected


def test_one_byte_at_a_time() -> None:
    body = form(
        encode_part("a", b"x\r\n--y\r\n"), encode_part("b", b"\r\n--" + BOUNDARY.encode()[:10], filename="b")
    )
    assert parse(body, range(len(body))) == parse(body)


# --- memory and limits --------------------------------------------------------------------------


def test_a_large_part_streams_in_bounded_memory() -> None:
    size = 50 * MiB
    piece = bytes(range(256)) * 256  # 64 KiB
    head = form(encode_part("file", b"@", filename="video.mp4")).split(b"@")[0]
    tail = b"\r\n--" + BOUNDARY.encode() + b"--\r\n"

    async def body() -> AsyncIterator[bytes]:
        yield head
        for _ in range(size // len(piece)):
            # A fresh buffer each time, as a server gives: what the parser keeps would add up.
            yield bytearray(piece)  # type: ignore[misc]
        yield tail

    async def consume() -> tuple[int, str]:
        digest = hashlib.sha256()
        total = 0
        async for part in iter_form_parts(body(), CONTENT_TYPE, max_part_bytes=size):
            async for chunk in part.chunks():
                digest.update(chunk)
                total += len(chunk)
        return total, digest.hexdigest()

    expected = hashlib.sha256(piece * (size // len(piece))).hexdigest()
    tracemalloc.start()
    try:
        total, digest = asyncio.run(consume())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (total, digest) == (size, expected)
    assert peak < 2 * MiB, f"peak {peak} bytes for a {size}-byte part"


def _endless_part(filename: str | None, counter: list[int]) -> AsyncIterator[bytes]:
    """A part that never ends: the limit must stop it, or the test hangs."""

    async def body() -> AsyncIterator[bytes]:
        yield form(encode_part("file", b"@", filename=filename)).split(b"@")[0]
        piece = b"x" * 65536
        while True:
            counter[0] += len(piece)
            yield piece

    return body()


@pytest.mark.parametrize(
    ("filename", "limit_name"), [("big.bin", "max_part_bytes"), (None, "max_field_bytes")]
)
def test_a_part_over_its_limit_fails_as_soon_as_it_passes(filename: str | None, limit_name: str) -> None:
    pulled = [0]
    limits = {"max_part_bytes": 1 * MiB, "max_field_bytes": 100_000}
    with pytest.raises(TooLarge):
        asyncio.run(collect(_endless_part(filename, pulled), CONTENT_TYPE, **limits))
    assert limits[limit_name] < pulled[0] <= limits[limit_name] + 65536


def test_the_limit_applies_to_parts_that_are_skipped() -> None:
    pulled = [0]

    async def run() -> None:
        async for part in iter_form_parts(_endless_part("x", pulled), CONTENT_TYPE, max_part_bytes=MiB):
            await part.skip()

    with pytest.raises(TooLarge):
        asyncio.run(run())
    assert pulled[0] <= MiB + 65536


def test_a_part_exactly_at_the_limit_is_fine() -> None:
    body = form(encode_part("file", b"x" * 1000, filename="f"), encode_part("t", b"y" * 10))
    assert [p.body for p in parse(body, max_part_bytes=1000, max_field_bytes=10)] == [b"x" * 1000, b"y" * 10]
    with pytest.raises(TooLarge):
        parse(body, max_part_bytes=999, max_field_bytes=10)
    with pytest.raises(TooLarge):
        parse(body, max_part_bytes=1000, max_field_bytes=9)


def test_too_many_parts_is_invalid() -> None:
    body = form(*(encode_part(f"f{i}", b"x") for i in range(6)))
    assert len(parse(body, max_parts=6)) == 6
    with pytest.raises(Invalid):
        parse(body, max_parts=5)


# --- reading parts ------------------------------------------------------------------------------


def _run_parts(body: bytes, use: object, **limits: int) -> object:
    async def run() -> object:
        limits.setdefault("max_part_bytes", MiB)
        async with _closing(
            iter_form_parts(pieces(body, range(0, len(body), 7)), CONTENT_TYPE, **limits)
        ) as parts:
            return await use(parts)  # type: ignore[operator]

    return asyncio.run(run())


class _closing:
    def __init__(self, agen: AsyncIterator[FormPart]) -> None:
        self.agen = agen

    async def __aenter__(self) -> AsyncIterator[FormPart]:
        return self.agen

    async def __aexit__(self, *exc: object) -> None:
        await self.agen.aclose()  # type: ignore[attr-defined]


def test_read_text_for_small_fields() -> None:
    body = form(
        encode_part("csrf", "tok€n".encode()), encode_part("note", b"x" * 300), encode_part("bad", b"\xff")
    )

    async def use(parts: AsyncIterator[FormPart]) -> str:
        csrf = await anext(parts)
        value = await csrf.read_text(limit=64)
        note = await anext(parts)
        with pytest.raises(TooLarge):
            await note.read_text(limit=256)
        return value

    assert _run_parts(body, use) == "tok€n"

    async def bad_utf8(parts: AsyncIterator[FormPart]) -> None:
        async for part in parts:
            if part.name == "bad":
                with pytest.raises(Invalid):
                    await part.read_text(limit=10)

    _run_parts(body, bad_utf8)


def test_unread_and_skipped_parts_are_drained() -> None:
    body = form(
        encode_part("ignored", b"a" * 5000),
        encode_part("skipped", b"b" * 5000, filename="s"),
        encode_part("half", b"c" * 5000, filename="h"),
        encode_part("last", b"the end"),
    )

    async def use(parts: AsyncIterator[FormPart]) -> tuple[str, str]:
        await anext(parts)  # never read
        skipped = await anext(parts)
        await skipped.skip()
        await skipped.skip()  # twice is harmless
        half = await anext(parts)
        chunks = half.chunks()
        await anext(chunks)
        last = await anext(parts)
        with pytest.raises(RuntimeError):
            # The rest of "half" was drained: handing out nothing more would look like a short file.
            await anext(chunks)
        return last.name, await last.read_text(limit=100)

    assert _run_parts(body, use) == ("last", "the end")


def test_a_body_is_read_once() -> None:
    body = form(encode_part("a", b"x"))

    async def use(parts: AsyncIterator[FormPart]) -> None:
        part = await anext(parts)
        part.chunks()
        with pytest.raises(RuntimeError):
            part.chunks()
        with pytest.raises(RuntimeError):
            await part.read_text(limit=10)

    _run_parts(body, use)


def test_a_head_read_then_the_rest() -> None:
    # How the cases service uses it: read a head to detect the type, then stream the rest.
    content = bytes(range(256)) * 1000
    body = form(encode_part("file", content, filename="f.bin"))

    async def use(parts: AsyncIterator[FormPart]) -> bytes:
        part = await anext(parts)
        chunks = part.chunks()
        head = b""
        async for chunk in chunks:
            head += chunk
            if len(head) >= 1000:
                break
        async for chunk in chunks:
            head += chunk
        return head

    assert _run_parts(body, use) == content


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        'multipart/form-data; boundary=""',
        "multipart/form-data; boundary=" + "x" * 71,
        "multipart/form-data; boundary=bad<chars>",
        'multipart/form-data; boundary="ends in space "',
        "multipart/form-data; boundary=caf\u00e9",
        f"multipart/mixed; boundary={BOUNDARY}",
        f"application/x-www-form-urlencoded; boundary={BOUNDARY}",
        "",
    ],
)
def test_missing_or_bad_boundary(content_type: str) -> None:
    with pytest.raises(BadRequest):
        parse(form(encode_part("a", b"x")), content_type=content_type)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\r\n\r\n",
        b"garbage that is not a form at all",
        b"preamble\r\n" + form(encode_part("a", b"x")),
        b"--wrong-boundary\r\n" + encode_part("a", b"x"),
        b"--" + BOUNDARY.encode() + b"X\r\n",
        b"--" + BOUNDARY.encode() + b"\r\nno colon header\r\n\r\nx",
        b"--" + BOUNDARY.encode() + b"\r\nBad Header: x\r\n\r\nx",
        b"--" + BOUNDARY.encode() + b"\r\n: empty name\r\n\r\nx",
        b"--" + BOUNDARY.encode() + b"\r\nX-A: b\rX-C: d\r\n\r\nx",
        # Parts the form cannot use.
        form(b"X-Other: 1\r\n\r\nno disposition"),
        form(b'Content-Disposition: attachment; name="a"\r\n\r\nx'),
        form(b'Content-Disposition: form-data; filename="a"\r\n\r\nno name'),
    ],
    ids=lambda b: repr(b[:40]),
)
def test_malformed_bodies_are_bad_requests(body: bytes) -> None:
    with pytest.raises(BadRequest):
        parse(body)
    with pytest.raises(BadRequest):
        parse(body, range(0, len(body), 3))


def test_every_truncation_is_a_bad_request() -> None:
    body = form(encode_part("csrf", b"token"), encode_part("file", b"\r\n-- data --\r\n", filename="f.txt"))
    complete_at = len(body) - 2  # the CRLF after the closing delimiter is optional
    for cut in range(complete_at):
        with pytest.raises(BadRequest):
            parse(body[:cut], [cut // 2])
    assert parse(body[:complete_at]) == parse(body)


@pytest.mark.parametrize(
    "headers",
    [
        b'Content-Disposition: form-data; name="' + b"a" * MiB + b'"\r\n',  # one enormous line
        b"X-" + b"a" * MiB + b": 1\r\n",  # an enormous header name, no colon in sight for a while
        b"".join(b"X-%d: 1\r\n" % i for i in range(100)) + b'Content-Disposition: form-data; name="a"\r\n',
        b"X-A: " + b"a" * 3000 + b"\r\nX-B: " + b"b" * 3000 + b"\r\nX-C: " + b"c" * 3000 + b"\r\n",
    ],
    ids=["huge value", "huge name", "many headers", "large in total"],
)
def test_oversized_part_headers_are_refused_early(headers: bytes) -> None:
    pulled = [0]
    body = b"--" + BOUNDARY.encode() + b"\r\n" + headers + b"\r\nx\r\n--" + BOUNDARY.encode() + b"--\r\n"

    async def stream() -> AsyncIterator[bytes]:
        async for chunk in in_chunks(body, 4096):
            pulled[0] += len(chunk)
            yield chunk

    with pytest.raises(BadRequest):
        asyncio.run(collect(stream()))
    assert pulled[0] <= 16 * 1024


def test_an_error_sticks() -> None:
    body = form(encode_part("a", b"x" * 100, filename="a"), encode_part("b", b"y"))

    async def use(parts: AsyncIterator[FormPart]) -> None:
        part = await anext(parts)
        with pytest.raises(TooLarge):
            await part.skip()
        with pytest.raises(TooLarge):
            await anext(parts)

    _run_parts(body, use, max_part_bytes=10)
