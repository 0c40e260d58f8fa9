"""What the cases API accepts and returns (API.md "Cases")."""

from __future__ import annotations

import datetime
import enum
import uuid

import msgspec

from integrity.cases.tables import ActorKind, ActorRole, CaseStatus, CommentKind, DatePrecision


class ActorIn(msgspec.Struct, forbid_unknown_fields=True):
    """A new actor (`name`, `kind`) or an existing shared one (`actor_id`), with its role here."""

    role: ActorRole
    name: str | None = None
    kind: ActorKind | None = None
    actor_id: uuid.UUID | None = None
    protect_identity: bool = False
    aliases: list[str] = msgspec.field(default_factory=list)


class CaseIn(msgspec.Struct, forbid_unknown_fields=True):
    title: str
    narrative: str
    incident_date: datetime.date
    municipality: str
    categories: list[str]
    incident_date_precision: DatePrecision = DatePrecision.day
    location_detail: str | None = None
    actors: list[ActorIn] = msgspec.field(default_factory=list)


class CaseUpdate(msgspec.Struct, forbid_unknown_fields=True):
    title: str | None = None
    narrative: str | None = None
    incident_date: datetime.date | None = None
    incident_date_precision: DatePrecision | None = None
    municipality: str | None = None
    categories: list[str] | None = None
    location_detail: str | None = None
    actors: list[ActorIn] | None = None


class ActorOut(msgspec.Struct):
    actor_id: uuid.UUID
    name: str
    kind: ActorKind
    role: ActorRole
    protect_identity: bool
    aliases: list[str]
    #: Linked to a shared actor record by the review team (or named by a shared record's id): one
    #: a published case may show. False for an actor of this case alone, as every actor a member
    #: types starts.
    shared: bool = False
    #: The shared record's name, for the review team only (what the member typed is ``name``).
    shared_name: str | None = None


class AttachmentOut(msgspec.Struct):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime.datetime
    custody_seq: int
    frozen: bool
    #: What identifying metadata the file carries ("location", "camera", "taken", "author"); the
    #: public copy never carries any.
    carries: list[str] = msgspec.field(default_factory=list)
    #: A document of one of the case's referrals (and of one of its answers), added by the review
    #: team, with its role: only the review team sees these.
    referral_id: uuid.UUID | None = None
    referral_answer_id: uuid.UUID | None = None
    document_role: str | None = None
    #: When the original was shredded under its published case's retention: it can no longer be
    #: downloaded or copied (410 ``file_shredded``); its published copies remain.
    shredded_at: datetime.datetime | None = None


class TransitionOut(msgspec.Struct):
    from_status: CaseStatus
    to_status: CaseStatus
    action: str
    at: datetime.datetime
    by_me: bool
    reason: str | None = None


class CommentOut(msgspec.Struct):
    id: uuid.UUID
    kind: CommentKind
    body: str
    created_at: datetime.datetime
    by_me: bool
    from_submitter: bool
    #: Shown to the review team; the submitter sees the team's comments without names.
    author_name: str | None


class CommentIn(msgspec.Struct, forbid_unknown_fields=True):
    body: str
    kind: CommentKind


class AssignmentIn(msgspec.Struct, forbid_unknown_fields=True):
    reviewer_id: uuid.UUID


class ConflictIn(msgspec.Struct, forbid_unknown_fields=True):
    #: An editor records another team member's conflict; without it, the caller declares their own.
    member_id: uuid.UUID | None = None


class ConflictOut(msgspec.Struct):
    case_id: uuid.UUID
    declared_at: datetime.datetime
    member_id: uuid.UUID | None = None


class SubmitterOut(msgspec.Struct):
    id: uuid.UUID
    display_name: str
    profession: str


class CaseOut(msgspec.Struct):
    id: uuid.UUID
    reference: str
    status: CaseStatus
    title: str
    narrative: str
    location_detail: str | None
    incident_date: datetime.date
    incident_date_precision: DatePrecision
    municipality: str
    categories: list[str]
    actors: list[ActorOut]
    attachments: list[AttachmentOut]
    transitions: list[TransitionOut]
    actions: list[str]
    comments: list[CommentOut]
    conflict_declared: bool
    verified_by_id: uuid.UUID | None
    submitter: SubmitterOut
    created_at: datetime.datetime
    updated_at: datetime.datetime
    submitted_at: datetime.datetime | None
    assigned_reviewer_id: uuid.UUID | None


class CaseSort(enum.StrEnum):
    """The order of a case list: newest or oldest filed first, last changed first, or waiting
    longest first (the longest since its last change)."""

    newest = "newest"
    oldest = "oldest"
    changed = "changed"
    waiting = "waiting"


class CaseSummaryOut(msgspec.Struct):
    id: uuid.UUID
    reference: str
    status: CaseStatus
    title: str
    municipality: str
    categories: list[str]
    incident_date: datetime.date
    created_at: datetime.datetime
    submitted_at: datetime.datetime | None
    assigned_reviewer_id: uuid.UUID | None
    #: How exactly the member knows the date (``day``, ``month``, ``year``).
    incident_date_precision: str = "day"
    #: The last change (a step, an assignment, an edit): how long it has been waiting since.
    updated_at: datetime.datetime | None = None
    #: In a "waiting for me" list: what the caller is to do (``triage``, ``review``, ``approve``,
    #: ``publish``, ``confirm_correction``, ``confirm_retraction``, ``confirm_takedown``).
    waiting: str | None = None


class CasePage(msgspec.Struct):
    items: list[CaseSummaryOut]
    total: int
    page: int
    page_size: int


class ReceiptOut(msgspec.Struct):
    payload: str
    signature: str
    key_id: str


class SubmittedOut(msgspec.Struct):
    case: CaseOut
    receipt: ReceiptOut


class TransitionIn(msgspec.Struct, forbid_unknown_fields=True):
    action: str
    reason: str | None = None


class MunicipalityOut(msgspec.Struct):
    code: str
    name_latn: str
    name_cyrl: str
    district: str | None
    kind: str
    parent: str | None


class CategoryOut(msgspec.Struct):
    code: str
    name_latn: str
    name_cyrl: str
    name_en: str
    description_latn: str
    description_cyrl: str
    description_en: str
