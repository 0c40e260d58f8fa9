"""A case's export for a named recipient, approved by a second editor, and legal holds placed and
released by two editors (``integrity.preservation``)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, Bytea, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-18T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Exports of cases for named recipients; legal holds"


class Case(Table, tablename="case_file", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


class Member(Table, tablename="member", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


def _params(**changes):
    return {
        "default": None,
        "null": True,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **changes,
    }


def _fk(table, on_delete, **changes):
    return _params(references=table, on_delete=on_delete, on_update=OnUpdate.cascade, target_column=None, **changes)


COLUMNS = [
    ("id", UUID, _params(default=UUID4(), null=False, primary_key=True)),
    ("case", ForeignKey, _fk(Case, OnDelete.cascade, index=True)),
    ("recipient", Varchar, _params(length=100, default="", null=False)),
    ("status", Varchar, _params(length=10, default="pending", null=False)),
    ("requested_by", ForeignKey, _fk(Member, OnDelete.restrict)),
    ("approved_by", ForeignKey, _fk(Member, OnDelete.restrict)),
    ("created_at", Timestamptz, _params(default=TimestamptzNow(), null=False)),
    ("approved_at", Timestamptz, _params()),
    ("custody_seq", Integer, _params(default=0, null=False)),
]


HOLD_COLUMNS = [
    ("id", UUID, _params(default=UUID4(), null=False, primary_key=True)),
    ("case", ForeignKey, _fk(Case, OnDelete.restrict, index=True)),
    ("reason_sealed", Bytea, _params(default=b"", null=False)),
    ("status", Varchar, _params(length=12, default="pending", null=False)),
    ("requested_by", ForeignKey, _fk(Member, OnDelete.restrict)),
    ("confirmed_by", ForeignKey, _fk(Member, OnDelete.restrict)),
    ("release_requested_by", ForeignKey, _fk(Member, OnDelete.restrict)),
    ("released_by", ForeignKey, _fk(Member, OnDelete.restrict)),
    ("created_at", Timestamptz, _params(default=TimestamptzNow(), null=False)),
    ("active_at", Timestamptz, _params()),
    ("released_at", Timestamptz, _params()),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    for class_name, tablename, columns in [
        ("CaseExport", "case_export", COLUMNS),
        ("LegalHold", "legal_hold", HOLD_COLUMNS),
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
