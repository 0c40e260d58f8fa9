"""Tables of preservation: a case's export for a named recipient, approved by a second editor."""

from __future__ import annotations

import enum
import uuid

from piccolo.columns import UUID, Bytea, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
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


class HoldStatus(enum.StrEnum):
    #: Asked for by one editor; not yet a hold.
    pending = "pending"
    #: Confirmed by another editor: nothing of the case may be deleted, shredded or expire.
    active = "active"
    #: Its release asked for; still a hold until another editor confirms the release.
    releasing = "releasing"
    released = "released"


#: The statuses in which a hold holds.
HOLDING = (HoldStatus.active.value, HoldStatus.releasing.value)


class LegalHold(Table, tablename="legal_hold"):
    """A legal hold on a case, placed and released by two editors each time (the reason sealed
    with the case's key). While it holds, the case's stored objects carry the store's legal hold
    too, where the bucket has object lock."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    case = ForeignKey(references=Case, on_delete=OnDelete.restrict, index=True)
    reason_sealed = Bytea()
    status = Varchar(length=12, default=HoldStatus.pending.value)
    requested_by = ForeignKey(references=Member, on_delete=OnDelete.restrict)
    confirmed_by = ForeignKey(references=Member, on_delete=OnDelete.restrict, null=True, default=None)
    release_requested_by = ForeignKey(references=Member, on_delete=OnDelete.restrict, null=True, default=None)
    released_by = ForeignKey(references=Member, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    active_at = Timestamptz(null=True, default=None)
    released_at = Timestamptz(null=True, default=None)


class ShreddedCase(Table, tablename="shredded_case"):
    """What remains of a shredded case: that it existed, under which reference and status, when
    and why it was shredded, and the custody entry that says so. Nothing of its content."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    #: The case's id, for the custody entries that name it (the case row itself is gone).
    case_id = UUID(index=True)
    reference = Varchar(length=20)
    status = Varchar(length=20)
    #: ``retention:<status>`` (its retention class ran out) or ``request`` (two editors asked).
    reason = Varchar(length=60)
    shredded_at = Timestamptz(default=TimestamptzNow())
    custody_seq = Integer()


class ShredRequest(Table, tablename="shred_request"):
    """One editor asks to shred a closed case (or a published case's originals) before its
    retention runs out; another confirms, and it is shredded then (this row goes with it; the
    tombstone says ``request``)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    reason_sealed = Bytea()
    requested_by = ForeignKey(references=Member, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
    #: What was asked for (``case`` or ``originals``) and the case's status then: a confirmation
    #: of a request the case has moved on from is refused (``retention.confirm_shredding``).
    scope = Varchar(length=10, default="case")
    case_status = Varchar(length=20, default="")


class ErasureStatus(enum.StrEnum):
    #: Asked for by the member; waiting for two admins.
    pending = "pending"
    #: One admin confirmed; waiting for a second.
    confirmed = "confirmed"
    #: Their unpublished cases shredded, their account anonymised.
    done = "done"


class ErasureRequest(Table, tablename="member_erasure"):
    """A member's request to be forgotten: confirmed by two admins, it shreds the cases they filed
    that were never published and anonymises their account (``preservation.erasure``)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    member = ForeignKey(references=Member, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=10, default=ErasureStatus.pending.value)
    created_at = Timestamptz(default=TimestamptzNow())
    first_confirmed_by = ForeignKey(references=Member, on_delete=OnDelete.restrict, null=True, default=None)
    done_at = Timestamptz(null=True, default=None)
