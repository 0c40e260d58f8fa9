from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-11-22T11:12:22:506540"
VERSION = "1.38.0"
DESCRIPTION = "Index published files by sha256 for /verify"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="integrity", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="PublishedFile",
        tablename="published_file",
        column_name="sha256",
        db_column_name="sha256",
        params={"index": True},
        old_params={"index": False},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
