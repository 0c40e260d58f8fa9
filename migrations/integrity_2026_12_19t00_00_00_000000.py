"""What remains of a shredded case (``integrity.preservation.retention``)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-19T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Tombstones of shredded cases"


def _params(**changes):
    return {
        "default": "",
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **changes,
    }


COLUMNS = [
    ("id", UUID, _params(default=UUID4(), primary_key=True)),
    ("case_id", UUID, _params(default=UUID4(), index=True)),
    ("reference", Varchar, _params(length=20)),
    ("status", Varchar, _params(length=20)),
    ("reason", Varchar, _params(length=60)),
    ("shredded_at", Timestamptz, _params(default=TimestamptzNow())),
    ("custody_seq", Integer, _params(default=0)),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    manager.add_table(class_name="ShreddedCase", tablename="shredded_case", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="ShreddedCase",
            tablename="shredded_case",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
