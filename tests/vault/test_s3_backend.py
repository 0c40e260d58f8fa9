"""What only the S3 backend has: an unreachable or dying server, object-lock retention."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from minio.error import S3Error

from integrity.errors import StorageUnavailable
from integrity.settings import Settings
from integrity.vault import Vault, build_vault, reconcile
from integrity.vault.backends import object_name
from integrity.vault.backends.s3 import S3Backend
from integrity.vault.keyring import Keyring
from tests.s3server import S3Endpoint, free_port, running_weed
from tests.vault.helpers import (
    MIB,
    MemoryReferences,
    generated,
    objects_in_store,
    pending_in_store,
    read_all,
    settings_for,
)


def s3_settings(tmp_path: Path, endpoint: S3Endpoint) -> Settings:
    return Settings.from_env(
        {
            "INTEGRITY_DATA_DIR": str(tmp_path / "storage"),
            "INTEGRITY_STORAGE": "s3",
            "INTEGRITY_S3_ENDPOINT": endpoint.endpoint,
            "INTEGRITY_S3_ACCESS_KEY": endpoint.access_key,
            "INTEGRITY_S3_SECRET_KEY": endpoint.secret_key,
        }
    )


async def test_a_server_that_refuses_connections_is_unavailable_within_seconds(tmp_path: Path) -> None:
    settings = s3_settings(tmp_path, S3Endpoint(f"127.0.0.1:{free_port()}", "access", "secret-key"))
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        await build_vault(settings)
    assert time.monotonic() - started < 10


async def test_a_server_that_never_answers_is_unavailable_within_ten_seconds(tmp_path: Path) -> None:
    # A listening socket nobody accepts from: connections open, requests get no answer.
    blackhole = socket.socket()
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(64)
    port = blackhole.getsockname()[1]
    settings = s3_settings(tmp_path, S3Endpoint(f"127.0.0.1:{port}", "access", "secret-key"))
    backend = S3Backend(settings.s3)
    vault = Vault(backend, Keyring.generate())
    elapsed: dict[str, float] = {}

    async def timed(name: str, check: Callable[[], Awaitable[object]]) -> None:
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            await check()
        elapsed[name] = time.monotonic() - started

    async def health() -> None:
        result = await vault.health()
        assert not result.ok
        raise StorageUnavailable(result.detail)

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(timed, "health", health)
            group.start_soon(timed, "exists", lambda: vault.exists("0" * 32))
            group.start_soon(timed, "ready", vault.check_ready)
            group.start_soon(timed, "put", lambda: vault.put(b"evidence"))
        assert set(elapsed) == {"health", "exists", "ready", "put"}
        assert all(seconds < 10 for seconds in elapsed.values()), elapsed
    finally:
        # Closing the listener resets the abandoned connections, so their threads end now.
        blackhole.close()
        await anyio.sleep(0.5)
        await vault.aclose()


async def test_killing_the_server_mid_put_leaves_nothing_after_reconcile(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    marker = b"PLAINTEXT-MARKER-that-must-never-be-on-disk:"
    with running_weed() as server:
        settings = s3_settings(tmp_path, server.endpoint)
        vault = await build_vault(settings)
        try:
            kept = await vault.put(marker * 50_000)

            async def until_the_server_dies() -> AsyncIterator[bytes]:
                sent = 0
                async for piece in generated(60 * MIB, seed=marker * (MIB // len(marker) + 1)):
                    yield piece
                    sent += len(piece)
                    if sent == 20 * MIB:
                        await anyio.to_thread.run_sync(server.kill)

            started = time.monotonic()
            with (
                caplog.at_level(logging.WARNING, logger="integrity.vault"),
                pytest.raises(StorageUnavailable),
            ):
                await vault.put(until_the_server_dies())
            assert any("reconcile will" in r.getMessage() for r in caplog.records)
            assert time.monotonic() - started < 30
        finally:
            await vault.aclose()

        server.start()
        async with await build_vault(settings) as vault:
            # The upload the crash interrupted is still open on the server; the object never appeared.
            assert await objects_in_store(vault) == [object_name(kept.blob_id)]
            assert len(await pending_in_store(vault)) == 1
            table = {"attachments": MemoryReferences(kept)}
            report = await reconcile(settings, sources=table, apply=True, grace=timedelta(0))
            assert report.aborted == 1 and report.orphans == () and report.missing == ()
            assert await objects_in_store(vault) == [object_name(kept.blob_id)]
            assert await pending_in_store(vault) == []
            assert await read_all(vault, kept) == marker * 50_000

        # Nothing the server wrote to its disk holds plaintext: not the object, not the dead upload.
        for path in server.folder.rglob("*"):
            if path.is_file():
                assert marker[:20] not in path.read_bytes(), path


async def test_originals_get_object_lock_retention_when_the_bucket_has_it(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    settings = settings_for(tmp_path, "s3", request, INTEGRITY_S3_RETENTION_DAYS="3")
    async with await build_vault(settings) as vault:
        client = request.getfixturevalue("s3_endpoint").client()
        original = await vault.put(os.urandom(20 * MIB), original=True)
        rendition = await vault.put(b"redacted copy")
        retention = client.get_object_retention(
            bucket_name=settings.s3.bucket, object_name=object_name(original.blob_id)
        )
        assert retention is not None and retention.mode == "GOVERNANCE"
        remaining = retention.retain_until_date - datetime.now(UTC)
        assert timedelta(days=2, hours=23) < remaining <= timedelta(days=3)
        with pytest.raises(S3Error):
            client.get_object_retention(
                bucket_name=settings.s3.bucket, object_name=object_name(rendition.blob_id)
            )
        assert len(await read_all(vault, original)) == 20 * MIB
