"""The leak check reads every rendition as the public gets it (OCR, and the original's text layer),
as a job: each rendition's reading has a state, and existing renditions start `pending`, so they are
read before anything more is approved."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Bytea, Integer, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-06T20:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Renditions: the leak check's reading (state, progress, sealed words)"


def _params(**changes):
    params = {
        "default": None,
        "null": True,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    params.update(changes)
    return params


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    columns = [
        ("check_state", Varchar, _params(length=10, default="pending", null=False, index=True)),
        ("checked_pages", Integer, _params(default=0, null=False)),
        ("check_claimed_at", Timestamptz, _params()),
        ("check_problem", Varchar, _params(length=40)),
        ("check_sealed", Bytea, _params()),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="Rendition",
            tablename="rendition",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
