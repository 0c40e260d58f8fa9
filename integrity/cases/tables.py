"""Tables of the cases domain: cases, actors, attachments, status transitions, references."""

from __future__ import annotations

import enum
import uuid
from collections.abc import AsyncIterator
from typing import Any, Protocol

from piccolo.columns import (
    UUID,
    BigInt,
    Boolean,
    Bytea,
    Column,
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
from piccolo.query import Select, Update
from piccolo.table import Table

from integrity.accounts.tables import Member
from integrity.vault.references import KeyRewrap, register_reference_source


class CaseStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    in_review = "in_review"
    needs_info = "needs_info"
    verified = "verified"
    approved = "approved"
    published = "published"
    rejected = "rejected"
    withdrawn = "withdrawn"
    retracted = "retracted"


class DatePrecision(enum.StrEnum):
    day = "day"
    month = "month"
    year = "year"


class ActorKind(enum.StrEnum):
    person = "person"
    institution = "institution"
    company = "company"
    party = "party"
    media = "media"


class ActorRole(enum.StrEnum):
    alleged_perpetrator = "alleged_perpetrator"
    affected_person = "affected_person"
    witness = "witness"
    institution_involved = "institution_involved"
    source = "source"


class Case(Table, tablename="case_file"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    reference = Varchar(length=20, unique=True, index=True)
    status = Varchar(length=20, choices=CaseStatus, default=CaseStatus.draft.value, index=True)
    #: Who filed the case, as only the running platform can tell (``cases.filers``): a keyed hash of
    #: the member's id (``Signer.filer_tag``) for "my cases" and access checks, and the id sealed
    #: with the case's key for what must reach the member (notifications, the team's view).
    submitter_tag = Varchar(length=64, index=True, null=True, default=None)
    submitter_sealed = Bytea(null=True, default=None)
    #: Before the two above: the member's id in clear. Emptied at start (``cases.filers.backfill``).
    submitter = ForeignKey(references=Member, on_delete=OnDelete.restrict, index=True)
    #: The case's own data key, wrapped by the key ring; it seals every private text of the case.
    wrapped_key = Bytea()
    key_id = Varchar(length=64)
    title_sealed = Bytea()
    narrative_sealed = Bytea()
    location_sealed = Bytea(null=True, default=None)
    incident_date = Date()
    incident_date_precision = Varchar(length=5, choices=DatePrecision, default=DatePrecision.day.value)
    municipality = Varchar(length=60, index=True)
    sensitivity = Varchar(length=10, default="normal")
    assigned_reviewer = ForeignKey(
        references=Member, on_delete=OnDelete.set_null, null=True, default=None, index=True
    )
    #: Who verified the case: approval needs an editor other than them (four eyes).
    verified_by = ForeignKey(references=Member, on_delete=OnDelete.restrict, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    submitted_at = Timestamptz(null=True, default=None)
    #: The signed receipt handed out on submission (canonical JSON payload, signature, key id).
    receipt_payload = Text(null=True, default=None)
    receipt_signature = Varchar(length=200, null=True, default=None)
    receipt_key_id = Varchar(length=32, null=True, default=None)


class CaseCategory(Table, tablename="case_category"):
    id: Serial
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    code = Varchar(length=40, index=True)


class Actor(Table, tablename="actor"):
    """A person or institution. Shared actors have a clear name; a protected actor created in a case
    belongs to that case alone (`owner_case`) and its name and aliases are sealed with its key."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    kind = Varchar(length=20, choices=ActorKind)
    name = Varchar(length=200, null=True, default=None)
    aliases = Text(default="[]")
    name_sealed = Bytea(null=True, default=None)
    aliases_sealed = Bytea(null=True, default=None)
    owner_case = ForeignKey(references=Case, on_delete=OnDelete.cascade, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    #: An institution's number in the official register (matični broj), where it has one.
    registry_number = Varchar(length=20, null=True, default=None, index=True)


class CaseActor(Table, tablename="case_actor"):
    id: Serial
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    actor = ForeignKey(references=Actor, on_delete=OnDelete.restrict, index=True)
    role = Varchar(length=30, choices=ActorRole)
    protect_identity = Boolean(default=False)
    #: The name and aliases as this case's member typed them for a shared actor, sealed with the
    #: case's key: what one member typed never reaches another member's case (``cases.actors``).
    name_sealed = Bytea(null=True, default=None)
    aliases_sealed = Bytea(null=True, default=None)


class Attachment(Table, tablename="attachment"):
    id = UUID(primary_key=True, default=uuid.uuid4)
    case = ForeignKey(references=Case, on_delete=OnDelete.restrict, index=True)
    blob_id = Varchar(length=32, unique=True)
    wrapped_key = Bytea()
    key_id = Varchar(length=64)
    size = BigInt()
    sha256 = Varchar(length=64)
    content_type = Varchar(length=100)
    filename_sealed = Bytea()
    #: Always the case's submitter; before ``cases.filers`` it was kept in clear. Emptied at start.
    uploader = ForeignKey(references=Member, on_delete=OnDelete.restrict)
    uploaded_at = Timestamptz(default=TimestamptzNow())
    #: The custody entry that recorded the upload of exactly these bytes.
    custody_seq = BigInt()
    #: The kinds of identifying metadata the original carries (``redaction.metadata``), sealed: a
    #: JSON list such as ["location", "camera"], shown to the member who uploaded it.
    carried_sealed = Bytea(null=True, default=None)
    #: The salt of the public commitment to ``sha256`` (``custody.commit_sha256``), sealed with the
    #: case's key: custody entries that may become public commit to the original's hash instead of
    #: showing it; the member gets the salt with the receipt, to prove the file to a court.
    sha256_salt_sealed = Bytea(null=True, default=None)
    #: Which blob this row holds, sealed to the row (``cases.blobs``); None for rows made before.
    blob_binding_sealed = Bytea(null=True, default=None)
    #: True once the material is frozen (on submission, or on provide_info for answers).
    frozen = Boolean(default=False)
    #: A document the review team added to one of the case's referrals (``integrity.referrals``):
    #: the referral, the answer it came with, and its role (``DocumentRole``). None for evidence
    #: the member filed. Only the review team sees these.
    referral_id = UUID(null=True, default=None, index=True)
    referral_answer_id = UUID(null=True, default=None)
    document_role = Varchar(length=20, null=True, default=None)
    #: When the original was shredded under its published case's retention class
    #: (``preservation.retention``): its wrapped key is destroyed (emptied) and its object removed;
    #: the row stays, for the published copies made from it and the record of what was filed.
    shredded_at = Timestamptz(null=True, default=None)


class Transition(Table, tablename="case_transition"):
    id: Serial
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    from_status = Varchar(length=20)
    to_status = Varchar(length=20)
    action = Varchar(length=30)
    #: The review team member who took the step; None for the platform, and for the submitter
    #: (``by_submitter``: the case's submitter is never stored in clear).
    actor = ForeignKey(references=Member, on_delete=OnDelete.restrict, null=True, default=None)
    by_submitter = Boolean(default=False)
    reason_sealed = Bytea(null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())
    custody_seq = BigInt()


class CommentKind(enum.StrEnum):
    note = "note"
    request = "request"
    answer = "answer"


class Comment(Table, tablename="case_comment"):
    """An internal note (review team only), a request for information, or the submitter's answer."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    #: A review team member; None when the case's submitter wrote it (``by_submitter``).
    author = ForeignKey(references=Member, on_delete=OnDelete.restrict)
    by_submitter = Boolean(default=False)
    kind = Varchar(length=10, choices=CommentKind)
    body_sealed = Bytea()
    created_at = Timestamptz(default=TimestamptzNow())
    custody_seq = BigInt()


class Conflict(Table, tablename="case_conflict"):
    """A review-team member's declared conflict of interest: they may no longer work on the case."""

    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    member = ForeignKey(references=Member, on_delete=OnDelete.restrict, index=True)
    declared_at = Timestamptz(default=TimestamptzNow())
    custody_seq = BigInt()


class IdempotentUpload(Table, tablename="idempotent_upload"):
    """An upload made with an `Idempotency-Key`: a retry with the same key and files gets the same
    answer and stores nothing; the same key with other files is refused."""

    #: SHA-256 of member, case and key: the key itself is the client's and is not kept.
    key_hash = Varchar(length=64, unique=True)
    #: SHA-256 over the files sent (name and content hash of each, in order).
    files_digest = Varchar(length=64)
    #: JSON list of the attachment ids the upload created.
    attachment_ids = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class CaseReferenceCounter(Table, tablename="case_reference_counter"):
    year = Integer(unique=True)
    last = Integer(default=0)


class FormDraft(Table, tablename="case_form_draft"):
    """What a member is writing in the case form, saved as they write (``cases.autosave``) so that
    an ended session or a closed tab loses nothing: sealed under a key of its own, and addressed by
    the member's filer tag (``Signer.filer_tag``), never by their id."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    owner_tag = Varchar(length=64, index=True)
    #: The draft case being edited; none for a case not yet filed.
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, null=True, default=None, index=True)
    wrapped_key = Bytea()
    key_id = Varchar(length=64)
    #: The form's fields as JSON pairs ``[[name, value], ...]``, sealed.
    fields_sealed = Bytea()
    saved_at = Timestamptz(default=TimestamptzNow())


class DataKeyTable(Protocol):
    """A table class whose rows each carry a wrapped data key (`Case`, `Attachment`, `Rendition`)."""

    id: UUID
    wrapped_key: Bytea
    key_id: Varchar

    def select(self, *columns: Column) -> Select: ...

    def update(self, values: dict[Column | str, Any]) -> Update: ...


async def rewrap_rows(table: DataKeyTable, rewrap: KeyRewrap) -> int:
    """Re-wrap the data key of every row of `table` (rows with `id`, `wrapped_key`, `key_id`)."""
    changed = 0
    for row in await table.select(table.id, table.wrapped_key, table.key_id):
        if not row["wrapped_key"]:
            continue  # destroyed when the row's original was shredded: nothing to re-wrap
        wrapped, key_id = rewrap(bytes(row["wrapped_key"]), row["key_id"])
        if key_id != row["key_id"]:
            await table.update({table.wrapped_key: wrapped, table.key_id: key_id}).where(
                table.id == row["id"]
            )
            changed += 1
    return changed


class _CaseKeys:
    """Case data keys for `integrity keys rotate`; cases hold no blobs themselves."""

    async def referenced_blob_ids(self) -> AsyncIterator[str]:
        return
        yield  # an async generator that yields nothing

    async def rewrap_keys(self, rewrap: KeyRewrap) -> int:
        return await rewrap_rows(Case, rewrap)


class _AttachmentBlobs:
    """Attachment blobs for `integrity reconcile` and their data keys for `integrity keys rotate`."""

    async def referenced_blob_ids(self) -> AsyncIterator[str]:
        # A shredded original holds no blob: whatever of it is left in the store is removed.
        for row in await Attachment.select(Attachment.blob_id).where(Attachment.shredded_at.is_null()):
            yield row["blob_id"]

    async def rewrap_keys(self, rewrap: KeyRewrap) -> int:
        return await rewrap_rows(Attachment, rewrap)


class _FormDraftKeys:
    """The keys of forms saved while being written, for `integrity keys rotate`."""

    async def referenced_blob_ids(self) -> AsyncIterator[str]:
        return
        yield  # an async generator that yields nothing

    async def rewrap_keys(self, rewrap: KeyRewrap) -> int:
        return await rewrap_rows(FormDraft, rewrap)


register_reference_source("cases.case_keys", _CaseKeys())
register_reference_source("cases.form_drafts", _FormDraftKeys())
register_reference_source("cases.attachments", _AttachmentBlobs())


class SupplementReceipt(Table, tablename="case_supplement_receipt"):
    """The signed receipt of what a member sent in answer to a request for information: the files
    added while answering and the answers' hashes (``cases.submission.sign_supplement``)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    case = ForeignKey(references=Case, on_delete=OnDelete.cascade, index=True)
    payload = Text()
    signature = Varchar(length=200)
    key_id = Varchar(length=32)
    created_at = Timestamptz(default=TimestamptzNow())
