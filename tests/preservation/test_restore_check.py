"""The backup drill as README gives it: dump the database (`pg_dump`, or a copy of the SQLite file),
mirror the store, restore both into scratch ones, and `integrity restore-check` proves the backup
with the key files kept apart: the custody log verifies and every stored file reads back. A
backup whose store lost a byte fails, naming the file."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from integrity.settings import Settings
from tests.factories import run_integrity


@pytest.fixture
def scratch_database(settings: Settings, tmp_path: Path) -> Iterator[str]:
    """The backup of the test's database restored into a scratch one: its URL."""
    if settings.database.is_sqlite:
        copy = tmp_path / "restored.sqlite3"
        yield f"sqlite:///{copy}"
        return
    base, _, _ = settings.database.url.rpartition("/")
    name = "restore_check_" + secrets.token_hex(4)
    admin = f"{base}/postgres"
    subprocess.run(["psql", admin, "-q", "-c", f'CREATE DATABASE "{name}"'], check=True)
    try:
        yield f"{base}/{name}"
    finally:
        subprocess.run(
            ["psql", admin, "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=False
        )


def back_up_and_restore(settings: Settings, url: str, folder: Path) -> None:
    if settings.database.is_sqlite:
        shutil.copyfile(settings.database.sqlite_path, url.removeprefix("sqlite:///"))
    else:
        dump = subprocess.run(
            ["pg_dump", "--no-owner", settings.database.url], capture_output=True, check=True
        )
        subprocess.run(
            ["psql", url, "-q", "-v", "ON_ERROR_STOP=1"], input=dump.stdout, capture_output=True, check=True
        )
    shutil.copytree(settings.data_dir / "vault", folder / "vault")


def test_a_restored_backup_is_proved_and_a_damaged_one_is_caught(
    settings: Settings, scratch_database: str, tmp_path: Path
) -> None:
    seeded = run_integrity(settings, "seed-demo")
    assert seeded.returncode == 0, seeded.stderr
    restored = tmp_path / "restored-data"
    back_up_and_restore(settings, scratch_database, restored)

    proved = run_integrity(
        settings, "restore-check", "--database-url", scratch_database, "--data-dir", str(restored)
    )
    assert proved.returncode == 0, proved.stderr
    assert proved.stdout.startswith("restore-check passed: custody log verified")
    assert "stored files read back" in proved.stdout

    # A backup whose copy of the store lost a byte is not a backup.
    damaged = sorted(p for p in (restored / "vault").rglob("*") if p.is_file())[0]
    data = bytearray(damaged.read_bytes())
    data[-1] ^= 0xFF
    damaged.write_bytes(bytes(data))
    failed = run_integrity(
        settings, "restore-check", "--database-url", scratch_database, "--data-dir", str(restored)
    )
    assert failed.returncode == 2
    assert "is altered" in failed.stderr
    # Without the kept key ring, there is nothing to prove: it says where it looked.
    keys = settings.data_dir / "keys" / "keyring.json"
    keys.rename(tmp_path / "keyring-elsewhere.json")
    missing = run_integrity(
        settings, "restore-check", "--database-url", scratch_database, "--data-dir", str(restored)
    )
    assert missing.returncode != 0 and "INTEGRITY_KEYRING_FILE" in missing.stderr


def test_restore_check_creates_no_key_file_and_names_a_ring_that_cannot_open_the_backup(
    settings: Settings, scratch_database: str, tmp_path: Path
) -> None:
    assert run_integrity(settings, "seed-demo").returncode == 0
    restored = tmp_path / "restored-data"
    back_up_and_restore(settings, scratch_database, restored)
    # The offline copies of the ring and the signing key, without the pseudonyms' key.
    offline = tmp_path / "offline-keys"
    offline.mkdir()
    for name in ("keyring.json", "signing-key.pem"):
        shutil.copy2(settings.data_dir / "keys" / name, offline / name)
    kept = {
        "INTEGRITY_KEYRING_FILE": str(offline / "keyring.json"),
        "INTEGRITY_SIGNING_KEY_FILE": str(offline / "signing-key.pem"),
    }
    check = ("restore-check", "--database-url", scratch_database, "--data-dir", str(restored))
    proved = run_integrity(settings, *check, environ=kept)
    assert proved.returncode == 0, proved.stderr
    assert sorted(p.name for p in offline.iterdir()) == ["keyring.json", "signing-key.pem"]

    # The live ring moves on and retires the key this backup was wrapped under: a copy of the
    # ring taken now cannot open it, and the check says so (exit 2) instead of stopping.
    assert run_integrity(settings, "keys", "rotate", "--retire-previous").returncode == 0
    shutil.copy2(settings.data_dir / "keys" / "keyring.json", offline / "keyring.json")
    failed = run_integrity(settings, *check, environ=kept)
    assert failed.returncode == 2 and "cannot open this backup" in failed.stderr
