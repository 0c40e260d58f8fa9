"""Fixtures for fault tests: a private SeaweedFS that a test may kill, apps served on the test's own
loop (so a request body can be streamed while the store dies), and `integrity serve` processes."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from integrity.accounts.authentication import SESSION_COOKIE
from integrity.security.csrf import CSRF_COOKIE, CSRF_HEADER
from integrity.settings import S3Settings, Settings
from tests.factories import Caller
from tests.s3server import S3Endpoint, WeedServer, free_port, running_weed

BASE_URL = "http://testserver.local"


@pytest.fixture(scope="module")
def private_weed() -> Iterator[WeedServer]:
    """A SeaweedFS of this module's own, so killing it hurts no other test."""
    with running_weed() as server:
        yield server
        # Nothing of it is kept, so no need to wait for a graceful stop (weed takes seconds).
        server.kill()


@pytest.fixture
def weed(private_weed: WeedServer) -> WeedServer:
    """The private SeaweedFS, running (a test before may have left it killed)."""
    if private_weed.process is None:
        private_weed.start()
    return private_weed


def s3_settings(settings: Settings, endpoint: S3Endpoint, bucket: str | None = None) -> Settings:
    return settings.with_overrides(
        storage="s3",
        s3=S3Settings(
            endpoint=endpoint.endpoint,
            access_key=endpoint.access_key,
            secret_key=endpoint.secret_key,
            bucket=bucket or "faults-" + secrets.token_hex(4),
            secure=endpoint.secure,
            region=endpoint.region,
        ),
    )


def s3_env(settings: Settings) -> dict[str, str]:
    """The `INTEGRITY_*` variables that select `settings`' S3 store, for a subprocess."""
    env = {
        "INTEGRITY_STORAGE": "s3",
        "INTEGRITY_S3_ENDPOINT": settings.s3.endpoint,
        "INTEGRITY_S3_ACCESS_KEY": settings.s3.access_key,
        "INTEGRITY_S3_SECRET_KEY": settings.s3.secret_key,
        "INTEGRITY_S3_BUCKET": settings.s3.bucket,
        "INTEGRITY_S3_SECURE": "true" if settings.s3.secure else "false",
    }
    if settings.s3.region:
        env["INTEGRITY_S3_REGION"] = settings.s3.region
    return env


def crash_storage(
    storage: str, settings: Settings, request: pytest.FixtureRequest
) -> tuple[Settings, dict[str, str]]:
    """The settings of a crash test on `storage` ("local" or "s3", on the private SeaweedFS) and the
    variables that point its `integrity serve` processes and commands at the same store."""
    if storage == "local":
        return settings, {}
    weed: WeedServer = request.getfixturevalue("weed")
    settings = s3_settings(settings, weed.endpoint)
    return settings, s3_env(settings)


@asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app's lifespan and a client on the test's own loop.

    Unlike Litestar's test client, httpx's ASGI transport hands the app a request body piece by piece
    as the test produces it, so a test can kill a dependency half-way through an upload.
    """
    from tests.factories import isolate_test_pool

    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=60) as client:
            isolate_test_pool(app)
            yield client


def credentials(caller: Caller) -> dict[str, str]:
    """The headers a caller's requests carry (session cookie and CSRF token)."""
    assert caller.session_token is not None and caller.csrf_token is not None
    return {
        "cookie": f"{SESSION_COOKIE}={caller.session_token}; {CSRF_COOKIE}={caller.csrf_token}",
        CSRF_HEADER: caller.csrf_token,
    }


def is_problem(response: httpx.Response, status: int) -> bool:
    return (
        response.status_code == status
        and response.headers.get("content-type", "").startswith("application/problem+json")
        and response.json().get("status") == status
    )


@dataclass
class ServerProcess:
    """`integrity serve` in a process of its own, started the way the `live_server` fixture does."""

    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, extra_env: dict[str, str] | None = None, timeout: float = 30) -> None:
        env = {**os.environ, **self.env, "INTEGRITY_BASE_URL": self.url, **(extra_env or {})}
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "integrity.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the server did not start:\n" + self.log_path.read_text()) from None
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def wait_dead(self, timeout: float = 15) -> int:
        assert self.process is not None
        code = self.process.wait(timeout=timeout)
        self.process = None
        return code


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`integrity <args>` in a process of its own, with `env` added to this one's environment."""
    return subprocess.run(
        [sys.executable, "-m", "integrity.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def request_and_die(server: ServerProcess, method: str, path: str, **kwargs: Any) -> None:
    """Send one request to a server armed with `INTEGRITY_FAULT_POINT`; it dies of SIGKILL unanswered."""
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.TransportError:
            pass
        else:
            raise AssertionError(f"the armed server answered {response.status_code}: {response.text[:1000]}")
    assert server.wait_dead() == -signal.SIGKILL


def reconcile_after_crash(env: dict[str, str], *, aborted: int, removed: int) -> None:
    """`integrity reconcile --apply --grace-hours 0` clears exactly what a crash left (`aborted`
    unfinished writes, `removed` unreferenced objects) and finds no row without its object; then
    `integrity custody verify` passes."""
    env = {name: value for name, value in env.items() if name != "INTEGRITY_FAULT_POINT"}
    reconciled = run_cli("reconcile", "--apply", "--grace-hours", "0", env=env)
    out = reconciled.stdout
    assert reconciled.returncode == 0, out + reconciled.stderr
    assert "Every referenced blob has its object." in out, out
    assert f"{aborted} stale unfinished upload(s) aborted ({aborted} aborted)" in out, out
    assert f"{removed} unreferenced object(s) past the grace period removed ({removed} removed)" in out, out
    verified = run_cli("custody", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr


def assert_no_traceback(*servers: ServerProcess) -> None:
    for server in servers:
        text = server.log_path.read_text(errors="replace")
        assert "Traceback" not in text, text[-2000:]


@pytest.fixture
def server_process(settings: Settings, tmp_path: Path) -> Iterator[Any]:
    """A factory of `ServerProcess`es on this test's database and data folder, all stopped at the end."""
    started: list[ServerProcess] = []

    def make(extra_env: dict[str, str] | None = None, log_name: str = "server.log") -> ServerProcess:
        server = ServerProcess(
            env={
                "INTEGRITY_DATA_DIR": str(settings.data_dir),
                "INTEGRITY_DATABASE_URL": settings.database.url,
                "INTEGRITY_MAX_UPLOAD_BYTES": str(settings.max_upload_bytes),
                **(extra_env or {}),
            },
            log_path=tmp_path / log_name,
        )
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
