"""The evidence vault: streams bytes in as envelope-encrypted blobs, and authenticated plaintext out.

Each blob gets a fresh data key, wrapped by the key ring's active KEK; the caller keeps the returned
`SealedBlob` (wrapped key included) in its database row, and nothing but ciphertext under a random
name reaches the object store. Deleting the row's wrapped key destroys the blob for good, backups of
the object store included (crypto-shredding).

Logging names blob ids, sizes and key ids only: never plaintext, filenames or anything a member filed.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol, TypeVar

import anyio
import anyio.to_thread

from integrity.errors import Invalid, NotFound, StorageUnavailable, TamperedBlob
from integrity.settings import Settings
from integrity.vault.backends import Backend, build_backend, object_name
from integrity.vault.format import BlobDecryptor, BlobEncryptor, is_blob_id, stored_bytes_for
from integrity.vault.keyring import Keyring

T = TypeVar("T")

log = logging.getLogger("integrity.vault")

#: Plaintext is hashed and encrypted in batches of this size, in a worker thread (hashlib and the
#: Cobblestone recipe release the GIL), so a large upload does not stall the event loop.
BATCH_SIZE = 1024 * 1024
_INLINE_LIMIT = 64 * 1024
HEALTH_TIMEOUT = 10.0
_SHA256 = re.compile(r"[0-9a-f]{64}")

ByteStream = AsyncIterable[bytes | bytearray | memoryview] | bytes


@dataclass(frozen=True, slots=True)
class SealedBlob:
    """What the caller keeps in its database row to read the blob back."""

    blob_id: str
    wrapped_key: bytes = field(repr=False)
    key_id: str
    size: int
    sha256: str

    def __post_init__(self) -> None:
        if not is_blob_id(self.blob_id):
            raise ValueError("blob_id must be 32 lowercase hex digits")
        if not _SHA256.fullmatch(self.sha256):
            raise ValueError("sha256 must be 64 lowercase hex digits")
        if self.size < 0:
            raise ValueError("size must not be negative")


class BlobRef(Protocol):
    """Anything with a `SealedBlob`'s fields (a database row does)."""

    @property
    def blob_id(self) -> str: ...
    @property
    def wrapped_key(self) -> bytes: ...
    @property
    def key_id(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def sha256(self) -> str: ...


@dataclass(frozen=True, slots=True)
class VaultHealth:
    ok: bool
    backend: str
    detail: str


class _Sealer:
    """Hashes and encrypts one blob's plaintext, batch by batch."""

    def __init__(self, data_key: bytes, blob_id: str) -> None:
        self.digest = hashlib.sha256()
        self.size = 0
        self._encryptor = BlobEncryptor(data_key, blob_id)

    def update(self, plaintext: bytearray) -> bytes:
        self.digest.update(plaintext)
        return self._encryptor.update(plaintext)

    def finish(self, plaintext: bytearray) -> bytes:
        return self.update(plaintext) + self._encryptor.finalize()


class _Opener:
    """Decrypts one blob's stored bytes, hashing the plaintext when the whole blob is read."""

    def __init__(self, data_key: bytes, blob_id: str, *, hashing: bool) -> None:
        self.digest = hashlib.sha256() if hashing else None
        self._decryptor = BlobDecryptor(data_key, blob_id)

    def update(self, stored: bytes) -> bytes:
        plaintext = self._decryptor.update(stored)
        if self.digest is not None:
            self.digest.update(plaintext)
        return plaintext

    def finish(self) -> bytes:
        plaintext = self._decryptor.finalize()
        if self.digest is not None:
            self.digest.update(plaintext)
        return plaintext


class Vault:
    """Streaming envelope encryption over an object-store backend. Use as ``async with``, or call
    `start()` and `aclose()`; `build_vault` does the first for you."""

    def __init__(self, backend: Backend, keyring: Keyring, *, crypto_threads: int = 4) -> None:
        self.backend = backend
        self.keyring = keyring
        self._crypto = anyio.CapacityLimiter(crypto_threads)

    async def start(self) -> None:
        await self.backend.start()

    async def aclose(self) -> None:
        await self.backend.aclose()

    async def __aenter__(self) -> Vault:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def _crunch(self, fn: Callable[..., T], *args: object) -> T:
        size = sum(len(arg) for arg in args if isinstance(arg, bytes | bytearray))
        if size < _INLINE_LIMIT:
            return fn(*args)
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._crypto)

    # -- put ---------------------------------------------------------------------------------------

    async def put(
        self, stream: ByteStream, *, expected_size: int | None = None, original: bool = False
    ) -> SealedBlob:
        """Encrypt and store a stream of bytes; return what reads it back.

        SHA-256 and size are computed while streaming. With ``expected_size``, a stream that runs
        longer fails as soon as it passes it and one that ends short fails at its end (`Invalid`).
        ``original=True`` gives the object the bucket's object-lock retention (S3, when configured).
        On any failure, nothing is left in the store. Raises `StorageUnavailable` when the store
        cannot be reached, and whatever ``stream`` raises.
        """
        if expected_size is not None and expected_size < 0:
            raise Invalid(
                "expected_size must not be negative", code="expected_size_negative", field="expected_size"
            )
        blob_id = secrets.token_hex(16)
        data_key, wrapped_key, key_id = self.keyring.new_data_key()
        sealer = _Sealer(data_key, blob_id)
        try:
            async with aclosing(self._ciphertext(stream, sealer, expected_size)) as pieces:
                await self.backend.write(object_name(blob_id), pieces, retain=original)
        except BaseException as exc:
            log.warning("vault put failed: blob=%s error=%s", blob_id, type(exc).__name__)
            raise
        blob = SealedBlob(
            blob_id=blob_id,
            wrapped_key=wrapped_key,
            key_id=key_id,
            size=sealer.size,
            sha256=sealer.digest.hexdigest(),
        )
        log.info("vault put: blob=%s size=%d key=%s", blob_id, blob.size, key_id)
        return blob

    async def _ciphertext(
        self, stream: ByteStream, sealer: _Sealer, expected_size: int | None
    ) -> AsyncGenerator[bytes, None]:
        batch = bytearray()
        async for piece in _pieces(stream):
            sealer.size += len(piece)
            if expected_size is not None and sealer.size > expected_size:
                raise Invalid("the upload is longer than its declared size", code="upload_long")
            batch += piece
            if len(batch) >= BATCH_SIZE:
                ciphertext = await self._crunch(sealer.update, batch)
                batch = bytearray()
                yield ciphertext
        if expected_size is not None and sealer.size != expected_size:
            raise Invalid("the upload is shorter than its declared size", code="upload_short")
        yield await self._crunch(sealer.finish, batch)

    # -- open --------------------------------------------------------------------------------------

    def open(
        self, blob: BlobRef, start: int | None = None, end: int | None = None
    ) -> AsyncGenerator[bytes, None]:
        """The blob's plaintext, or the range ``start`` (inclusive) to ``end`` (exclusive).

        Python slice semantics: byte offsets into the plaintext, ``end`` clamped to the size; HTTP's
        ``bytes=a-b`` is ``start=a, end=b + 1``. A range decrypts from the start of the blob and
        discards up to ``start`` (linear in the offset, about 1 GB/s), and stops after the chunk
        holding ``end``. Every byte yielded belongs to a chunk that has authenticated; a whole read
        also checks the size and SHA-256 recorded at `put` before releasing its last piece.

        Bad ranges raise `Invalid` here; integrity failures raise `TamperedBlob` from the iterator
        (logged as an alert with the blob id); an unreachable store, `StorageUnavailable`. Iterate
        to the end or close the iterator (``contextlib.aclosing``) to release the connection.
        """
        size = blob.size
        first = 0 if start is None else start
        last = size if end is None else min(end, size)
        if first < 0 or first > size or last < first:
            raise Invalid("the range is outside the file", code="range_outside_file")
        data_key = self._unwrap(blob)
        return self._open(blob, data_key, first, last, whole=first == 0 and last == size)

    def _unwrap(self, blob: BlobRef) -> bytes:
        try:
            return self.keyring.unwrap(blob.wrapped_key, blob.key_id)
        except TamperedBlob as exc:
            _alert(blob.blob_id, exc)
            raise

    async def _open(
        self, blob: BlobRef, data_key: bytes, first: int, last: int, *, whole: bool
    ) -> AsyncGenerator[bytes, None]:
        if first == last and not whole:
            return
        opener = _Opener(data_key, blob.blob_id, hashing=whole)
        position = 0
        length = None if whole else stored_bytes_for(last, blob.size)
        # A whole read keeps its latest plaintext back until the next arrives, and the last until the
        # size and sha256 have been checked: a reader never gets a complete file that fails them.
        held = b""
        try:
            async with aclosing(self.backend.read(object_name(blob.blob_id), length=length)) as stored:
                following = await anext(stored, None)
                while following is not None:
                    plaintext, following = await self._decrypt_while_fetching(opener, following, stored)
                    wanted = _within(plaintext, position, first, last)
                    position += len(plaintext)
                    if whole and wanted:
                        wanted, held = held, wanted
                    if wanted:
                        yield wanted
                    if not whole and position >= last:
                        return
            tail = opener.finish()
            if whole:
                assert opener.digest is not None
                recorded = blob.sha256.encode("ascii")
                actual = opener.digest.hexdigest().encode("ascii")
                if position + len(tail) != blob.size or not hmac.compare_digest(actual, recorded):
                    raise TamperedBlob("stored evidence does not match its recorded size and sha256")
                if held:
                    yield held
            wanted = _within(tail, position, first, last)
            position += len(tail)
            if wanted:
                yield wanted
            if position < last:
                raise TamperedBlob("stored evidence is shorter than its recorded size")
        except NotFound:
            error = TamperedBlob("stored evidence is missing from the object store")
            _alert(blob.blob_id, error)
            raise error from None
        except TamperedBlob as exc:
            _alert(blob.blob_id, exc)
            raise

    async def _decrypt_while_fetching(
        self, opener: _Opener, piece: bytes, stored: AsyncIterator[bytes]
    ) -> tuple[bytes, bytes | None]:
        """Decrypt one stored piece while the next one is on its way (the two overlap in threads).

        The task group is closed again before the caller yields, so no plaintext leaves while a
        fetch is running, and a failure in either is raised here, the integrity one first.
        """
        plaintext = b""
        following: bytes | None = None

        async def fetch() -> None:
            nonlocal following
            following = await anext(stored, None)

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(fetch)
                plaintext = await self._crunch(opener.update, piece)
        except BaseExceptionGroup as errors:
            tampered, others = errors.split(TamperedBlob)
            error: BaseException = tampered or others or errors
            while isinstance(error, BaseExceptionGroup):
                error = error.exceptions[0]
            raise error from None
        return plaintext, following

    # -- the rest ----------------------------------------------------------------------------------

    async def delete(self, blob: BlobRef | str) -> None:
        """Remove the stored object (idempotent).

        Shredding is deleting the row, and with it the wrapped key: without it no copy of the object
        (a backup, an object-locked version kept until its retention ends) can be decrypted. This
        removes the ciphertext too.
        """
        blob_id = blob if isinstance(blob, str) else blob.blob_id
        if not is_blob_id(blob_id):
            raise Invalid("not a blob id", code="blob_id_invalid")
        await self.backend.delete(object_name(blob_id))
        log.info("vault delete: blob=%s", blob_id)

    async def set_legal_hold(self, blob: BlobRef, on: bool) -> bool:
        """Put the store's legal hold on the blob's object, or lift it; False where the store has no
        object lock (the hold then lives in the database only)."""
        if not is_blob_id(blob.blob_id):
            raise Invalid("not a blob id", code="blob_id_invalid")
        return await self.backend.set_legal_hold(object_name(blob.blob_id), on)

    async def legal_hold(self, blob: BlobRef) -> bool:
        return await self.backend.legal_hold(object_name(blob.blob_id))

    async def exists(self, blob: BlobRef | str) -> bool:
        blob_id = blob if isinstance(blob, str) else blob.blob_id
        if not is_blob_id(blob_id):
            raise Invalid("not a blob id", code="blob_id_invalid")
        return await self.backend.exists(object_name(blob_id))

    async def health(self) -> VaultHealth:
        """Whether the store answers, within `HEALTH_TIMEOUT` seconds; never raises."""
        detail = "timed out"
        with anyio.move_on_after(HEALTH_TIMEOUT):
            try:
                return VaultHealth(ok=True, backend=self.backend.kind, detail=await self.backend.check())
            except StorageUnavailable as exc:
                return VaultHealth(ok=False, backend=self.backend.kind, detail=exc.detail)
        return VaultHealth(ok=False, backend=self.backend.kind, detail=detail)

    async def check_ready(self) -> None:
        """For `/readyz`: returns if the store answers, raises `StorageUnavailable` otherwise."""
        health = await self.health()
        if not health.ok:
            raise StorageUnavailable(f"evidence storage ({health.backend}): {health.detail}")


async def build_vault(settings: Settings) -> Vault:
    """The vault `settings` describe, started: key ring loaded (or, unconfigured, generated with a
    warning), backend chosen by `INTEGRITY_STORAGE`, bucket or folder created if missing.

    Async because starting talks to the store; raises `StorageUnavailable` if it cannot be reached
    and `ConfigurationError` for an unusable key ring. Close it with `await vault.aclose()`.
    """
    keyring = await anyio.to_thread.run_sync(Keyring.load_or_create, settings)
    vault = Vault(build_backend(settings), keyring)
    try:
        await vault.start()
    except BaseException:
        await vault.aclose()
        raise
    return vault


async def _pieces(stream: ByteStream) -> AsyncIterator[bytes | bytearray | memoryview]:
    """The stream in pieces of at most `BATCH_SIZE` (a caller may hand over one huge bytes)."""
    if isinstance(stream, bytes | bytearray | memoryview):
        source: AsyncIterable[bytes | bytearray | memoryview] = _once(stream)
    else:
        source = stream
    async for piece in source:
        if len(piece) <= BATCH_SIZE:
            yield piece
            continue
        view = memoryview(piece)
        for offset in range(0, len(view), BATCH_SIZE):
            yield view[offset : offset + BATCH_SIZE]


async def _once(data: bytes | bytearray | memoryview) -> AsyncIterator[bytes | bytearray | memoryview]:
    yield data


def _within(plaintext: bytes, position: int, first: int, last: int) -> bytes:
    """The part of ``plaintext`` (which starts at ``position``) that falls in [first, last)."""
    begin = max(first - position, 0)
    stop = min(last - position, len(plaintext))
    if begin == 0 and stop == len(plaintext):
        return plaintext
    if stop <= begin:
        return b""
    return plaintext[begin:stop]


def _alert(blob_id: str, error: TamperedBlob) -> None:
    log.critical(
        "ALERT: evidence blob %s failed its integrity check: %s",
        blob_id,
        error.detail,
        extra={"alert": "vault.tampered", "blob_id": blob_id},
    )
