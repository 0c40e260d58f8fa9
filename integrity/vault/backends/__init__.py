"""The object-store protocol the vault writes ciphertext through, and the choice of backend.

Backends only ever see ciphertext and random object names (`blobs/ab/cd/<128-bit hex>`): no filename,
type, size of the plaintext or case id reaches them.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from integrity.settings import Settings
from integrity.vault.format import is_blob_id

OBJECT_PREFIX = "blobs/"


def object_name(blob_id: str) -> str:
    return f"{OBJECT_PREFIX}{blob_id[0:2]}/{blob_id[2:4]}/{blob_id}"


def blob_id_of(name: str) -> str | None:
    """The blob id an object name stands for, or None for anything the vault did not name."""
    blob_id = name.rsplit("/", 1)[-1]
    if is_blob_id(blob_id) and name == object_name(blob_id):
        return blob_id
    return None


@dataclass(frozen=True, slots=True)
class StoredObject:
    name: str
    size: int
    modified: datetime


@dataclass(frozen=True, slots=True)
class PendingUpload:
    """A write that never finished: an S3 multipart upload, or a local temp file."""

    name: str
    upload_id: str
    started: datetime


class Backend(Protocol):
    """Where ciphertext lives. Every method may raise `StorageUnavailable` (bounded in time)."""

    kind: str

    async def start(self) -> None:
        """Create the bucket or folder if missing; fail fast if the store cannot be reached."""

    async def aclose(self) -> None: ...

    async def write(self, name: str, pieces: AsyncIterator[bytes], *, retain: bool) -> int:
        """Store the concatenated pieces under ``name`` and return the byte count.

        All or nothing: on any error (including one raised by ``pieces``) nothing is left under
        ``name`` and no upload stays open. ``retain`` asks for the configured object-lock retention.
        """
        ...

    def read(self, name: str, *, length: int | None = None) -> AsyncGenerator[bytes, None]:
        """The object's bytes from its start (the first ``length`` of them if given); `NotFound`."""
        ...

    async def delete(self, name: str) -> None:
        """Remove the object; removing one that is not there is not an error."""

    async def exists(self, name: str) -> bool: ...

    def list_objects(self) -> AsyncIterator[StoredObject]:
        """Every finished object under `OBJECT_PREFIX`."""
        ...

    def list_pending(self) -> AsyncIterator[PendingUpload]:
        """Every write that was started and never finished or aborted."""
        ...

    async def abort_pending(self, upload: PendingUpload) -> None: ...

    async def check(self) -> str:
        """A one-line description if the store answers; `StorageUnavailable` otherwise."""
        ...

    async def set_legal_hold(self, name: str, on: bool) -> bool:
        """Put an object-lock legal hold on the object, or lift it; False where the store cannot
        hold objects (a local folder, a bucket without object lock): the hold is then the
        database's alone."""
        ...

    async def legal_hold(self, name: str) -> bool:
        """Whether the store holds the object under a legal hold."""
        ...


def build_backend(settings: Settings) -> Backend:
    """The backend `INTEGRITY_STORAGE` names (not started)."""
    if settings.storage == "s3":
        from integrity.vault.backends.s3 import S3Backend

        return S3Backend(settings.s3)
    from integrity.vault.backends.local import LocalBackend

    return LocalBackend(settings.data_dir / "vault")
