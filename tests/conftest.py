"""Shared fixtures: a fresh migrated database per test, a real S3 server, the app, a browser.

By default the database is a SQLite temp file (never `:memory:`, which Piccolo reopens per query)
copied from one built by the real migrations; with `INTEGRITY_TEST_DATABASE_URL` set to a PostgreSQL
server, the session creates a fresh database there, migrates it, and truncates its tables between
tests. Litestar's test clients run the app on their own loop, so no test relies on a transaction
reaching the handlers.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from integrity import db
from integrity.app import create_app
from integrity.settings import DatabaseSettings, Settings
from integrity.tables import all_tables
from tests.postgres import admin_execute, with_database
from tests.s3server import S3Endpoint, endpoint_from_env, running_weed

T = TypeVar("T")

TEST_DATABASE_URL = os.environ.get("INTEGRITY_TEST_DATABASE_URL", "").strip()


@dataclass(frozen=True)
class TestDatabase:
    url: str
    #: For SQLite: a migrated file to copy per test.
    template: Path | None = None


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from synchronous fixture code, on a loop of its own.

    A thread keeps it clear of any loop already running here (Playwright's sync API runs one).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    if TEST_DATABASE_URL:
        name = "integrity_test_" + secrets.token_hex(4)
        run_async(admin_execute(TEST_DATABASE_URL, f'CREATE DATABASE "{name}"'))
        url = with_database(TEST_DATABASE_URL, name)
        settings = DatabaseSettings(url=url)
        run_async(_migrate(settings))
        yield TestDatabase(url=url)
        run_async(admin_execute(TEST_DATABASE_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        template = tmp_path_factory.mktemp("db-template") / "template.sqlite3"
        run_async(_migrate(DatabaseSettings(url=f"sqlite:///{template}")))
        yield TestDatabase(url=f"sqlite:///{template}", template=template)


async def _migrate(settings: DatabaseSettings) -> None:
    engine = db.create_engine(settings)
    await db.migrate(engine, settings)


async def _truncate(engine: db.Engine) -> None:
    # Our tables and the job queue's (jobs queued by one test's app are not another's).
    queue = [
        "procrastinate_jobs",
        "procrastinate_events",
        "procrastinate_periodic_defers",
        "procrastinate_workers",
    ]
    names = ", ".join([*(f'"{table._meta.tablename}"' for table in all_tables()), *queue])
    await engine.run_ddl(f"TRUNCATE {names} RESTART IDENTITY CASCADE", in_pool=False)


@pytest.fixture
def database_url(test_database: TestDatabase, tmp_path: Path) -> str:
    """A fresh, fully migrated database for this test."""
    if test_database.template is not None:
        path = tmp_path / "integrity.sqlite3"
        shutil.copyfile(test_database.template, path)
        return f"sqlite:///{path}"
    engine = db.create_engine(DatabaseSettings(url=test_database.url))
    run_async(_truncate(engine))
    return test_database.url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    data_dir = tmp_path / "storage"
    data_dir.mkdir()
    return Settings.from_env(
        {
            "INTEGRITY_DATA_DIR": str(data_dir),
            "INTEGRITY_DATABASE_URL": database_url,
            "INTEGRITY_BASE_URL": "http://testserver.local",
            "INTEGRITY_MAX_UPLOAD_BYTES": str(64 * 1024 * 1024),
        }
    )


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[db.Engine]:
    """The test database bound to every table, for arranging data and checking outcomes."""
    engine = db.create_engine(settings.database)
    db.bind_engine(engine)
    yield engine


@pytest.fixture
def app(settings: Settings, engine: db.Engine) -> Litestar:
    return create_app(settings, engine=engine)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        from tests.factories import isolate_test_pool

        # The client runs the app, and the PostgreSQL pool its lifespan opens, on a loop of its own;
        # the test's own queries must not borrow those connections.
        isolate_test_pool(app)
        yield client


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[S3Endpoint]:
    """A real S3 server: `INTEGRITY_TEST_S3_*` when set, else SeaweedFS started for the session."""
    configured = endpoint_from_env()
    if configured is not None:
        yield configured
        return
    with running_weed() as server:
        yield server.endpoint


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright; CI must have it, so there it fails instead of skipping."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: /usr/bin/chromium is missing")
        pytest.skip("/usr/bin/chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    #: The server's process (a test may stop it, to go on with another on the same data).
    process: Any = None
    #: The file its output goes to, closed when it stops.
    output: Any = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.output is not None:
            self.output.close()


def _free_port() -> int:
    from tests.s3server import free_port

    return free_port()


@pytest.fixture
def live_server(settings: Settings, tmp_path: Path) -> Iterator[LiveServer]:
    """`integrity serve` in a real process on a free loopback port, on this test's database."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    env = {
        **os.environ,
        "INTEGRITY_DATA_DIR": str(settings.data_dir),
        "INTEGRITY_DATABASE_URL": settings.database.url,
        "INTEGRITY_BASE_URL": f"http://127.0.0.1:{port}",
    }
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "integrity.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "the server did not start:\n" + (tmp_path / "server.log").read_text()
                    ) from None
                time.sleep(0.2)
        yield LiveServer(url=url, env=env, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        # Shown by pytest only when the test failed: what the server said (its own warnings, and
        # how its job queue went).
        print("---- server.log ----\n" + (tmp_path / "server.log").read_text(errors="replace")[-20000:])


@pytest.fixture
def accounts(app: Litestar, client: AsyncTestClient[Litestar], settings: Settings) -> Any:
    """Members of any role and callers acting as them (`tests.factories.AccountFactory`); with it,
    tests may also query the database directly while the client runs, on PostgreSQL too."""
    from tests.factories import AccountFactory

    return AccountFactory(app=app, client=client, settings=settings)
