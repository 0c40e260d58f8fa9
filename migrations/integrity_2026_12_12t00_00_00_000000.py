"""The case form saved while a member writes it (sealed under a key of its own, addressed by the
member's filer tag), so that an ended session or a closed tab loses nothing."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, Bytea, ForeignKey, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-12T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Case forms saved while being written"


class Case(Table, tablename="case_file", schema=None):
    id = UUID(default=UUID4(), null=False, primary_key=True)


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
    manager.add_table(class_name="FormDraft", tablename="case_form_draft", schema=None, columns=None)
    columns = [
        ("id", UUID, _params(default=UUID4(), null=False, primary_key=True)),
        ("owner_tag", Varchar, _params(length=64, default="", null=False, index=True)),
        (
            "case",
            ForeignKey,
            _params(
                references=Case,
                on_delete=OnDelete.cascade,
                on_update=OnUpdate.cascade,
                target_column=None,
                index=True,
            ),
        ),
        ("wrapped_key", Bytea, _params(default=b"", null=False)),
        ("key_id", Varchar, _params(length=64, default="", null=False)),
        ("fields_sealed", Bytea, _params(default=b"", null=False)),
        ("saved_at", Timestamptz, _params(default=TimestamptzNow(), null=False)),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="FormDraft",
            tablename="case_form_draft",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
