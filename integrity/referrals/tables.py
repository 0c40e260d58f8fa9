"""Tables of referrals: a case sent to an institution, and the institution's answers."""

from __future__ import annotations

import enum
import uuid

from piccolo.columns import UUID, Bytea, Date, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from integrity.accounts.tables import Member
from integrity.cases.tables import Actor, Case


class Channel(enum.StrEnum):
    post = "post"
    email = "email"
    in_person = "in_person"
    portal = "portal"
    other = "other"


class MadeBy(enum.StrEnum):
    network = "network"
    member = "member"


class Outcome(enum.StrEnum):
    answered = "answered"
    partly_answered = "partly_answered"
    refused = "refused"
    forwarded = "forwarded"
    proceedings_opened = "proceedings_opened"
    dismissed = "dismissed"
    no_competence = "no_competence"


class DocumentRole(enum.StrEnum):
    """What a referral's document is (``Attachment.document_role``)."""

    sent = "sent"
    delivery_proof = "delivery_proof"
    answer = "answer"
    other = "other"


class Referral(Table, tablename="referral"):
    """A case sent to an institution: what, when, how, under which of its numbers; by the network
    or, as recorded by the team, by the member. ``due_at`` is fixed when it is recorded, from the
    kind's deadline (``referrals.deadlines``); an appeal is a referral of its own that names the
    one it appeals (``appeal_of``, in the same case)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=40)
    institution = ForeignKey(references=Actor, on_delete=OnDelete.restrict, index=True)
    sent_at = Date()
    due_at = Date(index=True)
    channel = Varchar(length=20)
    reference_number = Varchar(length=100, null=True, default=None)
    made_by = Varchar(length=10, default=MadeBy.network.value)
    appeal_of = UUID(null=True, default=None, index=True)
    #: Closed with an outcome (an answer's outcome list), when the team says it is done.
    closed_at = Date(null=True, default=None)
    closing_outcome = Varchar(length=30, null=True, default=None)
    recorded_by = ForeignKey(references=Member, on_delete=OnDelete.restrict)
    custody_seq = Integer()
    created_at = Timestamptz(default=TimestamptzNow())
    #: When the case's team was reminded that the answer is due soon, and that it is overdue: the
    #: need for each reminder is these rows (``referrals.reminders``), found by the queue's sweep.
    reminded_soon_at = Date(null=True, default=None)
    reminded_overdue_at = Date(null=True, default=None)


class ReferralAnswer(Table, tablename="referral_answer"):
    """What the institution answered, and when; its text sealed with the case's key."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    referral = ForeignKey(references=Referral, on_delete=OnDelete.cascade, index=True)
    received_at = Date()
    outcome = Varchar(length=30)
    text_sealed = Bytea(null=True, default=None)
    recorded_by = ForeignKey(references=Member, on_delete=OnDelete.restrict)
    custody_seq = Integer()
    created_at = Timestamptz(default=TimestamptzNow())


class Reply(Table, tablename="case_reply"):
    """A named person or institution asked to comment on the case (the right of reply): when and
    how, by when a reply was asked for, and the reply (its text sealed with the case's key) or that
    none came."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    actor = ForeignKey(references=Actor, on_delete=OnDelete.restrict, index=True)
    asked_at = Date()
    channel = Varchar(length=20)
    reply_by = Date(null=True, default=None)
    received_at = Date(null=True, default=None)
    text_sealed = Bytea(null=True, default=None)
    recorded_by = ForeignKey(references=Member, on_delete=OnDelete.restrict)
    custody_seq = Integer()
    created_at = Timestamptz(default=TimestamptzNow())
