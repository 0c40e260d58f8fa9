"""What the publication (review team) API accepts and returns (API.md "Publication")."""

from __future__ import annotations

import datetime
import uuid

import msgspec

from integrity.publication.public_schemas import PublicReferral, PublicReply
from integrity.publication.tables import CheckState, Decision, TakedownReason


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    attachment_id: uuid.UUID
    decision: Decision


class DraftIn(msgspec.Struct, forbid_unknown_fields=True):
    public_title: str
    public_summary: str
    public_body: str
    public_actor_ids: list[uuid.UUID] = msgspec.field(default_factory=list)
    attachments: list[DecisionIn] = msgspec.field(default_factory=list)
    #: Publish the incident date less precisely than the case has it ("year" or "month"); null
    #: publishes it as the member gave it.
    incident_date_precision: str | None = None
    #: The case's referrals and replies to show with it (``referrals.public``).
    public_referral_ids: list[uuid.UUID] = msgspec.field(default_factory=list)
    public_reply_ids: list[uuid.UUID] = msgspec.field(default_factory=list)


class BoxOut(msgspec.Struct):
    """A rectangle on a page, in fractions of the page from its top-left corner."""

    x: float
    y: float
    width: float
    height: float


class FindingOut(msgspec.Struct):
    #: The text field (public_title, public_summary, public_body, public_actor_ids) or "file".
    field: str
    #: For a file: which one, the page (from 1), where on it, and what read it ("ocr", "text_layer").
    attachment_id: uuid.UUID | None
    page: int | None
    box: BoxOut | None
    source: str | None
    #: The text the match is in ("public_body", "actor:<id>", "file:<id>").
    location: str
    #: The protected actor named, or null when it is the member who filed the case.
    actor_id: uuid.UUID | None
    #: Where in that text (for a file: in the page's words joined by spaces and line breaks).
    start: int
    end: int
    #: The text around the match with every protected name masked.
    excerpt: str


class LeakCheckOut(msgspec.Struct):
    #: True only when nothing was found and every file to be published was read.
    ok: bool
    findings: list[FindingOut]
    #: Files still waiting to be read (approval waits for them) and files that could not be read.
    pending: list[uuid.UUID] = []
    failed: list[uuid.UUID] = []


class DecisionOut(msgspec.Struct):
    attachment_id: uuid.UUID
    decision: Decision | None
    rendition_id: uuid.UUID | None
    content_type: str
    #: The leak check's reading of the copy to be published: pending, running, done or failed.
    check_state: CheckState | None = None
    pages: int | None = None
    checked_pages: int | None = None
    #: Why the reading failed (a code: ocr_unavailable, processing_timeout, ...).
    check_problem: str | None = None


class BlockerOut(msgspec.Struct):
    """One thing that stands between a draft and approval: `code` is no_draft, texts_missing,
    file_undecided, file_without_copy, file_check_pending, file_check_failed or protected_name;
    `attachment_id` names the file and `location` where a protected name was found, when the
    blocker is about one."""

    code: str
    detail: str
    attachment_id: uuid.UUID | None = None
    location: str | None = None


class DraftOut(msgspec.Struct):
    public_title: str
    public_summary: str
    public_body: str
    public_actor_ids: list[uuid.UUID]
    attachments: list[DecisionOut]
    leak_check: LeakCheckOut
    #: What still stands between this draft and approval (empty when it is complete), in words.
    missing: list[str]
    updated_at: datetime.datetime | None
    #: The same, one structured entry each: what the pages show, and what approval checks.
    blockers: list[BlockerOut] = []
    #: The incident date's precision the draft publishes, if coarser than the case's.
    incident_date_precision: str | None = None
    #: In the answer to a save: what the change voided, "approval" (the case is back to verified)
    #: or "correction" (the proposed correction was dropped); None otherwise.
    voided: str | None = None
    public_referral_ids: list[uuid.UUID] = []
    public_reply_ids: list[uuid.UUID] = []


class BoxIn(msgspec.Struct, forbid_unknown_fields=True):
    page: int
    x: float
    y: float
    width: float
    height: float


class RedactionIn(msgspec.Struct, forbid_unknown_fields=True):
    boxes: list[BoxIn]


class RenditionOut(msgspec.Struct):
    id: uuid.UUID
    content_type: str
    size: int
    sha256: str
    pages: int
    kind: str


class CopyPendingOut(msgspec.Struct):
    """A copy still being made by the job queue (a long file): it appears on the file's redaction
    page and in the draft when done."""

    id: uuid.UUID
    attachment_id: uuid.UUID
    state: str


class PublicFileOut(msgspec.Struct):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    custody_seq: int
    source_seq: int


class PublicActorOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    kind: str
    role: str
    #: The shared record's other names, published with it (and read by the leak check).
    aliases: list[str] = msgspec.field(default_factory=list)


class PreviewOut(msgspec.Struct):
    """The public case file exactly as publishing would show it (API.md "Public" shape)."""

    reference: str
    revision: int
    title: str
    summary: str
    body: str
    municipality: str
    categories: list[str]
    #: As the public will read it: "2026", "2026-03" or "2026-03-17".
    incident_date: str
    actors: list[PublicActorOut]
    files: list[PublicFileOut]
    published_at: datetime.datetime | None
    corrections: list[dict[str, object]]
    retraction: dict[str, object] | None = None
    incident_date_precision: str = "day"
    #: True when this is what the public reads now (nothing changed since the latest revision);
    #: then ``revision`` is that revision's number, else the number a publication would get.
    current: bool = False
    #: The referrals and replies the draft shows, as the public would read them today.
    referrals: list[PublicReferral] = msgspec.field(default_factory=list)
    replies: list[PublicReply] = msgspec.field(default_factory=list)


class TakedownIn(msgspec.Struct, forbid_unknown_fields=True):
    #: The revision to withdraw (from 1), or whose file to withdraw.
    revision: int
    reason_category: TakedownReason
    #: The original whose published copy is withdrawn; absent withdraws the whole revision.
    attachment_id: uuid.UUID | None = None


class TakedownOut(msgspec.Struct):
    id: uuid.UUID
    #: "pending" until another editor confirms it, then "confirmed".
    status: str
    revision: int
    attachment_id: uuid.UUID | None
    reason_category: str
    #: The editor who asked (another must confirm) and when.
    proposed_by: uuid.UUID
    proposed_at: datetime.datetime


class NameSearchIn(msgspec.Struct, forbid_unknown_fields=True):
    #: The name to look for (any form of it is found: declined, either script, disguised).
    name: str


class NameSearchOut(msgspec.Struct):
    #: Proposed redaction boxes around every place the name was found, page by page.
    boxes: list[BoxIn]
    #: True while the file's pages are still being read (OCR): only its text layer was searched.
    reading: bool
    pages: int
    checked_pages: int
