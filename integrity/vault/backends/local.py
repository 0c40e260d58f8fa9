"""The local-folder backend: the embedded default, same behaviour as S3 above the protocol line.

Writes go to a temp name in the object's own folder, are fsynced and renamed into place (then the
folder is fsynced), so a crash leaves either the whole object or a temp file that `reconcile` removes.
File operations run in worker threads behind a bounded limiter. Object lock has no equivalent on a
plain folder, so ``retain`` is accepted and has no effect here.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from pathlib import Path
from typing import BinaryIO, TypeVar

import anyio
import anyio.to_thread

from integrity.errors import NotFound, StorageUnavailable
from integrity.vault.backends import OBJECT_PREFIX, PendingUpload, StoredObject, blob_id_of

T = TypeVar("T")

READ_SIZE = 1024 * 1024
WRITE_BUFFER = 1024 * 1024
_TEMP = re.compile(r"\.([0-9a-f]{32})\.[0-9a-f]{12}\.tmp")


class LocalBackend:
    kind = "local"

    def __init__(self, root: Path, *, max_threads: int = 8) -> None:
        self.root = root
        self._limiter = anyio.CapacityLimiter(max_threads)

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        """``fn`` in a worker thread; a missing file is `NotFound`, any other OS error means the folder
        cannot be used: `StorageUnavailable`."""
        try:
            return await anyio.to_thread.run_sync(partial(fn, *args), limiter=self._limiter)
        except FileNotFoundError:
            raise NotFound("no such object", code="object_not_found") from None
        except OSError as exc:
            raise StorageUnavailable(_describe(exc)) from exc

    def _path(self, name: str) -> Path:
        # Paths are only ever built from names the vault made, never from anything a user sent.
        if blob_id_of(name) is None:
            raise ValueError("not a vault object name")
        return self.root / name

    async def set_legal_hold(self, name: str, on: bool) -> bool:
        # A folder has no object lock: the platform's own rows keep the hold.
        return False

    async def legal_hold(self, name: str) -> bool:
        return False

    async def start(self) -> None:
        await self._run(self._start)

    def _start(self) -> None:
        (self.root / OBJECT_PREFIX).mkdir(mode=0o700, parents=True, exist_ok=True)
        self._check()

    async def aclose(self) -> None:
        return None

    async def check(self) -> str:
        try:
            return await self._run(self._check)
        except NotFound:
            raise StorageUnavailable("the vault folder is missing") from None

    def _check(self) -> str:
        blobs = self.root / OBJECT_PREFIX
        if not blobs.is_dir():
            raise StorageUnavailable("the vault folder is missing")
        if not os.access(blobs, os.W_OK | os.X_OK):
            raise StorageUnavailable("the vault folder is not writable")
        free = shutil.disk_usage(blobs).free
        return f"local folder, {free / 1024**3:.1f} GiB free"

    # -- writing -----------------------------------------------------------------------------------

    async def write(self, name: str, pieces: AsyncIterator[bytes], *, retain: bool) -> int:
        path = self._path(name)
        temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = await self._run(_create, self.root / OBJECT_PREFIX, temp)
        except NotFound:
            raise StorageUnavailable("the vault folder is missing") from None
        written = 0
        try:
            buffer = bytearray()
            async for piece in pieces:
                buffer += piece
                if len(buffer) >= WRITE_BUFFER:
                    await self._run(_write_all, fd, bytes(buffer))
                    written += len(buffer)
                    buffer.clear()
            await self._run(_write_all, fd, bytes(buffer))
            written += len(buffer)
            closing, fd = fd, -1  # closed by _finish whatever happens, never twice
            await self._run(_finish, closing)
            await self._run(_rename_into_place, temp, path)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_discard, fd, temp, limiter=self._limiter)
            raise
        return written

    # -- reading and the rest ----------------------------------------------------------------------

    async def read(self, name: str, *, length: int | None = None) -> AsyncGenerator[bytes, None]:
        handle = await self._run(self._open, self._path(name))
        try:
            remaining = length
            while remaining is None or remaining > 0:
                size = READ_SIZE if remaining is None else min(READ_SIZE, remaining)
                piece = await self._run(handle.read, size)
                if not piece:
                    return
                if remaining is not None:
                    remaining -= len(piece)
                yield piece
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(handle.close, limiter=self._limiter)

    def _open(self, path: Path) -> BinaryIO:
        try:
            return path.open("rb")
        except FileNotFoundError:
            if not (self.root / OBJECT_PREFIX).is_dir():
                raise StorageUnavailable("the vault folder is missing") from None
            raise

    async def delete(self, name: str) -> None:
        with contextlib.suppress(NotFound):
            await self._run(os.unlink, self._path(name))

    async def exists(self, name: str) -> bool:
        return await self._run(self._path(name).is_file)

    async def list_objects(self) -> AsyncIterator[StoredObject]:
        found = _walk(self.root / OBJECT_PREFIX, temp=False)
        while batch := await self._run(_take, found):
            for path, stat in batch:
                name = path.relative_to(self.root).as_posix()
                if blob_id_of(name) is not None:
                    yield StoredObject(name=name, size=stat.st_size, modified=_mtime(stat))

    async def list_pending(self) -> AsyncIterator[PendingUpload]:
        found = _walk(self.root / OBJECT_PREFIX, temp=True)
        while batch := await self._run(_take, found):
            for path, stat in batch:
                match = _TEMP.fullmatch(path.name)
                if match is None:
                    continue
                name = path.with_name(match.group(1)).relative_to(self.root).as_posix()
                if blob_id_of(name) is not None:
                    yield PendingUpload(name=name, upload_id=path.name, started=_mtime(stat))

    async def abort_pending(self, upload: PendingUpload) -> None:
        if _TEMP.fullmatch(upload.upload_id) is None:
            raise ValueError("not a vault temp file")
        with contextlib.suppress(NotFound):
            await self._run(os.unlink, self._path(upload.name).with_name(upload.upload_id))


def _create(blobs: Path, temp: Path) -> int:
    # Only the two shard levels are created here: a vault folder that has gone (an unmounted volume)
    # must fail, not be silently re-created on another disk.
    if not blobs.is_dir():
        raise FileNotFoundError(blobs)
    temp.parent.parent.mkdir(mode=0o700, exist_ok=True)
    temp.parent.mkdir(mode=0o700, exist_ok=True)
    return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _finish(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _rename_into_place(temp: Path, path: Path) -> None:
    os.replace(temp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _discard(fd: int, temp: Path) -> None:
    if fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(temp)


def _walk(top: Path, *, temp: bool) -> Iterator[tuple[Path, os.stat_result]]:
    for folder, _dirs, files in os.walk(top):
        for file in files:
            if file.startswith(".") == temp:
                path = Path(folder, file)
                with contextlib.suppress(FileNotFoundError):
                    yield path, path.stat()


def _take(items: Iterator[T], count: int = 1000) -> list[T]:
    return list(islice(items, count))


def _mtime(stat: os.stat_result) -> datetime:
    return datetime.fromtimestamp(stat.st_mtime, tz=UTC)


def _describe(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the vault folder is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "the vault folder is not writable"
    return "the vault folder cannot be used"
