"""Tables of the notifications domain."""

from __future__ import annotations

import enum
import uuid

from piccolo.columns import UUID, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from integrity.accounts.tables import Member


class NotificationKind(enum.StrEnum):
    new_submission = "new_submission"
    info_requested = "info_requested"
    info_provided = "info_provided"
    ready_to_approve = "ready_to_approve"
    assigned = "assigned"


class Notification(Table, tablename="notification"):
    """Says only which case needs what: the reference, never anything of its content."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    member = ForeignKey(references=Member, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=30, choices=NotificationKind)
    case_id = UUID(index=True)
    reference = Varchar(length=20)
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)
