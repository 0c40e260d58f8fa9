"""Tables of preservation: a case's export for a named recipient, approved by a second editor."""

from __future__ import annotations

import enum
import uuid

from piccolo.columns import UUID, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from integrity.accounts.tables import Member
from integrity.cases.tables import Case


class ExportStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"


class CaseExport(Table, tablename="case_export"):
    """A court-ready package of a case asked for by one editor for one recipient (an age X25519
    public key: only its holder can open the package), made only once another editor approved it."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    recipient = Varchar(length=100)
    status = Varchar(length=10, default=ExportStatus.pending.value)
    requested_by = ForeignKey(references=Member, on_delete=OnDelete.restrict)
    approved_by = ForeignKey(references=Member, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    approved_at = Timestamptz(null=True, default=None)
    custody_seq = Integer()
