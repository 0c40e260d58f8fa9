"""Tables of the notifications domain."""

from __future__ import annotations

import enum
import uuid

from piccolo.columns import UUID, Bytea, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from integrity.accounts.tables import Member


class NotificationKind(enum.StrEnum):
    new_submission = "new_submission"
    info_requested = "info_requested"
    info_provided = "info_provided"
    ready_to_approve = "ready_to_approve"
    assigned = "assigned"
    #: The draft changed after an editor approved it (or proposed it as a correction): the
    #: approval (or the proposal) no longer stands.
    approval_voided = "approval_voided"
    proposal_voided = "proposal_voided"
    #: An institution's answer to a referral of the case is due soon, or is overdue.
    referral_due_soon = "referral_due_soon"
    referral_overdue = "referral_overdue"
    #: For the admins: stored files of the case (and maybe others) failed a fixity check.
    fixity_failed = "fixity_failed"
    #: For the other editors: a legal hold (placing or releasing it) or a shredding of the case
    #: waits for a second editor; an export of it waits for a second editor's approval.
    hold_confirmation_needed = "hold_confirmation_needed"
    export_approval_needed = "export_approval_needed"
    #: For the admins: a member asked to be forgotten (``case_id`` holds the request's id).
    erasure_requested = "erasure_requested"


class EmailState(enum.StrEnum):
    """Where a notification's e-mail stands: the need to send it is this row (the queue's job is a
    nudge, found again by the sweep when lost)."""

    pending = "pending"
    sent = "sent"
    #: Every attempt failed (the mail server was unreachable for hours), or mail was switched off.
    failed = "failed"


class Notification(Table, tablename="notification"):
    """Says only which case needs what: the reference, never anything of its content."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    #: The review team member it is for; None for one to a case's submitter, who is named only as
    #: ``member_tag`` (``Signer.filer_tag``) and, for the e-mail, ``member_sealed`` (the id sealed
    #: with the case's key): a database dump does not say who filed which case.
    member = ForeignKey(references=Member, on_delete=OnDelete.cascade, index=True)
    member_tag = Varchar(length=64, index=True, null=True, default=None)
    member_sealed = Bytea(null=True, default=None)
    kind = Varchar(length=30, choices=NotificationKind)
    case_id = UUID(index=True)
    reference = Varchar(length=20)
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)
    #: None when no e-mail was to be sent (SMTP not configured when it was made).
    email_state = Varchar(length=10, null=True, default=None, choices=EmailState, index=True)
    email_attempts = Integer(default=0)
