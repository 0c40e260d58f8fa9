"""The public search index over published revisions' folded `search_text`.

SQLite: an FTS5 table with external content (the revisions' own rows), kept in step by triggers,
ranked with bm25. PostgreSQL: a GIN index over `to_tsvector('simple', search_text)`, ranked with
ts_rank; the `simple` configuration neither stems nor drops stop words, which is right because the
text is already folded (script, case and diacritics) by `integrity.reference.fold`. No extension is
needed, so the app's role need not be a superuser.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine

from integrity.db import bound_engine

ID = "2026-11-22T09:02:36:669496"
VERSION = "1.38.0"
DESCRIPTION = "public search index over published revisions"

SQLITE_FORWARDS = [
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS published_revision_fts USING fts5(
        search_text,
        content='published_revision',
        content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER IF NOT EXISTS published_revision_fts_insert AFTER INSERT ON published_revision
    BEGIN
        INSERT INTO published_revision_fts (rowid, search_text) VALUES (new.id, new.search_text);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS published_revision_fts_delete AFTER DELETE ON published_revision
    BEGIN
        INSERT INTO published_revision_fts (published_revision_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS published_revision_fts_update
    AFTER UPDATE OF search_text ON published_revision
    BEGIN
        INSERT INTO published_revision_fts (published_revision_fts, rowid, search_text)
        VALUES ('delete', old.id, old.search_text);
        INSERT INTO published_revision_fts (rowid, search_text) VALUES (new.id, new.search_text);
    END
    """,
    # Rows published before this migration ran.
    "INSERT INTO published_revision_fts (published_revision_fts) VALUES ('rebuild')",
]

SQLITE_BACKWARDS = [
    "DROP TRIGGER IF EXISTS published_revision_fts_update",
    "DROP TRIGGER IF EXISTS published_revision_fts_delete",
    "DROP TRIGGER IF EXISTS published_revision_fts_insert",
    "DROP TABLE IF EXISTS published_revision_fts",
]

POSTGRES_FORWARDS = [
    "CREATE INDEX IF NOT EXISTS published_revision_search "
    "ON published_revision USING GIN (to_tsvector('simple', search_text))",
]

POSTGRES_BACKWARDS = ["DROP INDEX IF EXISTS published_revision_search"]


async def _run(postgres: list[str], sqlite: list[str]) -> None:
    engine = bound_engine()
    # One statement per call: SQLite's driver runs a single statement at a time.
    for statement in postgres if isinstance(engine, PostgresEngine) else sqlite:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)

    async def run():
        await _run(POSTGRES_FORWARDS, SQLITE_FORWARDS)

    async def run_backwards():
        await _run(POSTGRES_BACKWARDS, SQLITE_BACKWARDS)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
