"""Migrations and the reachability check, on whichever database the suite runs against."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from integrity import cli, db
from integrity.accounts.members import create_admin
from integrity.accounts.tables import Member
from integrity.app import create_app
from integrity.errors import DatabaseUnavailable, Invalid, WrongState
from integrity.security.passwords import needs_rehash, verify_password
from integrity.settings import DatabaseSettings, Settings
from tests.s3server import free_port


async def test_migrate_is_idempotent(settings: Settings, engine: db.Engine) -> None:
    assert await db.migrate(engine, settings.database) == []
    assert await Member.table_exists()


async def test_migrations_build_a_new_database_from_nothing(tmp_path) -> None:
    database = DatabaseSettings(url=f"sqlite:///{tmp_path / 'fresh' / 'new.sqlite3'}")
    engine = db.create_engine(database)
    applied = await db.migrate(engine, database)
    assert applied, "a new database must get every migration"
    assert await db.migrate(engine, database) == []


async def test_an_unreachable_database_is_one_clear_line() -> None:
    database = DatabaseSettings(url=f"postgresql://someone:pw@127.0.0.1:{free_port()}/integrity")
    engine = db.create_engine(database)
    with pytest.raises(DatabaseUnavailable) as caught:
        await db.check_connection(engine, database)
    message = caught.value.detail
    assert message.startswith("cannot reach PostgreSQL at 127.0.0.1:")
    assert "\n" not in message
    assert "someone" not in message and ":pw@" not in message


@pytest.fixture
def slow_failed_connects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DatabaseSettings:
    """A SQLite file that cannot open (it is a folder), and aiosqlite's worker threads slowed down
    as on a busy machine, so that one stopping after a failed connect outlives the loop every time
    unless the loop waits for it."""
    stop = aiosqlite.core.Connection.stop

    def slow_stop(connection: aiosqlite.core.Connection) -> Any:
        connection._tx.put_nowait((None, lambda: time.sleep(0.2)))
        return stop(connection)

    monkeypatch.setattr(aiosqlite.core.Connection, "stop", slow_stop)
    database = DatabaseSettings(url=f"sqlite:///{tmp_path / 'a-folder.sqlite3'}")
    database.sqlite_path.mkdir()
    return database


def test_a_command_on_a_sqlite_file_that_cannot_open_prints_no_thread_traceback(
    slow_failed_connects: DatabaseSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker thread that reports back after its loop has closed raises "Event loop is closed",
    a traceback under the command's one-line error."""
    database = slow_failed_connects
    raised: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", raised.append)

    async def command() -> int:
        with pytest.raises(DatabaseUnavailable, match="^cannot reach SQLite file .*: unable to open"):
            await db.check_connection(db.create_engine(database), database)
        return 2

    assert cli._run(command()) == 2
    assert db.sqlite_workers() == []
    assert [hook.exc_value for hook in raised] == []


async def test_the_app_stops_after_the_sqlite_threads_of_failed_connects(
    settings: Settings, slow_failed_connects: DatabaseSettings
) -> None:
    app = create_app(settings.with_overrides(database=slow_failed_connects))
    async with app.lifespan():
        # Start-up's check for an owed custody checkpoint has already failed to connect.
        assert db.sqlite_workers()
    assert db.sqlite_workers() == []


async def test_create_admin_stores_an_argon2id_hash(engine: db.Engine) -> None:
    member = await create_admin(email="  Chief@Example.ORG ", password="correct horse battery")
    stored = await Member.objects().where(Member.id == member.id).first()
    assert stored is not None
    assert stored.email == "chief@example.org"
    assert stored.role == "admin"
    assert stored.password_hash.startswith("$argon2id$")
    assert not needs_rehash(stored.password_hash)
    assert verify_password("correct horse battery", stored.password_hash)
    assert not verify_password("wrong horse battery", stored.password_hash)


async def test_create_admin_refuses_a_duplicate_and_a_short_password(engine: db.Engine) -> None:
    await create_admin(email="chief@example.org", password="correct horse battery")
    with pytest.raises(WrongState):
        await create_admin(email="CHIEF@example.org", password="another long password")
    with pytest.raises(Invalid, match="at least 12"):
        await create_admin(email="deputy@example.org", password="short")
    with pytest.raises(Invalid, match="e-mail"):
        await create_admin(email="not-an-address", password="correct horse battery")
    assert await Member.count() == 1


async def test_the_migrations_match_the_tables() -> None:
    """A table changed without `piccolo migrations new integrity --auto` fails here."""
    from piccolo.apps.migrations.commands.new import AutoMigrationManager

    from integrity.piccolo_app import APP_CONFIG

    statements = await AutoMigrationManager(auto_input="y").get_alter_statements(app_config=APP_CONFIG)
    pending = [line for group in statements for line in group.statements]
    assert pending == [], "run: piccolo migrations new integrity --auto"
