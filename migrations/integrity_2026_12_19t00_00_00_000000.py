"""What remains of a shredded case, and requests to shred one early (``integrity.preservation.retention``)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, Bytea, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-19T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Tombstones of shredded cases; requests to shred early; members' erasure requests"


class Case(Table, tablename="case_file", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


class Member(Table, tablename="member", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


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


def _fk(table, on_delete, **changes):
    return _params(
        references=table, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None, **changes
    )


REQUEST_COLUMNS = [
    ("id", UUID, _params(default=UUID4(), primary_key=True)),
    ("case", ForeignKey, _fk(Case, OnDelete.cascade, index=True, default=None, null=True)),
    ("reason_sealed", Bytea, _params(default=b"")),
    ("requested_by", ForeignKey, _fk(Member, OnDelete.restrict, default=None, null=True)),
    ("created_at", Timestamptz, _params(default=TimestamptzNow())),
]


ERASURE_COLUMNS = [
    ("id", UUID, _params(default=UUID4(), primary_key=True)),
    ("member", ForeignKey, _fk(Member, OnDelete.restrict, index=True, default=None, null=True)),
    ("status", Varchar, _params(length=10, default="pending")),
    ("created_at", Timestamptz, _params(default=TimestamptzNow())),
    ("first_confirmed_by", ForeignKey, _fk(Member, OnDelete.restrict, default=None, null=True)),
    ("done_at", Timestamptz, _params(default=None, null=True)),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    for class_name, tablename, columns in [
        ("ShreddedCase", "shredded_case", COLUMNS),
        ("ShredRequest", "shred_request", REQUEST_COLUMNS),
        ("ErasureRequest", "member_erasure", ERASURE_COLUMNS),
    ]:
        _add(manager, class_name, tablename, columns)
    return manager


def _add(manager, class_name, tablename, columns):
    manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name=class_name,
            tablename=tablename,
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
