"""The database: the Piccolo engine chosen by the settings, migrations, and a reachability check."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import threading
import time
import warnings
from typing import Any
from urllib.parse import unquote, urlsplit

from piccolo.apps.migrations.tables import Migration
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from integrity.errors import ConfigurationError, DatabaseUnavailable
from integrity.security.files import private_dir, private_file
from integrity.settings import DatabaseSettings, validate_database_url

# Piccolo's migration machinery looks the engine up through this module on every run.
os.environ.setdefault("PICCOLO_CONF", "integrity.piccolo_conf")

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10
SETTLE_SECONDS = 5


def create_engine(database: DatabaseSettings) -> Engine:
    validate_database_url(database.url)
    if database.is_sqlite:
        path = database.sqlite_path
        try:
            if not path.parent.exists():
                private_dir(path.parent)
            # SQLite gives its journal files the database file's permissions.
            private_file(path)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot create the folder of the SQLite database: {exc.strerror}"
            ) from None
        # `timeout` lets concurrent writers wait for the lock instead of failing at once.
        return SQLiteEngine(path=str(path), timeout=30)
    parts = urlsplit(database.url)
    config = {
        "host": parts.hostname,
        "port": parts.port or 5432,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        "database": parts.path.lstrip("/"),
        "timeout": CONNECT_TIMEOUT_SECONDS,
    }
    # No extensions: ids are generated in Python, and the app's role need not be a superuser.
    # Piccolo connects once here to read the server version and warns when it cannot;
    # `check_connection` reports that case as one clear line instead.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return PostgresEngine(config={k: v for k, v in config.items() if v is not None}, extensions=())


async def start_pool(engine: Engine, max_size: int = 20) -> bool:
    """Open PostgreSQL's connection pool; a database that is down now must not stop the app.

    Without a pool each query opens its own connection, so the app keeps answering (and `/readyz`
    says what is wrong) until the database is back.
    """
    if not isinstance(engine, PostgresEngine):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            await engine.start_connection_pool(max_size=max_size)
    except Exception as exc:  # noqa: BLE001 - reported, then the app runs without a pool
        log.warning("database connection pool not started: %s", _reason(exc))
        return False
    return True


async def close_pool(engine: Engine, wait_seconds: float) -> None:
    """Close PostgreSQL's connection pool, waiting at most ``wait_seconds`` for connections in
    use to come back; then close them anyway (a task left running at a stop must not keep the
    process, or a test's teardown, waiting for ever)."""
    if not isinstance(engine, PostgresEngine) or engine.pool is None:
        return
    pool = engine.pool
    try:
        await asyncio.wait_for(asyncio.shield(pool.close()), wait_seconds)
    except TimeoutError:
        log.warning("database connections still in use after %s s at stop; closing them", wait_seconds)
        pool.terminate()
    engine.pool = None


def bind_engine(engine: Engine) -> None:
    """Point every table (and Piccolo's migration machinery) at `engine`."""
    from integrity import piccolo_conf
    from integrity.tables import all_tables

    piccolo_conf.DB = engine
    tables: list[type[Table]] = [*all_tables(), Migration]
    for table in tables:
        table._meta.db = engine


def bound_engine() -> Engine:
    from integrity import piccolo_conf

    if piccolo_conf.DB is None:
        raise RuntimeError("no database is bound; call bind_engine first")
    return piccolo_conf.DB


def is_postgres() -> bool:
    """Whether the bound database is PostgreSQL (else SQLite), for SQL that differs between them."""
    return isinstance(bound_engine(), PostgresEngine)


def transaction() -> Any:
    """A transaction on the bound engine; nested calls join the outer one.

    On SQLite it is IMMEDIATE, so it holds the write lock from the start: concurrent writers queue
    instead of failing halfway, and appends to the custody log are serialised.
    """
    engine = bound_engine()
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def describe(database: DatabaseSettings) -> str:
    """Where the database is, without credentials, for messages."""
    if database.is_sqlite:
        return f"SQLite file {database.sqlite_path}"
    parts = urlsplit(database.url)
    return f"PostgreSQL at {parts.hostname}:{parts.port or 5432}/{parts.path.lstrip('/')}"


async def check_connection(engine: Engine, database: DatabaseSettings) -> None:
    """Run one trivial query; raise `DatabaseUnavailable` with a one-line reason if it fails."""
    try:
        with warnings.catch_warnings():
            # Piccolo also warns (in colour) about a failed connection; the error below says it.
            warnings.simplefilter("ignore")
            await asyncio.wait_for(engine.run_ddl("SELECT 1", in_pool=False), CONNECT_TIMEOUT_SECONDS)
    except TimeoutError:
        raise DatabaseUnavailable(f"{describe(database)} did not answer in time") from None
    except Exception as exc:  # noqa: BLE001 - every driver error becomes one clear line
        raise DatabaseUnavailable(f"cannot reach {describe(database)}: {_reason(exc)}") from None


def sqlite_workers() -> list[threading.Thread]:
    """aiosqlite's worker threads alive now (Python names a thread after its target)."""
    return [t for t in threading.enumerate() if t.name.endswith("(_connection_worker_thread)")]


async def settle_sqlite_workers() -> None:
    """Wait, at most `SETTLE_SECONDS`, for aiosqlite's worker threads to end; call it before a loop
    of ours closes (a CLI command's, the app's at shutdown).

    When a SQLite connection fails to open, aiosqlite queues its thread's stop without awaiting it.
    A thread that reports back after the loop has closed raises "Event loop is closed" in the thread,
    which prints a traceback under a command's one-line error.
    """
    deadline = time.monotonic() + SETTLE_SECONDS
    for thread in sqlite_workers():
        await asyncio.to_thread(thread.join, max(0.0, deadline - time.monotonic()))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


async def migrate(engine: Engine, database: DatabaseSettings) -> list[str]:
    """Apply every migration not yet applied (idempotent); return the ids applied now."""
    from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager

    await check_connection(engine, database)
    bind_engine(engine)
    manager = ForwardsMigrationManager(app_name="integrity", migration_id="all")
    before = (
        set(await Migration.get_migrations_which_ran(app_name="integrity"))
        if (await Migration.table_exists().run())
        else set()
    )
    # Piccolo prints its progress; the CLI reports what was applied itself.
    with contextlib.redirect_stdout(io.StringIO()):
        result = await manager.run()
    if not result.success:
        raise DatabaseUnavailable(f"migration failed: {result.message}")
    after = set(await Migration.get_migrations_which_ran(app_name="integrity"))
    return sorted(after - before)
