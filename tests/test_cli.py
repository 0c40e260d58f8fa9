"""The `integrity` command as an operator runs it: migrate, create-admin, serve, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import LiveServer
from tests.s3server import free_port


def run_cli(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "integrity.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "INTEGRITY_DATA_DIR": str(tmp_path / "storage"),
        "INTEGRITY_DATABASE_URL": database_url,
    }


def test_migrate_then_create_admin_then_serve(
    cli_env: dict[str, str], tmp_path: Path, live_server: LiveServer
) -> None:
    migrated = run_cli("migrate", env=cli_env)
    assert migrated.returncode == 0, migrated.stderr
    assert "up to date" in migrated.stdout

    password_file = tmp_path / "password"
    password_file.write_text("a long enough passphrase\n")
    created = run_cli(
        "create-admin", "--email", "Admin@Example.org", "--password-file", str(password_file), env=cli_env
    )
    assert created.returncode == 0, created.stderr
    assert "created admin admin@example.org" in created.stdout

    again = run_cli(
        "create-admin", "--email", "admin@example.org", "--password-file", str(password_file), env=cli_env
    )
    assert again.returncode == 1
    assert again.stderr.strip() == "integrity: error: a member with that e-mail address already exists"

    with urllib.request.urlopen(live_server.url + "/healthz", timeout=5) as response:
        assert response.status == 200
    request = urllib.request.Request(live_server.url + "/", headers={"accept": "text/html"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert b"Integrity Network" in response.read()


def test_a_fresh_sqlite_database_is_created_and_migrated(tmp_path: Path) -> None:
    env = {**os.environ, "INTEGRITY_DATA_DIR": str(tmp_path / "data")}
    env.pop("INTEGRITY_DATABASE_URL", None)
    first = run_cli("migrate", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("applied ")
    assert (tmp_path / "data" / "integrity.sqlite3").exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mysql://root@localhost/integrity", "integrity: error: INTEGRITY_DATABASE_URL must be sqlite"),
        (
            "postgresql://nobody@127.0.0.1:{port}/integrity",
            "integrity: error: cannot reach PostgreSQL at 127.0.0.1:",
        ),
    ],
)
@pytest.mark.parametrize("command", [["migrate"], ["serve", "--port", "0"]])
def test_a_bad_or_unreachable_database_is_one_clear_line(
    tmp_path: Path, url: str, expected: str, command: list[str]
) -> None:
    env = {
        **os.environ,
        "INTEGRITY_DATA_DIR": str(tmp_path),
        "INTEGRITY_DATABASE_URL": url.format(port=free_port()),
    }
    result = run_cli(*command, env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(expected)
    assert "Traceback" not in result.stderr


def test_a_missing_password_file_is_a_clear_error(cli_env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli(
        "create-admin", "--email", "a@example.org", "--password-file", str(tmp_path / "missing"), env=cli_env
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip() == "integrity: error: cannot read the password file: No such file or directory"
    )


def test_help_lists_the_commands() -> None:
    result = run_cli("--help", env=dict(os.environ))
    assert result.returncode == 0
    for command in ("serve", "migrate", "create-admin"):
        assert command in result.stdout
