"""When a published case's original was shredded under retention, and what a request to shred
early asked for (``integrity.preservation.retention``); the notifications of a step waiting for a
second person (``integrity.preservation.access``)."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-20T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "Attachment.shredded_at (a published case's original, shredded); ShredRequest.scope and case_status; "
    "notification kinds for a step waiting for a second person"
)

KINDS = [
    "new_submission",
    "info_requested",
    "info_provided",
    "ready_to_approve",
    "assigned",
    "approval_voided",
    "proposal_voided",
    "referral_due_soon",
    "referral_overdue",
    "fixity_failed",
]
NEW_KINDS = ["hold_confirmation_needed", "export_approval_needed", "erasure_requested"]


def _params(**changes):
    return {
        "default": "",
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
        **changes,
    }


COLUMNS = [
    ("Attachment", "attachment", "shredded_at", Timestamptz, _params(default=None, null=True)),
    ("ShredRequest", "shred_request", "scope", Varchar, _params(length=10, default="case")),
    ("ShredRequest", "shred_request", "case_status", Varchar, _params(length=20, default="")),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    for class_name, tablename, name, column_class, params in COLUMNS:
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
    manager.alter_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="kind",
        db_column_name="kind",
        params={"choices": Enum("NotificationKind", {k: k for k in [*KINDS, *NEW_KINDS]})},
        old_params={"choices": Enum("NotificationKind", {k: k for k in KINDS})},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )
    return manager
