"""Referrals and replies in the publication draft and in published revisions."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-14T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Referrals and replies shown by a publication"

PARAMS = {
    "default": "[]",
    "null": False,
    "primary_key": False,
    "unique": False,
    "index": False,
    "index_method": IndexMethod.btree,
    "choices": None,
    "db_column_name": None,
    "secret": False,
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    for class_name, tablename, columns in [
        ("PublicationDraft", "publication_draft", ["public_referral_ids", "public_reply_ids"]),
        ("PublishedRevision", "published_revision", ["referrals", "replies"]),
    ]:
        for name in columns:
            manager.add_column(
                table_class_name=class_name,
                tablename=tablename,
                column_name=name,
                db_column_name=name,
                column_class_name="Text",
                column_class=Text,
                params=PARAMS,
                schema=None,
            )
    return manager
