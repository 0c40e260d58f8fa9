"""Tables of the publication domain: drafts, renditions, and the immutable published revisions.

Drafts are sealed with the case's key until published; published revisions hold only public text,
stored in the clear (it is public), and never change: a correction adds a revision.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import AsyncIterator

from piccolo.columns import (
    UUID,
    BigInt,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from integrity.accounts.tables import Member
from integrity.cases.tables import Attachment, Case, rewrap_rows
from integrity.vault.references import KeyRewrap, register_reference_source


class Decision(enum.StrEnum):
    withhold = "withhold"
    publish_redacted = "publish_redacted"
    publish_as_filed = "publish_as_filed"


class PublicationDraft(Table, tablename="publication_draft"):
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, unique=True, index=True)
    title_sealed = Bytea()
    summary_sealed = Bytea()
    body_sealed = Bytea()
    #: JSON list of actor ids shown publicly (never protected ones).
    public_actor_ids = Text(default="[]")
    #: The case's referrals and replies the public version shows (``referrals.public``).
    public_referral_ids = Text(default="[]")
    public_reply_ids = Text(default="[]")
    updated_at = Timestamptz(default=TimestamptzNow())
    #: Whoever last changed the texts, the decisions or a copy to publish (may not approve it).
    updated_by = ForeignKey(references=Member, on_delete=OnDelete.restrict)
    #: What the approving editor saw (``drafts.draft_digest``): publishing anything else is refused.
    approved_digest = Varchar(length=64, null=True, default=None)
    #: The incident date's precision to publish, when coarser than the case's ("year", "month").
    incident_date_precision = Varchar(length=5, null=True, default=None)


class CheckState(enum.StrEnum):
    """Where a rendition's reading for the leak check stands (see ``publication.filecheck``)."""

    #: Waiting for the job queue (set when the rendition is made, and again for work lost with a process).
    pending = "pending"
    running = "running"
    done = "done"
    #: It could not be read (no Tesseract, a file that crashes the reader): it cannot be approved.
    failed = "failed"


class Rendition(Table, tablename="rendition"):
    """A copy of an attachment made for publication (redacted, or cleaned of metadata)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    attachment = ForeignKey(references=Attachment, on_delete=OnDelete.restrict, index=True)
    #: "redacted" (boxes burned in) or "cleaned" (re-encoded, no boxes).
    kind = Varchar(length=10)
    blob_id = Varchar(length=32, unique=True)
    wrapped_key = Bytea()
    key_id = Varchar(length=64)
    size = BigInt()
    sha256 = Varchar(length=64)
    content_type = Varchar(length=100)
    extension = Varchar(length=10)
    pages = Integer(default=1)
    #: JSON of the boxes drawn (fractions of the page), for the record.
    boxes = Text(default="[]")
    created_by = ForeignKey(references=Member, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
    #: The custody entry that recorded the creation of exactly these bytes.
    custody_seq = BigInt()
    #: The leak check's reading of the copy (OCR of every page, the original's text layer outside
    #: the boxes): its state, pages read so far, when a worker took it, why it failed (a code).
    check_state = Varchar(length=10, default=CheckState.pending, choices=CheckState, index=True)
    checked_pages = Integer(default=0)
    check_claimed_at = Timestamptz(null=True, default=None)
    check_problem = Varchar(length=40, null=True, default=None)
    #: The words read, with their boxes (JSON), sealed with the case's key: they are evidence.
    check_sealed = Bytea(null=True, default=None)
    #: Which blob this row holds, sealed to the row (``cases.blobs``); None for rows made before.
    blob_binding_sealed = Bytea(null=True, default=None)


class CopyRequest(Table, tablename="copy_request"):
    """A copy of a file to be made by the job queue (``publication.copies``): a redaction with its
    boxes, or the cleaned copy "publish as filed" publishes. The need for the work is this row:
    ``pending`` until a job claims it (``running``, with a heartbeat), then ``done`` with the copy
    made, or ``failed`` with the error's code and message (our own wording, never the file's)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    attachment = ForeignKey(references=Attachment, on_delete=OnDelete.cascade, index=True, null=False)
    #: "redacted" or "cleaned", as ``Rendition.kind``.
    kind = Varchar(length=10)
    #: The boxes, as ``Rendition.boxes`` (positions only).
    boxes = Text(default="[]")
    requested_by = ForeignKey(references=Member, on_delete=OnDelete.restrict, null=False)
    state = Varchar(length=10, default=CheckState.pending, choices=CheckState, index=True)
    claimed_at = Timestamptz(null=True, default=None)
    problem = Varchar(length=40, null=True, default=None)
    problem_status = Integer(null=True, default=None)
    problem_detail = Varchar(length=300, null=True, default=None)
    rendition = ForeignKey(references=Rendition, on_delete=OnDelete.set_null, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class AttachmentDecision(Table, tablename="attachment_decision"):
    id: Serial
    attachment = ForeignKey(references=Attachment, on_delete=OnDelete.cascade, unique=True, index=True)
    decision = Varchar(length=20, choices=Decision)
    #: The rendition to publish (the latest redaction, or the cleaned copy when "as filed").
    rendition = ForeignKey(references=Rendition, on_delete=OnDelete.set_null, null=True, default=None)


class ProposalKind(enum.StrEnum):
    correction = "correction"
    retraction = "retraction"


class PublicChangeProposal(Table, tablename="public_change_proposal"):
    """A correction or retraction one editor proposed and another must confirm (four eyes on every
    public change); at most one per case, replaced by a newer proposal. The public sees nothing of
    it until it is confirmed."""

    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, unique=True, index=True, null=False)
    kind = Varchar(length=12, choices=ProposalKind)
    #: The public note to be, sealed with the case's key until it is published.
    reason_sealed = Bytea()
    #: For a correction: the draft it publishes (``drafts.draft_digest``); confirming anything else
    #: is refused.
    draft_digest = Varchar(length=64, null=True, default=None)
    proposed_by = ForeignKey(references=Member, on_delete=OnDelete.restrict, null=False)
    proposed_at = Timestamptz(default=TimestamptzNow())


class PublicCase(Table, tablename="public_case"):
    """One row per published case: where its revisions hang, and whether it was retracted."""

    id: Serial
    case = ForeignKey(references=Case, on_delete=OnDelete.restrict, unique=True, index=True)
    reference = Varchar(length=20, unique=True, index=True)
    latest_revision = Integer(default=1)
    first_published_at = Timestamptz(default=TimestamptzNow())
    #: When anything public about the case last changed; the newest is every public answer's Last-Modified.
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)
    retracted = Boolean(default=False)
    retraction_note = Text(null=True, default=None)
    retracted_at = Timestamptz(null=True, default=None)


class PublishedRevision(Table, tablename="published_revision"):
    """An immutable public revision of a case file."""

    id: Serial
    public_case = ForeignKey(references=PublicCase, on_delete=OnDelete.restrict, index=True)
    reference = Varchar(length=20, index=True)
    revision = Integer()
    title = Text()
    summary = Text()
    body = Text()
    municipality = Varchar(length=60, index=True)
    district = Varchar(length=60, null=True, default=None, index=True)
    #: JSON list of category codes.
    categories = Text(default="[]")
    incident_date = Date()
    incident_date_precision = Varchar(length=5)
    #: JSON list of public actors: [{id, name, kind, role}].
    actors = Text(default="[]")
    #: The referrals and replies shown, as approved (``referrals.public.snapshot``).
    referrals = Text(default="[]")
    replies = Text(default="[]")
    published_at = Timestamptz(default=TimestamptzNow())
    #: The public note of a correction (revision 2 and later).
    correction_note = Text(null=True, default=None)
    #: Title, summary, body and actor names folded (script, case, diacritics) for search.
    search_text = Text(default="")
    is_current = Boolean(default=True, index=True)
    #: A confirmed takedown withdrew the revision: its text and files answer 410 with a tombstone.
    withdrawn_at = Timestamptz(null=True, default=None)
    withdrawal_reason = Varchar(length=20, null=True, default=None)


class PublishedFile(Table, tablename="published_file"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    revision = ForeignKey(references=PublishedRevision, on_delete=OnDelete.restrict, index=True)
    rendition = ForeignKey(references=Rendition, on_delete=OnDelete.restrict)
    #: A neutral public name (the reference and a number); never the filed name.
    filename = Varchar(length=100)
    content_type = Varchar(length=100)
    size = BigInt()
    #: Indexed for /verify, which looks files up by their hash.
    sha256 = Varchar(length=64, index=True)
    custody_seq = BigInt()
    source_seq = BigInt()
    #: A confirmed takedown withdrew this file (or its whole revision).
    withdrawn_at = Timestamptz(null=True, default=None)
    withdrawal_reason = Varchar(length=20, null=True, default=None)


class TakedownReason(enum.StrEnum):
    """Why something published was withdrawn: the only thing its tombstone says besides the date."""

    court_order = "court_order"
    safety = "safety"
    privacy = "privacy"
    error = "error"
    other = "other"


class TakedownStatus(enum.StrEnum):
    pending = "pending"
    confirmed = "confirmed"


class Takedown(Table, tablename="takedown"):
    """One editor asks to withdraw a published revision (or one file of it); another confirms."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True, null=False)
    revision = Integer()
    #: The original the withdrawn file was made from; null withdraws the whole revision.
    attachment = UUID(null=True, default=None)
    reason_category = Varchar(length=20, choices=TakedownReason)
    status = Varchar(length=10, choices=TakedownStatus, default=TakedownStatus.pending)
    proposed_by = ForeignKey(references=Member, on_delete=OnDelete.restrict, null=False)
    proposed_at = Timestamptz(default=TimestamptzNow())
    confirmed_by = ForeignKey(references=Member, on_delete=OnDelete.restrict, null=True, default=None)
    confirmed_at = Timestamptz(null=True, default=None)


class PublishedActor(Table, tablename="published_actor"):
    """Which shared actor appears in which current revision, for actor pages and the filter."""

    actor_id = UUID(index=True)
    revision = ForeignKey(references=PublishedRevision, on_delete=OnDelete.cascade, index=True)


class PublishedReferral(Table, tablename="published_referral"):
    """One referral (or appeal) a revision shows, for the institutions' figures and pages: what
    the revision's ``referrals`` snapshot holds, one row each, queried like ``PublishedActor``."""

    revision = ForeignKey(references=PublishedRevision, on_delete=OnDelete.cascade, index=True)
    institution = UUID(index=True)
    institution_name = Varchar(length=200)
    kind = Varchar(length=40)
    municipality = Varchar(length=60)
    sent_at = Date()
    due_at = Date()
    answered_at = Date(null=True, default=None)
    outcome = Varchar(length=30, null=True, default=None)
    closed = Boolean(default=False)


class InstitutionRanking(Table, tablename="institution_ranking"):
    """The institutions' ranking for one choice of filters (``scope``), as counted from the
    published referrals when the public side was in ``state`` (what ``public_case`` says, and the
    day: the figures say what is overdue today). A read that finds its state counts again and
    keeps the new figures (``publication.institutions``); nothing else writes it."""

    scope = Varchar(length=200, primary_key=True)
    state = Varchar(length=64)
    #: The ranking as JSON (a list of ``PublicInstitution``).
    figures = Text()


class _RenditionBlobs:
    async def referenced_blob_ids(self) -> AsyncIterator[str]:
        for row in await Rendition.select(Rendition.blob_id, Rendition.wrapped_key):
            if row["wrapped_key"]:  # an emptied key: a withdrawn copy of a shredded original
                yield row["blob_id"]

    async def rewrap_keys(self, rewrap: KeyRewrap) -> int:
        return await rewrap_rows(Rendition, rewrap)


register_reference_source("publication.renditions", _RenditionBlobs())
