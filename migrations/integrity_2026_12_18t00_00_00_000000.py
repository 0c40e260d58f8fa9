"""A case's export for a named recipient, approved by a second editor (``integrity.preservation``)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-18T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Exports of cases for named recipients"


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


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    manager.add_table(class_name="CaseExport", tablename="case_export", schema=None, columns=None)
    for name, column_class, params in COLUMNS:
        manager.add_column(
            table_class_name="CaseExport",
            tablename="case_export",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
