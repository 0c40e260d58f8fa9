"""Streams a `multipart/form-data` request body part by part, never holding more than one request chunk.

Litestar's own multipart support parses the whole form before the handler runs, so upload routes
read `request.stream()` through `iter_form_parts` instead: python-multipart's low-level callback
parser turns each request chunk into a few events (part headers, body pieces, part end), and the
caller pulls a part's body straight from the request as it consumes it. Nothing is spooled to disk
or memory beyond the events of the chunk being parsed.

Use it like this (a part must be read to its end, or skipped, before the next one is yielded; the
generator drains a part the caller left unfinished):

    async with contextlib.aclosing(iter_form_parts(request.stream(), content_type, ...)) as parts:
        async for part in parts:
            if part.name == "csrf":
                token = await part.read_text(limit=256)
            elif part.name == "file" and part.filename is not None:
                async for chunk in part.chunks():
                    ...
            else:
                await part.skip()
"""

from __future__ import annotations

import urllib.parse
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

# The package is `python_multipart` since 0.0.13; the old `multipart` name is a shim that warns,
# and in this environment it would even load the unrelated `multipart` package Litestar depends on.
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError

from integrity.errors import BadRequest, Invalid, TooLarge

#: Part headers are a Content-Disposition and maybe a Content-Type; anything bigger is an attack
#: (or a broken client), and stopping early keeps one part's headers from growing without bound.
MAX_HEADER_BYTES = 8 * 1024
MAX_HEADERS = 8

# RFC 2046 section 5.1.1: 1-70 characters from this set, not ending in a space.
_BCHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ")
_MAX_BOUNDARY = 70


@dataclass(frozen=True, slots=True)
class _Data:
    data: bytes


@dataclass(frozen=True, slots=True)
class _Head:
    name: str
    filename: str | None
    content_type: str | None
    headers: dict[str, str]


class _PartEnd:
    pass


class _End:
    pass


_PART_END = _PartEnd()
_END = _End()
_Event = _Data | _Head | _PartEnd | _End


class _Reader:
    """Feeds request chunks to the parser on demand and hands out the events it emits, in order."""

    def __init__(
        self,
        body: AsyncIterator[bytes],
        boundary: bytes,
        *,
        max_part_bytes: int,
        max_parts: int,
        max_field_bytes: int,
    ) -> None:
        self._body = body.__aiter__()
        self._events: deque[_Event] = deque()
        self._max_part_bytes = max_part_bytes
        self._max_parts = max_parts
        self._max_field_bytes = max_field_bytes
        self._parts = 0
        self._ended = False
        # Set once anything went wrong: a parser that raised mid-chunk is in an unknown state, so
        # every later pull fails the same way instead of returning misaligned data.
        self._failure: Exception | None = None
        self._reset_part()
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )

    def _reset_part(self) -> None:
        self._field = bytearray()
        self._value = bytearray()
        self._raw_headers: list[tuple[bytes, bytes]] = []
        self._header_bytes = 0
        self._part_bytes = 0
        self._part_limit = self._max_field_bytes

    async def next_event(self) -> _Event:
        if self._failure is not None:
            raise self._failure
        try:
            while not self._events:
                if self._ended:
                    return _END
                chunk = await anext(self._body, None)
                if chunk is None:
                    raise BadRequest(
                        "the form data ended before its closing boundary", code="multipart_truncated"
                    )
                if chunk:
                    self._write(chunk)
            return self._events.popleft()
        except Exception as exc:
            self._failure = exc
            raise

    def _write(self, chunk: bytes) -> None:
        try:
            # Events slice the chunk, and only immutable bytes make those slices safe to hand out.
            self._parser.write(bytes(chunk) if not isinstance(chunk, bytes) else chunk)
        except FormParserError as exc:
            # The parser's message may quote bytes of the body, so it is not passed on.
            raise BadRequest("the form data is not valid multipart/form-data", code="not_multipart") from exc

    # --- parser callbacks (run inside `parser.write`; raising here stops the chunk at once) ---

    def _on_part_begin(self) -> None:
        self._parts += 1
        if self._parts > self._max_parts:
            raise Invalid(f"a form may have at most {self._max_parts} parts", code="too_many_form_parts")
        self._reset_part()

    def _count_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_HEADER_BYTES:
            raise BadRequest("the headers of a form part are too large", code="multipart_headers_too_large")

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._value += data[start:end]

    def _on_header_end(self) -> None:
        if len(self._raw_headers) >= MAX_HEADERS:
            raise BadRequest("a form part has too many headers", code="multipart_too_many_headers")
        self._raw_headers.append((bytes(self._field), bytes(self._value)))
        self._field = bytearray()
        self._value = bytearray()

    def _on_headers_finished(self) -> None:
        head = _part_head(self._raw_headers)
        # Files get the upload limit; plain fields (CSRF token, a note) stay small.
        self._part_limit = self._max_part_bytes if head.filename is not None else self._max_field_bytes
        self._events.append(head)

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._part_bytes += end - start
        if self._part_bytes > self._part_limit:
            raise TooLarge(f"a form part is larger than {self._part_limit} bytes", code="form_part_too_large")
        self._events.append(_Data(data[start:end]))

    def _on_part_end(self) -> None:
        self._events.append(_PART_END)

    def _on_end(self) -> None:
        self._ended = True
        self._events.append(_END)


class FormPart:
    """One part of the form: its headers now, its body as it is pulled from the request.

    `filename` is None for a plain field and "" for a file input with no file chosen (what browsers
    send). It is what the client said, for display through `safe_display_name` only, and so is
    `content_type`: the type of a file is decided from its bytes (`integrity.cases.filetypes`).
    """

    def __init__(self, reader: _Reader, head: _Head) -> None:
        self._reader = reader
        self.name = head.name
        self.filename = head.filename
        self.content_type = head.content_type
        self.headers = head.headers
        self._claimed = False
        self._finished = False
        self._abandoned = False

    def chunks(self) -> AsyncIterator[bytes]:
        """This part's body, piece by piece, read from the request as it is consumed. Call once."""
        if self._claimed:
            raise RuntimeError("the body of a form part can be read only once")
        self._claimed = True
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        while True:
            if self._abandoned:
                # The generator moved on and drained the rest; handing out nothing more would look
                # like a short file, so this is a programming error.
                raise RuntimeError("the form moved on to the next part before this one was read")
            if self._finished:
                return
            event = await self._reader.next_event()
            if isinstance(event, _Data):
                yield event.data
            elif isinstance(event, _PartEnd):
                self._finished = True
                return
            else:  # pragma: no cover - the parser always ends a part before anything else
                raise BadRequest("the form data is not valid multipart/form-data", code="not_multipart")

    async def read_text(self, limit: int) -> str:
        """The whole body of a small text field, as UTF-8; `TooLarge` past `limit` bytes."""
        buffer = bytearray()
        async for chunk in self.chunks():
            buffer += chunk
            if len(buffer) > limit:
                raise TooLarge(
                    f"the form field {self.name!r} is longer than {limit} bytes", code="form_field_too_large"
                )
        try:
            return buffer.decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid(
                f"the form field {self.name!r} is not UTF-8 text", code="form_field_not_text"
            ) from None

    async def skip(self) -> None:
        """Read past the rest of this part (still within the size limits) without keeping it."""
        while not self._finished:
            event = await self._reader.next_event()
            if isinstance(event, _PartEnd):
                self._finished = True
            elif not isinstance(event, _Data):  # pragma: no cover - see `_chunks`
                raise BadRequest("the form data is not valid multipart/form-data", code="not_multipart")

    async def _close(self) -> None:
        if not self._finished:
            await self.skip()
            self._abandoned = self._claimed


async def iter_form_parts(
    body: AsyncIterator[bytes],
    content_type_header: str,
    *,
    max_part_bytes: int,
    max_parts: int = 50,
    max_field_bytes: int = 64 * 1024,
) -> AsyncGenerator[FormPart, None]:
    """The parts of a `multipart/form-data` body, each yielded once its headers have arrived.

    `max_part_bytes` limits parts that carry a filename (files), `max_field_bytes` the others;
    both raise `TooLarge` as soon as a part passes its limit. A body that is not valid form data,
    has no usable boundary or ends early raises `BadRequest`; more than `max_parts` parts `Invalid`.
    """
    boundary = boundary_of(content_type_header)
    reader = _Reader(
        body,
        boundary,
        max_part_bytes=max_part_bytes,
        max_parts=max_parts,
        max_field_bytes=max_field_bytes,
    )
    while True:
        event = await reader.next_event()
        if isinstance(event, _End):
            return
        if not isinstance(event, _Head):  # pragma: no cover - parts always begin with headers
            raise BadRequest("the form data is not valid multipart/form-data", code="not_multipart")
        part = FormPart(reader, event)
        yield part
        await part._close()


def boundary_of(content_type_header: str) -> bytes:
    """The boundary of a `multipart/form-data` Content-Type, checked against RFC 2046."""
    media_type, params = parse_header_params(content_type_header)
    if media_type != "multipart/form-data":
        raise BadRequest("the request is not multipart/form-data", code="not_multipart")
    boundary = params.get("boundary")
    if not boundary:
        raise BadRequest("the multipart/form-data content type has no boundary", code="multipart_no_boundary")
    if len(boundary) > _MAX_BOUNDARY or boundary.endswith(" ") or not set(boundary) <= _BCHARS:
        raise BadRequest("the multipart/form-data boundary is not valid", code="multipart_bad_boundary")
    return boundary.encode("ascii")


def parse_header_params(value: str) -> tuple[str, dict[str, str]]:
    """Split `type; key=value; key="quoted"` into the lower-cased first token and its parameters.

    Inside quotes only `\\"` and `\\\\` are escapes: browsers send backslashes in filenames as they
    are (and escape quotes as %22), so a Windows path keeps its separators for
    `safe_display_name` to cut. The first occurrence of a parameter wins.
    """
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    i, n = 0, len(rest)
    while i < n:
        while i < n and rest[i] in " \t;":
            i += 1
        start = i
        while i < n and rest[i] not in "=;":
            i += 1
        key = rest[start:i].strip().lower()
        val = ""
        if i < n and rest[i] == "=":
            i += 1
            while i < n and rest[i] in " \t":
                i += 1
            if i < n and rest[i] == '"':
                i += 1
                out = []
                while i < n and rest[i] != '"':
                    if rest[i] == "\\" and i + 1 < n and rest[i + 1] in '"\\':
                        i += 1
                    out.append(rest[i])
                    i += 1
                i += 1  # the closing quote (or past the end of an unterminated value)
                val = "".join(out)
                while i < n and rest[i] != ";":
                    i += 1
            else:
                start = i
                while i < n and rest[i] != ";":
                    i += 1
                val = rest[start:i].strip()
        if key and key not in params:
            params[key] = val
    return main.strip().lower(), params


def _decode_ext_value(value: str) -> str | None:
    """An RFC 8187 `charset'language'percent-encoded` value (as in `filename*=UTF-8''...`)."""
    charset, sep, rest = value.partition("'")
    _language, sep2, encoded = rest.partition("'")
    if not (sep and sep2) or charset.strip().lower() not in ("utf-8", "iso-8859-1"):
        return None
    return urllib.parse.unquote(encoded, encoding=charset.strip().lower(), errors="replace")


def _decode_header_value(raw: bytes) -> str:
    # Browsers send filenames as raw UTF-8 (HTML's form submission algorithm); anything that is
    # not UTF-8 still gets a readable, lossless-per-byte decoding.
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _part_head(raw_headers: list[tuple[bytes, bytes]]) -> _Head:
    headers: dict[str, str] = {}
    for field, value in raw_headers:
        name = field.decode("latin-1").strip().lower()
        headers.setdefault(name, _decode_header_value(value).strip())
    disposition = headers.get("content-disposition")
    if disposition is None:
        raise BadRequest("a form part has no Content-Disposition header", code="multipart_no_disposition")
    kind, params = parse_header_params(disposition)
    if kind != "form-data" or "name" not in params:
        raise BadRequest("a form part is not a named form-data part", code="multipart_unnamed_part")
    filename: str | None = None
    if "filename*" in params:
        filename = _decode_ext_value(params["filename*"])
    if filename is None and "filename" in params:
        filename = params["filename"]
    content_type = headers.get("content-type") or None
    return _Head(name=params["name"], filename=filename, content_type=content_type, headers=headers)


async def then(first: FormPart, rest: AsyncIterator[FormPart]) -> AsyncIterator[FormPart]:
    """``first`` (a part already taken from ``rest``, to look at it), then the rest of them."""
    yield first
    async for part in rest:
        yield part


async def drain(parts: AsyncIterator[FormPart]) -> None:
    """Skip every part left: the form was refused, and its files go nowhere."""
    async for part in parts:
        await part.skip()
