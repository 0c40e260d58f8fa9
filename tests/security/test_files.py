"""The data folder and the SQLite database are this user's alone (0700 and 0600), whatever the
umask, for the server and for the commands; a folder left wider by an older version is tightened."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from integrity.app import create_app
from integrity.settings import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_app_makes_its_data_folder_and_database_private(tmp_path: Path) -> None:
    data = tmp_path / "fresh" / "storage"
    old = os.umask(0o022)
    try:
        create_app(Settings.from_env({"INTEGRITY_DATA_DIR": str(data)}))
    finally:
        os.umask(old)
    assert mode(data) == 0o700
    assert mode(data / "integrity.sqlite3") == 0o600
    assert mode(data / "keys") == 0o700


def test_a_world_readable_data_folder_is_tightened_by_the_commands(tmp_path: Path) -> None:
    data = tmp_path / "storage"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    database = data / "old.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    env = {
        **os.environ,
        "INTEGRITY_DATA_DIR": str(data),
        "INTEGRITY_DATABASE_URL": f"sqlite:///{database}",
    }
    migrated = subprocess.run(
        [sys.executable, "-m", "integrity.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert mode(data) == 0o700 and mode(database) == 0o600
