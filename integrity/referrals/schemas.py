"""The shapes of referrals on the API (``../shared/API.md``, "Second wave")."""

from __future__ import annotations

import datetime
import uuid

import msgspec

from integrity.referrals.tables import Channel, MadeBy, Outcome


class ReferralKindOut(msgspec.Struct):
    code: str
    name_latn: str
    name_cyrl: str
    name_en: str
    #: Days the institution has to answer (the law's, or the network's interval where it sets none).
    deadline_days: int
    working_days: bool
    #: The article of law the deadline comes from, or that the interval is the network's own.
    source: str


class InstitutionIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    registry_number: str | None = None


class ReferralIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    sent_at: datetime.date
    channel: Channel
    institution_actor_id: uuid.UUID | None = None
    institution: InstitutionIn | None = None
    reference_number: str | None = None
    made_by: MadeBy = MadeBy.network


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    received_at: datetime.date
    outcome: Outcome
    text: str | None = None


class CloseIn(msgspec.Struct, forbid_unknown_fields=True):
    outcome: Outcome


class InstitutionOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    registry_number: str | None = None


class AnswerOut(msgspec.Struct):
    id: uuid.UUID
    received_at: datetime.date
    outcome: str
    #: Days from sending to the answer, and whether it came by the deadline.
    days_to_answer: int
    in_time: bool
    text: str | None = None


class ReferralDocumentOut(msgspec.Struct):
    """A document of the referral (one of the case's attachments: ``.../attachments/{id}/content``)."""

    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    #: ``sent``, ``delivery_proof``, ``answer`` or ``other``.
    role: str
    custody_seq: int
    answer_id: uuid.UUID | None = None
    #: When it was shredded under its published case's retention (it is no longer downloadable).
    shredded_at: datetime.datetime | None = None


class ReferralOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    institution: InstitutionOut
    sent_at: datetime.date
    due_at: datetime.date
    status: str
    days_overdue: int
    channel: str
    made_by: str
    reference_number: str | None = None
    appeal_of: uuid.UUID | None = None
    answers: list[AnswerOut] = msgspec.field(default_factory=list)
    appeals: list[uuid.UUID] = msgspec.field(default_factory=list)
    closed_at: datetime.date | None = None
    closing_outcome: str | None = None
    documents: list[ReferralDocumentOut] = msgspec.field(default_factory=list)


class ReplyIn(msgspec.Struct, forbid_unknown_fields=True):
    """A person or institution the case names, asked to comment (and their reply, if it came)."""

    actor_id: uuid.UUID
    asked_at: datetime.date
    channel: Channel
    reply_by: datetime.date | None = None
    received_at: datetime.date | None = None
    text: str | None = None


class ReplyReceivedIn(msgspec.Struct, forbid_unknown_fields=True):
    received_at: datetime.date
    text: str | None = None


class ReplyOut(msgspec.Struct):
    id: uuid.UUID
    actor_id: uuid.UUID
    name: str
    asked_at: datetime.date
    channel: str
    #: ``asked``, ``replied``, or ``no_reply`` once the date given has passed without one.
    status: str
    reply_by: datetime.date | None = None
    received_at: datetime.date | None = None
    text: str | None = None
