"""The one way a request's multipart body is opened for streaming: the content type checked, the
declared and the actual length bounded, and the body parsed part by part (`iter_form_parts`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from litestar import Request

from integrity.errors import BadRequest, IntegrityError, TooLarge
from integrity.http.multipart import FormPart, iter_form_parts

#: Room for multipart boundaries and part headers on top of the file limit.
MULTIPART_OVERHEAD = 1024 * 1024
#: Parts (files and fields) one form may have.
MAX_PARTS = 50


async def limited_body(stream: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """The request body, refused with 413 as soon as it passes `limit` bytes."""
    total = 0
    async for chunk in stream:
        total += len(chunk)
        if total > limit:
            raise TooLarge("the upload is larger than the platform accepts", code="upload_too_large")
        yield chunk


def form_parts(
    request: Request[Any, Any, Any],
    *,
    max_part_bytes: int,
    max_parts: int = MAX_PARTS,
    max_field_bytes: int = 64 * 1024,
    max_body_bytes: int | None = None,
    not_multipart: type[IntegrityError] = BadRequest,
    not_multipart_detail: str = "the form data is not valid multipart/form-data",
) -> AsyncGenerator[FormPart, None]:
    """The parts of `request`'s multipart body, streamed; nothing is read before the first part is
    asked for. A body declared or found larger than `max_body_bytes` (by default the largest part
    plus the multipart overhead) is refused with 413, a body that is not multipart with
    `not_multipart`."""
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise not_multipart(not_multipart_detail)
    limit = max_body_bytes if max_body_bytes is not None else max_part_bytes + MULTIPART_OVERHEAD
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge("the upload is larger than the platform accepts", code="upload_too_large")
    return iter_form_parts(
        limited_body(request.stream(), limit),
        content_type,
        max_part_bytes=max_part_bytes,
        max_parts=max_parts,
        max_field_bytes=max_field_bytes,
    )
