"""Referrals and replies in the publication draft and in published revisions."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import UUID, Boolean, Date, ForeignKey, Serial, Text, Varchar
from piccolo.columns.defaults.date import DateNow
from piccolo.columns.defaults.uuid import UUID4
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-12-14T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Referrals and replies shown by a publication; one row per referral shown"


class PublishedRevision(Table, tablename="published_revision", schema=None):
    id = Serial(null=False, primary_key=True)


def _params(**changes):
    return {**PARAMS, "default": None, "null": True, **changes}

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
    manager.add_table(class_name="PublishedReferral", tablename="published_referral", schema=None, columns=None)
    columns = [
        (
            "revision",
            ForeignKey,
            _params(
                references=PublishedRevision,
                on_delete=OnDelete.cascade,
                on_update=OnUpdate.cascade,
                target_column=None,
                index=True,
            ),
        ),
        ("institution", UUID, _params(default=UUID4(), null=False, index=True)),
        ("institution_name", Varchar, _params(length=200, default="", null=False)),
        ("kind", Varchar, _params(length=40, default="", null=False)),
        ("municipality", Varchar, _params(length=60, default="", null=False)),
        ("sent_at", Date, _params(default=DateNow(), null=False)),
        ("due_at", Date, _params(default=DateNow(), null=False)),
        ("answered_at", Date, _params()),
        ("outcome", Varchar, _params(length=30)),
        ("closed", Boolean, _params(default=False, null=False)),
    ]
    for name, column_class, params in columns:
        manager.add_column(
            table_class_name="PublishedReferral",
            tablename="published_referral",
            column_name=name,
            db_column_name=name,
            column_class_name=column_class.__name__,
            column_class=column_class,
            params=params,
            schema=None,
        )
    return manager
