"""The admins' notification of a failed fixity check (``integrity.preservation.fixity``)."""

from enum import Enum

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-17T00:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "A notification kind for failed fixity checks"

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
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="integrity", description=DESCRIPTION)
    manager.alter_column(
        table_class_name="Notification",
        tablename="notification",
        column_name="kind",
        db_column_name="kind",
        params={"choices": Enum("NotificationKind", {k: k for k in [*KINDS, "fixity_failed"]})},
        old_params={"choices": Enum("NotificationKind", {k: k for k in KINDS})},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )
    return manager
