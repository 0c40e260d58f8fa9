"""Helpers for the vault tests: streams, raw access to stored objects, a table of blob rows."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from integrity.settings import Settings
from integrity.vault import KeyRewrap, SealedBlob, Vault
from integrity.vault.backends import object_name
from integrity.vault.vault import BlobRef
from tests.s3server import S3Endpoint

MIB = 1024 * 1024


def settings_for(tmp_path: Path, kind: str, request: pytest.FixtureRequest, **extra: str) -> Settings:
    env = {"INTEGRITY_DATA_DIR": str(tmp_path / "storage"), **extra}
    if kind == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        env.update(
            {
                "INTEGRITY_STORAGE": "s3",
                "INTEGRITY_S3_ENDPOINT": endpoint.endpoint,
                "INTEGRITY_S3_ACCESS_KEY": endpoint.access_key,
                "INTEGRITY_S3_SECRET_KEY": endpoint.secret_key,
                "INTEGRITY_S3_SECURE": "true" if endpoint.secure else "false",
                "INTEGRITY_S3_BUCKET": "vault-test-" + secrets.token_hex(6),
                **({"INTEGRITY_S3_REGION": endpoint.region} if endpoint.region else {}),
                **extra,
            }
        )
        request.addfinalizer(lambda: _remove_bucket(endpoint, env["INTEGRITY_S3_BUCKET"]))
    return Settings.from_env(env)


def _remove_bucket(endpoint: S3Endpoint, bucket: str) -> None:
    """Leave a shared S3 server (INTEGRITY_TEST_S3_*) as we found it, as far as it lets us."""
    client = endpoint.client()
    with contextlib.suppress(Exception):
        if not client.bucket_exists(bucket_name=bucket):
            return
        for item in client.list_objects(bucket_name=bucket, recursive=True):
            client.remove_object(bucket_name=bucket, object_name=item.object_name)
        for upload in client._list_multipart_uploads(bucket_name=bucket).uploads:
            if upload.upload_id:
                client._abort_multipart_upload(
                    bucket_name=bucket, object_name=upload.object_name, upload_id=upload.upload_id
                )
        client.remove_bucket(bucket_name=bucket)


async def read_all(vault: Vault, blob: BlobRef, start: int | None = None, end: int | None = None) -> bytes:
    return b"".join([piece async for piece in vault.open(blob, start, end)])


async def stream(data: bytes, piece: int = 100_000) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), piece):
        yield data[offset : offset + piece]


async def generated(size: int, *, piece: int = MIB, seed: bytes | None = None) -> AsyncIterator[bytes]:
    """``size`` pseudo-random bytes made piece by piece, never held whole."""
    block = seed or os.urandom(piece)
    sent = 0
    counter = 0
    while sent < size:
        counter += 1
        chunk = counter.to_bytes(8, "big") + block[8:piece]
        chunk = chunk[: size - sent]
        sent += len(chunk)
        yield chunk


async def stored_bytes(vault: Vault, blob_id: str) -> bytes:
    """The object exactly as the store holds it (ciphertext)."""
    return b"".join([piece async for piece in vault.backend.read(object_name(blob_id))])


async def replace_stored(vault: Vault, blob_id: str, data: bytes) -> None:
    """Overwrite an object behind the vault's back, as an attacker with store access could."""

    async def pieces() -> AsyncIterator[bytes]:
        yield data

    await vault.backend.write(object_name(blob_id), pieces(), retain=False)


async def objects_in_store(vault: Vault) -> list[str]:
    return [item.name async for item in vault.backend.list_objects()]


async def pending_in_store(vault: Vault) -> list[str]:
    return [item.name async for item in vault.backend.list_pending()]


async def leave_pending_upload(vault: Vault) -> str:
    """An unfinished write as a crash leaves it: a multipart upload, or a local temp file."""
    blob_id = secrets.token_hex(16)
    name = object_name(blob_id)
    backend = vault.backend
    if backend.kind == "s3":
        backend._client._create_multipart_upload(  # type: ignore[attr-defined]
            bucket_name=backend.bucket,  # type: ignore[attr-defined]
            object_name=name,
            headers={},
        )
    else:
        path = backend.root / name  # type: ignore[attr-defined]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.with_name(f".{blob_id}.{secrets.token_hex(6)}.tmp").write_bytes(b"partial ciphertext")
    return name


def later(hours: float = 2) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


class MemoryReferences:
    """A domain's table of blob rows, in memory: the test double of a `ReferenceSource`."""

    def __init__(self, *blobs: SealedBlob) -> None:
        self.rows: dict[str, SealedBlob] = {blob.blob_id: blob for blob in blobs}
        self.persist = True

    def add(self, blob: SealedBlob) -> None:
        self.rows[blob.blob_id] = blob

    async def referenced_blob_ids(self) -> AsyncIterator[str]:
        for blob_id in list(self.rows):
            yield blob_id

    async def rewrap_keys(self, rewrap: KeyRewrap) -> int:
        changed = 0
        for blob_id, row in list(self.rows.items()):
            wrapped, key_id = rewrap(row.wrapped_key, row.key_id)
            if (wrapped, key_id) != (row.wrapped_key, row.key_id):
                changed += 1
                if self.persist:
                    self.rows[blob_id] = replace(row, wrapped_key=wrapped, key_id=key_id)
        return changed


def flip(data: bytes, position: int, mask: int = 0x01) -> bytes:
    damaged = bytearray(data)
    damaged[position] ^= mask
    return bytes(damaged)
