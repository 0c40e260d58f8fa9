"""File downloads: the headers every evidence, rendition and published file goes out with, and the
vault's plaintext as a streamed body whose first piece is fetched before the status line is sent."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from urllib.parse import quote

from integrity.vault import SealedBlob, Vault

#: Evidence and published files are never rendered by the browser in our origin.
FILE_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"


def file_headers(filename: str, sha256: str) -> dict[str, str]:
    """Headers of every file download (evidence, renditions, published files): saved under its name,
    never rendered or sniffed in our origin, its SHA-256 the ETag."""
    return {
        "content-disposition": "attachment; filename*=UTF-8''" + quote(filename, safe=""),
        "content-security-policy": FILE_POLICY,
        "x-content-type-options": "nosniff",
        "etag": f'"{sha256}"',
    }


async def opened_stream(
    vault: Vault, blob: SealedBlob, start: int | None = None, end: int | None = None
) -> AsyncGenerator[bytes, None]:
    """`plaintext_stream` with its first piece already fetched.

    The status line goes out with the first piece of a streamed body; once it has, an unreachable
    store can only break the connection. Fetching the first piece before the response starts makes
    a store that is down a 503 problem document instead.
    """
    chunks = plaintext_stream(vault, blob, start, end)
    try:
        first = await anext(chunks, None)
    except BaseException:
        await chunks.aclose()
        raise

    async def whole() -> AsyncGenerator[bytes, None]:
        async with aclosing(chunks):
            if first is not None:
                yield first
            async for chunk in chunks:
                yield chunk

    return whole()


async def plaintext_stream(
    vault: Vault, blob: SealedBlob, start: int | None = None, end: int | None = None
) -> AsyncGenerator[bytes, None]:
    """A blob's plaintext for a streamed response; the vault's reader is closed however it ends."""
    async with aclosing(vault.open(blob, start, end)) as chunks:
        async for chunk in chunks:
            yield chunk
