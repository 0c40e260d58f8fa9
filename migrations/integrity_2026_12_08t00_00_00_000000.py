"""A database dump does not say who filed what: a case names its submitter by a keyed hash and by
the member's id sealed with the case's key; the submitter's comments and steps say ``by_submitter``;
a notification for a case's submitter is addressed the same way (``integrity.cases.filers``).

The member ids kept in clear before are moved over by the running platform at its start (only it
holds the keys): ``integrity.cases.filers.backfill``.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean, Bytea, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-08T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Submitters hidden from the database: keyed tags and sealed ids instead of member ids"


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
        ("Case", "case_file", "submitter_tag", Varchar, _params(length=64, index=True)),
        ("Case", "case_file", "submitter_sealed", Bytea, _params()),
        ("Transition", "case_transition", "by_submitter", Boolean, _params(default=False, null=False)),
        ("Comment", "case_comment", "by_submitter", Boolean, _params(default=False, null=False)),
        ("Notification", "notification", "member_tag", Varchar, _params(length=64, index=True)),
        ("Notification", "notification", "member_sealed", Bytea, _params()),
    ]
    for table_class, tablename, name, column_class, params in columns:
        manager.add_column(
            table_class_name=table_class,
            tablename=tablename,
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
