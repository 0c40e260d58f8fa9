"""Referral documents: evidence files the review team adds to a referral (the sent document, the
proof of delivery, an answer's document), kept as the case's attachments with a link to it."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import UUID, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-15T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Attachments linked to a referral (and to one of its answers), with their role"


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


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    for name, column_class, params in [
        ("referral_id", UUID, _params(index=True)),
        ("referral_answer_id", UUID, _params()),
        ("document_role", Varchar, _params(length=20)),
    ]:
        manager.add_column(
            table_class_name="Attachment",
            tablename="attachment",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
