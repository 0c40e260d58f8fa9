"""What identifying metadata an uploaded file carries (its kinds only, sealed with the case's key),
shown to the member who uploaded it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Bytea
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-11T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "The kinds of identifying metadata each uploaded file carries"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Attachment",
        tablename="attachment",
        column_name="carried_sealed",
        db_column_name="carried_sealed",
        column_class_name="Bytea",
        column_class=Bytea,
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
