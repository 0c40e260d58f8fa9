"""When a published case's original was shredded under retention (``integrity.preservation.retention``)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-20T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Attachment.shredded_at: the original of a published case, shredded; its published copies kept"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Attachment",
        tablename="attachment",
        column_name="shredded_at",
        db_column_name="shredded_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
