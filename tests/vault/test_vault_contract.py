"""The vault's contract, run against both backends: the local folder and a real S3 server."""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from integrity.errors import ConfigurationError, Invalid, StorageUnavailable, TamperedBlob
from integrity.settings import Settings
from integrity.vault import SealedBlob, Vault, build_vault, reconcile, retire_key, rotate_keys
from integrity.vault.backends import object_name
from integrity.vault.format import BLOB_PREFIX, CHUNK_SIZE, HEADER_SIZE, SEALED_CHUNK_SIZE, stored_bytes_for
from integrity.vault.keyring import Keyring
from tests.vault.helpers import (
    MIB,
    MemoryReferences,
    flip,
    generated,
    later,
    leave_pending_upload,
    objects_in_store,
    pending_in_store,
    read_all,
    replace_stored,
    settings_for,
    stored_bytes,
    stream,
)

PREFIX_AND_HEADER = len(BLOB_PREFIX) + HEADER_SIZE


# -- round trips -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * MIB + 5, 9 * MIB + CHUNK_SIZE + 3]
)
async def test_round_trip_records_size_and_sha256(vault: Vault, size: int) -> None:
    plaintext = os.urandom(size)
    blob = await vault.put(stream(plaintext, piece=70_001), expected_size=size)
    assert blob.size == size
    assert blob.sha256 == hashlib.sha256(plaintext).hexdigest()
    assert blob.key_id == vault.keyring.active_id
    assert len(blob.blob_id) == 32 and len(blob.wrapped_key) == 40
    assert await vault.exists(blob)
    assert await read_all(vault, blob) == plaintext


async def test_put_takes_plain_bytes_and_open_takes_any_row_with_the_fields(vault: Vault) -> None:
    @dataclass
    class AttachmentRow:
        blob_id: str
        wrapped_key: bytes
        key_id: str
        size: int
        sha256: str

    blob = await vault.put(b"a scanned contract")
    row = AttachmentRow(blob.blob_id, blob.wrapped_key, blob.key_id, blob.size, blob.sha256)
    assert await read_all(vault, row) == b"a scanned contract"


async def test_each_blob_has_its_own_random_name_and_key(vault: Vault) -> None:
    one = await vault.put(b"same evidence")
    two = await vault.put(b"same evidence")
    assert one.blob_id != two.blob_id and one.wrapped_key != two.wrapped_key
    assert await stored_bytes(vault, one.blob_id) != await stored_bytes(vault, two.blob_id)
    assert sorted(await objects_in_store(vault)) == sorted(
        [object_name(one.blob_id), object_name(two.blob_id)]
    )
    assert object_name(one.blob_id) == f"blobs/{one.blob_id[:2]}/{one.blob_id[2:4]}/{one.blob_id}"


# -- range reads -----------------------------------------------------------------------------------


async def test_ranges_return_exactly_the_slice_and_fetch_only_the_chunks_they_need(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = 2 * MIB + 3 * CHUNK_SIZE + 11
    plaintext = os.urandom(size)
    blob = await vault.put(stream(plaintext))

    requested: list[int | None] = []
    real_read = vault.backend.read

    def spy(name: str, *, length: int | None = None) -> AsyncIterator[bytes]:
        requested.append(length)
        return real_read(name, length=length)

    monkeypatch.setattr(vault.backend, "read", spy)
    ranges = [
        (0, 1),
        (5, CHUNK_SIZE),
        (CHUNK_SIZE - 1, CHUNK_SIZE + 1),
        (CHUNK_SIZE, 2 * CHUNK_SIZE),
        (MIB - 3, MIB + 3),
        (2 * MIB, 2 * MIB + CHUNK_SIZE),
        (size - 1, size),
        (size - 20, None),
        (None, 100),
        (3, size + 1000),
        (7, 7),
        (size, size),
        (size, None),
    ]
    for start, end in ranges:
        requested.clear()
        got = await read_all(vault, blob, start, end)
        first, last = start or 0, min(size, size if end is None else end)
        assert got == plaintext[first:last], (start, end)
        if first == last:
            assert requested == []  # an empty range reads nothing
        else:
            assert requested == [stored_bytes_for(last, size)], (start, end)

    requested.clear()
    assert await read_all(vault, blob, 0, size) == plaintext
    assert requested == [None]  # a whole read reads the whole object, to see appended bytes


@pytest.mark.parametrize(("start", "end"), [(-1, None), (10, 5), (2 * CHUNK_SIZE, None), (None, -1)])
async def test_ranges_outside_the_file_are_invalid(vault: Vault, start: int | None, end: int | None) -> None:
    blob = await vault.put(os.urandom(CHUNK_SIZE + 5))
    with pytest.raises(Invalid):
        vault.open(blob, start, end)


async def test_a_range_before_a_damaged_chunk_still_reads(vault: Vault) -> None:
    plaintext = os.urandom(8 * CHUNK_SIZE)
    blob = await vault.put(plaintext)
    stored = await stored_bytes(vault, blob.blob_id)
    await replace_stored(vault, blob.blob_id, flip(stored, PREFIX_AND_HEADER + 6 * SEALED_CHUNK_SIZE + 3))
    assert await read_all(vault, blob, 10, 3 * CHUNK_SIZE) == plaintext[10 : 3 * CHUNK_SIZE]
    with pytest.raises(TamperedBlob):
        await read_all(vault, blob, 5 * CHUNK_SIZE, 7 * CHUNK_SIZE)
    with pytest.raises(TamperedBlob):
        await read_all(vault, blob)


# -- tampering -------------------------------------------------------------------------------------


async def test_flipped_byte_raises_before_the_altered_chunks_plaintext_is_yielded(
    vault: Vault, caplog: pytest.LogCaptureFixture
) -> None:
    plaintext = os.urandom(3 * MIB + 5)
    blob = await vault.put(plaintext)
    damaged_chunk = 150  # inside the third MiB: earlier chunks stream out first
    stored = await stored_bytes(vault, blob.blob_id)
    await replace_stored(
        vault, blob.blob_id, flip(stored, PREFIX_AND_HEADER + damaged_chunk * SEALED_CHUNK_SIZE + 99)
    )

    released = bytearray()
    with caplog.at_level(logging.CRITICAL, logger="integrity.vault"), pytest.raises(TamperedBlob):
        async for piece in vault.open(blob):
            released += piece
    assert 0 < len(released) <= damaged_chunk * CHUNK_SIZE
    assert released == plaintext[: len(released)]
    alerts = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert alerts and blob.blob_id in alerts[0].getMessage()


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda s: s[: PREFIX_AND_HEADER + 2 * SEALED_CHUNK_SIZE], id="truncated-at-boundary"),
        pytest.param(lambda s: s[:-1], id="truncated-by-one"),
        pytest.param(lambda s: s + b"\x00", id="one-byte-appended"),
        pytest.param(lambda s: s + os.urandom(SEALED_CHUNK_SIZE), id="chunk-appended"),
        pytest.param(
            lambda s: (
                s[: PREFIX_AND_HEADER + SEALED_CHUNK_SIZE] + s[PREFIX_AND_HEADER + 2 * SEALED_CHUNK_SIZE :]
            ),
            id="chunk-dropped",
        ),
        pytest.param(lambda s: flip(s, 0), id="prefix-altered"),
        pytest.param(lambda s: flip(s, 10), id="header-altered"),
        pytest.param(lambda s: b"", id="emptied"),
    ],
)
async def test_damaged_objects_raise_tampered_blob(vault: Vault, damage: object) -> None:
    plaintext = os.urandom(3 * CHUNK_SIZE + 100)
    blob = await vault.put(plaintext)
    stored = await stored_bytes(vault, blob.blob_id)
    await replace_stored(vault, blob.blob_id, damage(stored))  # type: ignore[operator]
    released = bytearray()
    with pytest.raises(TamperedBlob):
        async for piece in vault.open(blob):
            released += piece
    assert released == plaintext[: len(released)]


async def test_an_object_swapped_for_another_blob_does_not_open(vault: Vault) -> None:
    one = await vault.put(os.urandom(1000))
    two = await vault.put(os.urandom(1000))
    await replace_stored(vault, two.blob_id, await stored_bytes(vault, one.blob_id))
    with pytest.raises(TamperedBlob):
        await read_all(vault, two)
    # Even with the other blob's key: the blob id is the context.
    with pytest.raises(TamperedBlob):
        await read_all(vault, SealedBlob(two.blob_id, one.wrapped_key, one.key_id, one.size, one.sha256))


@pytest.mark.parametrize("size", [2 * CHUNK_SIZE, 2 * CHUNK_SIZE + 500, 3 * MIB])
async def test_a_row_with_the_wrong_size_or_sha256_never_gets_the_whole_file(vault: Vault, size: int) -> None:
    plaintext = os.urandom(size)
    blob = await vault.put(plaintext)
    wrong_hash = SealedBlob(blob.blob_id, blob.wrapped_key, blob.key_id, blob.size, "0" * 64)
    wrong_size = SealedBlob(blob.blob_id, blob.wrapped_key, blob.key_id, blob.size + 1, blob.sha256)
    for row in (wrong_hash, wrong_size):
        released = bytearray()
        with pytest.raises(TamperedBlob):
            async for piece in vault.open(row):
                released += piece
        assert len(released) < size and released == plaintext[: len(released)]


async def test_an_altered_wrapped_key_is_an_alert(vault: Vault, caplog: pytest.LogCaptureFixture) -> None:
    blob = await vault.put(b"x")
    row = SealedBlob(blob.blob_id, flip(blob.wrapped_key, 3), blob.key_id, blob.size, blob.sha256)
    with caplog.at_level(logging.CRITICAL, logger="integrity.vault"), pytest.raises(TamperedBlob):
        vault.open(row)
    assert any(blob.blob_id in r.getMessage() for r in caplog.records if r.levelno == logging.CRITICAL)


async def test_a_missing_object_is_an_alert(vault: Vault, caplog: pytest.LogCaptureFixture) -> None:
    blob = await vault.put(b"x" * 100)
    await vault.backend.delete(object_name(blob.blob_id))
    with (
        caplog.at_level(logging.CRITICAL, logger="integrity.vault"),
        pytest.raises(TamperedBlob, match="missing"),
    ):
        await read_all(vault, blob)
    assert any(blob.blob_id in r.getMessage() for r in caplog.records if r.levelno == logging.CRITICAL)


# -- failed puts leave nothing ---------------------------------------------------------------------


@pytest.mark.parametrize("size", [1000, 20 * MIB])
async def test_a_failing_stream_leaves_no_object_and_no_upload(vault: Vault, size: int) -> None:
    class ClientWentAway(Exception):
        pass

    async def breaks() -> AsyncIterator[bytes]:
        async for piece in generated(size):
            yield piece
        raise ClientWentAway

    with pytest.raises(ClientWentAway):
        await vault.put(breaks())
    assert await objects_in_store(vault) == []
    assert await pending_in_store(vault) == []


@pytest.mark.parametrize(("declared", "actual"), [(100, 101), (100, 99), (10 * MIB, 10 * MIB + 1), (0, 1)])
async def test_a_stream_that_does_not_match_its_declared_size_is_refused(
    vault: Vault, declared: int, actual: int
) -> None:
    with pytest.raises(Invalid):
        await vault.put(generated(actual), expected_size=declared)
    assert await objects_in_store(vault) == []
    assert await pending_in_store(vault) == []


# -- nothing readable in the store -----------------------------------------------------------------


async def test_no_plaintext_or_key_material_reaches_the_store(vault: Vault, vault_settings: Settings) -> None:
    marker = b"IMPORTANT-EVIDENCE-name:Petar-Petrovic-account:RS35-"
    plaintext = b"".join(marker + str(i).encode() for i in range(20_000))
    blob = await vault.put(stream(plaintext))
    data_key = vault.keyring.unwrap(blob.wrapped_key, blob.key_id)
    stored = await stored_bytes(vault, blob.blob_id)
    for secret in (
        marker,
        marker[:16],
        plaintext[-40:],
        data_key,
        blob.wrapped_key,
        bytes.fromhex(blob.sha256),
    ):
        assert secret not in stored
    assert blob.sha256.encode() not in stored

    # And nowhere on this machine's disk under the data folder (local blobs, temp files, key ring).
    for path in Path(vault_settings.data_dir).rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert marker[:16] not in content and data_key not in content, path


# -- deleting and shredding ------------------------------------------------------------------------


async def test_delete_is_idempotent(vault: Vault) -> None:
    blob = await vault.put(b"to be withdrawn")
    await vault.delete(blob)
    assert not await vault.exists(blob)
    await vault.delete(blob.blob_id)
    assert await objects_in_store(vault) == []


async def test_shredded_blob_cannot_be_recovered_from_a_backup_of_the_store(vault: Vault) -> None:
    plaintext = os.urandom(50_000)
    blob = await vault.put(plaintext)
    backup = await stored_bytes(vault, blob.blob_id)  # someone kept a copy of the bucket
    assert await read_all(vault, blob) == plaintext

    # Shredding: the row (and with it the wrapped key) is deleted, and the object with it.
    await vault.delete(blob)
    wrapped_key_gone = SealedBlob(blob.blob_id, *vault.keyring.new_data_key()[1:], blob.size, blob.sha256)
    del blob
    assert not await vault.exists(wrapped_key_gone)

    # The backup is restored, and every KEK is still in the ring: without the data key, nothing opens.
    await replace_stored(vault, wrapped_key_gone.blob_id, backup)
    with pytest.raises(TamperedBlob):
        await read_all(vault, wrapped_key_gone)


# -- key rotation ----------------------------------------------------------------------------------


async def test_rotation_rewraps_every_row_without_touching_objects_and_everything_still_reads(
    vault: Vault, vault_settings: Settings
) -> None:
    contents = [os.urandom(size) for size in (0, 100, CHUNK_SIZE + 1, 300_000)]
    blobs = [await vault.put(data) for data in contents]
    table = MemoryReferences(*blobs)
    old_key = vault.keyring.active_id
    objects_before = {b.blob_id: await stored_bytes(vault, b.blob_id) for b in blobs}

    report = await rotate_keys(vault_settings, sources={"attachments": table})
    assert report.previous_key_id == old_key != report.new_key_id
    assert report.rewrapped == {"attachments": 4}
    assert "attachments: 4" in report.summary()
    rows = list(table.rows.values())
    assert {row.key_id for row in rows} == {report.new_key_id}
    assert {b.blob_id: await stored_bytes(vault, b.blob_id) for b in blobs} == objects_before

    # The running vault still holds the old ring; it picks the new key up from the file.
    for row, data in zip(rows, contents, strict=True):
        assert await read_all(vault, row) == data
    assert (await vault.put(b"new")).key_id == report.new_key_id
    async with await build_vault(vault_settings) as fresh:
        for row, data in zip(rows, contents, strict=True):
            assert await read_all(fresh, row) == data

    again = await rotate_keys(vault_settings, sources={"attachments": table})
    assert again.rewrapped == {"attachments": 4}

    # Old keys can go once nothing is wrapped under them.
    await retire_key(vault_settings, report.new_key_id, sources={"attachments": table})
    ring = Keyring.load(vault_settings.keyring_file)
    assert report.new_key_id not in ring.key_ids and old_key in ring.key_ids
    for row, data in zip(table.rows.values(), contents, strict=True):
        assert await read_all(vault, row) == data


async def test_a_key_still_in_use_is_not_retired(vault: Vault, vault_settings: Settings) -> None:
    blob = await vault.put(b"still wrapped under the old key")
    stuck = MemoryReferences(blob)
    stuck.persist = False  # a source whose writes do not land (a replica with a stale ring, say)
    old_key = blob.key_id
    await rotate_keys(vault_settings, sources={"stuck": stuck})
    with pytest.raises(ConfigurationError, match="still wrapped"):
        await retire_key(vault_settings, old_key, sources={"stuck": stuck})
    assert old_key in Keyring.load(vault_settings.keyring_file).key_ids
    assert await read_all(vault, blob) == b"still wrapped under the old key"


# -- reconcile -------------------------------------------------------------------------------------


async def test_reconcile_removes_old_orphans_aborts_stale_uploads_and_reports_missing_objects(
    vault: Vault, vault_settings: Settings
) -> None:
    kept = await vault.put(b"referenced")
    orphan = await vault.put(b"a crash between upload and insert")
    missing = await vault.put(b"lost")
    await vault.backend.delete(object_name(missing.blob_id))
    await leave_pending_upload(vault)
    table = MemoryReferences(kept, missing)
    sources = {"attachments": table}

    dry = await reconcile(vault_settings, sources=sources, grace=timedelta(hours=1), now=later(hours=2))
    assert not dry.applied
    assert dry.orphans == (orphan.blob_id,)
    assert dry.missing == (missing.blob_id,)
    assert len(dry.stale_uploads) == 1
    assert (dry.objects, dry.referenced, dry.removed, dry.aborted) == (2, 2, 0, 0)
    assert "dry run" in dry.summary() and missing.blob_id in dry.summary()
    assert await vault.exists(orphan) and len(await pending_in_store(vault)) == 1

    # Inside the grace period nothing is touched, even with --apply.
    young = await reconcile(vault_settings, sources=sources, apply=True)
    assert young.orphans == () and young.recent_unreferenced == 1 and young.stale_uploads == ()
    assert await vault.exists(orphan) and len(await pending_in_store(vault)) == 1

    applied = await reconcile(
        vault_settings, sources=sources, apply=True, grace=timedelta(hours=1), now=later(2)
    )
    assert (applied.removed, applied.aborted) == (1, 1)
    assert not await vault.exists(orphan)
    assert await vault.exists(kept) and await read_all(vault, kept) == b"referenced"
    assert await pending_in_store(vault) == []
    assert applied.missing == (missing.blob_id,)


async def test_reconcile_refuses_to_remove_anything_without_reference_sources(
    vault: Vault, vault_settings: Settings
) -> None:
    blob = await vault.put(b"nobody said who references this")
    with pytest.raises(ConfigurationError):
        await reconcile(vault_settings, sources={}, apply=True, grace=timedelta(0), now=later())
    report = await reconcile(vault_settings, sources={}, grace=timedelta(0), now=later())
    assert "none registered" in report.summary()
    assert await vault.exists(blob)


async def test_reconcile_never_creates_a_missing_store(
    vault_settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    kind = vault_settings.storage
    elsewhere = settings_for(tmp_path / "elsewhere", kind, request)
    with pytest.raises(StorageUnavailable):
        await reconcile(elsewhere, sources={"attachments": MemoryReferences()})
    if kind == "local":
        assert not (elsewhere.data_dir / "vault").exists()
    else:
        client = request.getfixturevalue("s3_endpoint").client()
        assert not client.bucket_exists(bucket_name=elsewhere.s3.bucket)


# -- memory stays flat -----------------------------------------------------------------------------


async def test_a_200_mib_put_and_read_keep_memory_bounded(vault: Vault) -> None:
    size = 200 * MIB
    digest = hashlib.sha256()

    async def source() -> AsyncIterator[bytes]:
        async for piece in generated(size):
            digest.update(piece)
            yield piece

    gc.collect()
    tracemalloc.start()
    try:
        blob = await vault.put(source(), expected_size=size)
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        read = 0
        async for piece in vault.open(blob):
            read += len(piece)
        _, read_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert blob.size == read == size
    assert blob.sha256 == digest.hexdigest()
    # S3: 8 MiB parts (one filling and its copy, one queued, one in flight), about 37 MiB measured;
    # local: 1 MiB batches, about 6 MiB. Either way independent of the file's size.
    assert put_peak < 48 * MIB, put_peak
    assert read_peak < 16 * MIB, read_peak


# -- health ----------------------------------------------------------------------------------------


async def test_health_reports_the_backend(vault: Vault) -> None:
    health = await vault.health()
    assert health.ok and health.backend == vault.backend.kind
    await vault.check_ready()


async def test_a_vanished_local_folder_is_storage_unavailable(tmp_path: Path) -> None:
    settings = Settings.from_env({"INTEGRITY_DATA_DIR": str(tmp_path / "storage")})
    async with await build_vault(settings) as vault:
        blob = await vault.put(b"before the disk went away")
        (settings.data_dir / "vault").rename(tmp_path / "elsewhere")
        health = await vault.health()
        assert not health.ok and "missing" in health.detail
        with pytest.raises(StorageUnavailable):
            await vault.check_ready()
        with pytest.raises(StorageUnavailable):
            await vault.put(b"after")
        assert not (settings.data_dir / "vault").exists()  # not silently re-created elsewhere
        with pytest.raises(StorageUnavailable):
            await read_all(vault, blob)
