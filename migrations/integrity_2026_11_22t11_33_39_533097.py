"""Public lists and search at 100,000 published cases (measured by `benchmarks/search.py`).

- `public_case.updated_at` is indexed: the newest change is every public answer's Last-Modified,
  which was a scan of all public cases per request.
- An index over current revisions in display order, `(is_current, published_at, id)`, so newest
  first stops at the page instead of sorting every revision. On SQLite it also carries the filter
  columns (municipality, district, incident date, categories): a filter without a query reads the
  narrow index rather than every wide revision row.
- PostgreSQL: the search vector becomes a stored generated column, `search_vector`, with its GIN
  index in place of the index over the expression. Ranking a match read the vector from the index's
  expression again, re-parsing each matching text: over a second for a word found in a third of
  100,000 cases. It is stored in the row (storage MAIN), not out of line. The column is the
  database's own (generated from `search_text`, never written by the app), so it is not part of
  the Piccolo table.
- PostgreSQL: a GIN index over `categories::jsonb`, which the category filter asks by containment
  (`@>`) instead of unpacking every revision's list.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.engine.postgres import PostgresEngine

from integrity.db import bound_engine

ID = "2026-11-22T11:33:39:533097"
VERSION = "1.38.0"
DESCRIPTION = "public lists and search at scale: listing indexes, stored search vector on PostgreSQL"

SQLITE_FORWARDS = [
    "CREATE INDEX IF NOT EXISTS published_revision_listing ON published_revision "
    "(is_current, published_at, id, municipality, district, incident_date, categories)",
]

SQLITE_BACKWARDS = ["DROP INDEX IF EXISTS published_revision_listing"]

POSTGRES_FORWARDS = [
    # Storage MAIN keeps the vector in the row (compressed if need be) and lets the texts go out of
    # line instead: a search reads vectors without a TOAST lookup for each. In one ALTER TABLE, so
    # the rewrite that fills the column already stores it so.
    "ALTER TABLE published_revision ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED, "
    "ALTER COLUMN search_vector SET STORAGE MAIN",
    "CREATE INDEX IF NOT EXISTS published_revision_search_vector "
    "ON published_revision USING GIN (search_vector)",
    "DROP INDEX IF EXISTS published_revision_search",
    "CREATE INDEX IF NOT EXISTS published_revision_listing ON published_revision (is_current, published_at, id)",
    "CREATE INDEX IF NOT EXISTS published_revision_categories "
    "ON published_revision USING GIN ((categories::jsonb))",
]

POSTGRES_BACKWARDS = [
    "DROP INDEX IF EXISTS published_revision_categories",
    "DROP INDEX IF EXISTS published_revision_listing",
    "CREATE INDEX IF NOT EXISTS published_revision_search "
    "ON published_revision USING GIN (to_tsvector('simple', search_text))",
    "DROP INDEX IF EXISTS published_revision_search_vector",
    "ALTER TABLE published_revision DROP COLUMN IF EXISTS search_vector",
]


async def _run(postgres: list[str], sqlite: list[str]) -> None:
    engine = bound_engine()
    # One statement per call: SQLite's driver runs a single statement at a time.
    for statement in postgres if isinstance(engine, PostgresEngine) else sqlite:
        await engine.run_ddl(statement)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="PublicCase",
        tablename="public_case",
        column_name="updated_at",
        db_column_name="updated_at",
        params={"index": True},
        old_params={"index": False},
        column_class=Timestamptz,
        old_column_class=Timestamptz,
        schema=None,
    )

    async def run():
        await _run(POSTGRES_FORWARDS, SQLITE_FORWARDS)

    async def run_backwards():
        await _run(POSTGRES_BACKWARDS, SQLITE_BACKWARDS)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
