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


def test_serve_closes_a_connection_whose_headers_never_finish(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """Slowloris: a client that sends a request line and then a header now and then must not keep
    its connection (and a slot of the server) for ever; a prompt client is served as usual."""
    import socket
    import time

    assert run_cli("migrate", env=cli_env).returncode == 0
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "integrity.cli", "serve", "--port", str(port), "--header-timeout", "1"],
        env=cli_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    assert answer.status == 200
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (
                    tmp_path / "serve.log"
                ).read_text()
                time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            started = time.monotonic()
            closed = False
            while time.monotonic() - started < 8:
                try:
                    slow.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    closed = True
                    break
                slow.settimeout(0.5)
                try:
                    if slow.recv(1024) == b"":
                        closed = True
                        break
                except TimeoutError:
                    pass
            assert closed, "the server kept a connection whose headers never finished"
            assert time.monotonic() - started < 5
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_serve_links_to_the_port_it_serves_on_unless_a_base_url_is_set(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    """`make run PORT=18200`: the feed's links (as invitations and receipts) name the port served."""
    import time

    env = {k: v for k, v in cli_env.items() if k != "INTEGRITY_BASE_URL"}
    assert run_cli("migrate", env=env).returncode == 0
    for base_url in (None, "https://integrity.example.org"):
        port = free_port()
        log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
        server = subprocess.Popen(
            [sys.executable, "-m", "integrity.cli", "serve", "--port", str(port)],
            env=env if base_url is None else {**env, "INTEGRITY_BASE_URL": base_url},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/feed.atom", timeout=2) as answer:
                        feed = answer.read().decode()
                    break
                except OSError:
                    assert server.poll() is None and time.monotonic() < deadline, (
                        tmp_path / "serve.log"
                    ).read_text()
                    time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=15)
            log.close()
        expected = base_url or f"http://127.0.0.1:{port}"
        assert f'href="{expected}/' in feed, feed
        assert ":8000" not in feed
