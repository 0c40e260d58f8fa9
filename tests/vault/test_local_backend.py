"""What only the local backend has: temp-then-rename writes in the object's own folder, private modes."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import anyio
import pytest

from integrity.vault.backends import object_name
from integrity.vault.backends.local import LocalBackend

BLOB_ID = "ab" + "cd" + "0123456789abcdef0123456789ab"


async def test_an_object_appears_only_when_whole_and_nothing_is_left_beside_it(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "vault")
    await backend.start()
    name = object_name(BLOB_ID)
    final = tmp_path / "vault" / name
    halfway = anyio.Event()
    go_on = anyio.Event()

    async def pieces() -> AsyncIterator[bytes]:
        yield b"x" * (3 * 1024 * 1024)
        halfway.set()
        await go_on.wait()
        yield b"y" * 10

    async with anyio.create_task_group() as group:
        group.start_soon(partial(backend.write, name, pieces(), retain=True))
        await halfway.wait()
        await anyio.sleep(0.05)
        temps = list(final.parent.iterdir())
        assert not final.exists()
        assert len(temps) == 1 and temps[0].name.startswith(f".{BLOB_ID}.") and temps[0].suffix == ".tmp"
        pending = [p async for p in backend.list_pending()]
        assert [(p.name, p.upload_id) for p in pending] == [(name, temps[0].name)]
        assert [o async for o in backend.list_objects()] == []
        go_on.set()

    assert final.read_bytes() == b"x" * (3 * 1024 * 1024) + b"y" * 10
    assert list(final.parent.iterdir()) == [final]
    assert stat.S_IMODE(final.stat().st_mode) == 0o600
    for folder in (final.parent, final.parent.parent, tmp_path / "vault" / "blobs"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


async def test_a_failed_write_removes_its_temp_file(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "vault")
    await backend.start()
    name = object_name(BLOB_ID)

    async def pieces() -> AsyncIterator[bytes]:
        yield b"x" * (2 * 1024 * 1024)
        raise ConnectionResetError

    with pytest.raises(ConnectionResetError):
        await backend.write(name, pieces(), retain=False)
    assert list((tmp_path / "vault" / name).parent.iterdir()) == []


def test_paths_are_only_built_from_vault_names(tmp_path: Path) -> None:
    backend = LocalBackend(tmp_path / "vault")
    for name in ("../../etc/passwd", "blobs/ab/cd/../../x", "blobs/zz/zz/" + BLOB_ID, BLOB_ID):
        with pytest.raises(ValueError):
            backend._path(name)
