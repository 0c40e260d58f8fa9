"""Evidence files: streamed uploads into the vault (all or nothing, idempotent on retry), ranged
downloads recorded in the custody log, and deletion from a draft, which shreds the file."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio

from integrity import db
from integrity.cases import workflow
from integrity.cases.access import load_case_row, require_submitter
from integrity.cases.blobs import binding_for, check_binding, stored_blob
from integrity.cases.filenames import safe_display_name
from integrity.cases.filers import filed_by
from integrity.cases.filetypes import PDF, SNIFF_BYTES, ZIP_CONTAINERS, InflationCheck, detect
from integrity.cases.schemas import (
    AttachmentOut,
)
from integrity.cases.sealing import CaseKey, case_key
from integrity.cases.service import get_case
from integrity.cases.tables import (
    Attachment,
    Case,
    IdempotentUpload,
)
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import Invalid, NotFound, TooLarge, WrongState
from integrity.faults import fault_point
from integrity.http.multipart import FormPart
from integrity.redaction.metadata import PdfAuthorScan, carried_metadata, office_metadata
from integrity.security.guards import Principal
from integrity.security.roles import REVIEW_TEAM
from integrity.vault import SealedBlob

log = logging.getLogger(__name__)


FILE_FIELD = "file"


async def _read_head(chunks: AsyncIterator[bytes]) -> bytes:
    """At least `SNIFF_BYTES` from the start of a file (less only if the file is shorter)."""
    head = bytearray()
    async for chunk in chunks:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    return bytes(head)


@dataclass
class _Stored:
    blob: SealedBlob
    content_type: str
    display_name: str
    #: The kinds of identifying metadata the original carries (``redaction.metadata``).
    carries: list[str]


def _idempotency_hash(principal: Principal, case_id: uuid.UUID, idempotency_key: str) -> str:
    if not 1 <= len(idempotency_key) <= 200 or not idempotency_key.isprintable():
        raise Invalid(
            "Idempotency-Key must be 1 to 200 printable characters",
            code="idempotency_key_invalid",
            field="idempotency_key",
        )
    return hashlib.sha256(f"{principal.id}\x00{case_id}\x00{idempotency_key}".encode()).hexdigest()


def _files_digest(files: list[tuple[str, str]]) -> str:
    """One hash over what was sent: each file's name and content hash, in order."""
    digest = hashlib.sha256()
    for filename, sha256 in files:
        digest.update(
            hashlib.sha256(filename.encode("utf-8", "surrogatepass")).digest() + bytes.fromhex(sha256)
        )
    return digest.hexdigest()


async def add_attachments(
    ctx: ServiceContext,
    principal: Principal,
    case_id: uuid.UUID,
    parts: AsyncIterator[FormPart],
    *,
    idempotency_key: str | None = None,
) -> list[AttachmentOut]:
    """Stream every `file` part into the vault, then record them all in one transaction.

    All or nothing: if any file is refused or the request breaks, the blobs already stored for it
    are deleted and no row is written. With an `idempotency_key`, a retry of a completed upload
    with the same files stores nothing and gets the same answer; other files under the same key
    are refused (422).
    """
    row = await load_case_row(principal, case_id)
    require_submitter(principal, row, "add evidence")
    key_hash = _idempotency_hash(principal, case_id, idempotency_key) if idempotency_key else None
    if key_hash is not None:
        earlier = await IdempotentUpload.select().where(IdempotentUpload.key_hash == key_hash).first()
        if earlier is not None:
            return await _replay(ctx, principal, case_id, earlier, parts)
    if not workflow.accepts_evidence(row):
        raise WrongState(
            "evidence can be added to a draft, or as part of an answer to a request for information",
            code="evidence_not_accepted",
        )
    key = case_key(ctx, row)
    stored: list[_Stored] = []
    try:
        sent = await _stream_files(ctx, parts, stored)
        idempotency = (key_hash, _files_digest(sent)) if key_hash is not None else None
        fault_point("upload.stored")
        results = await _record_attachments(ctx, principal, case_id, key, stored, idempotency)
        fault_point("upload.committed")
        return results
    except BaseException:
        await _forget(ctx, stored)
        raise


@dataclass(frozen=True)
class ReferralLink:
    """Where a document the review team adds belongs: a referral of the case (``integrity.referrals``
    checks both before a byte is stored), one of its answers, and the document's role."""

    referral_id: uuid.UUID
    role: str
    answer_id: uuid.UUID | None = None


async def add_referral_documents(
    ctx: ServiceContext,
    principal: Principal,
    case_id: uuid.UUID,
    key: CaseKey,
    parts: AsyncIterator[FormPart],
    link: ReferralLink,
) -> list[AttachmentOut]:
    """Documents of a referral (the letter sent, the proof of delivery, the answer), streamed into
    the vault and recorded as the case's evidence exactly as a member's files are: sealed, bound to
    their rows, each a custody entry, frozen at once (nothing recorded about an institution is
    deleted). All or nothing, as for the member's files. The caller has checked who may."""
    stored: list[_Stored] = []
    try:
        await _stream_files(ctx, parts, stored)
        return await _record_attachments(ctx, principal, case_id, key, stored, link=link)
    except BaseException:
        await _forget(ctx, stored)
        raise


async def _forget(ctx: ServiceContext, stored: list[_Stored]) -> None:
    """The blobs of a refused or broken upload: deleted, whatever else happens."""
    with anyio.CancelScope(shield=True):
        for item in stored:
            with contextlib.suppress(Exception):
                await ctx.vault.delete(item.blob)


async def _stream_files(
    ctx: ServiceContext, parts: AsyncIterator[FormPart], stored: list[_Stored]
) -> list[tuple[str, str]]:
    """Every `file` part into the vault, each added to ``stored`` as soon as it is there (so the
    caller can delete them all if anything later fails); (the name sent, SHA-256) of each."""
    sent: list[tuple[str, str]] = []
    async for part in parts:
        # A form's empty file input arrives with an empty filename: nothing was chosen.
        if part.name != FILE_FIELD or not part.filename:
            await part.skip()
            continue
        chunks = part.chunks()
        head = await _read_head(chunks)
        detected = detect(head)
        # A bounded scan of the EXIF directory, no decoder: it runs here.
        carries = carried_metadata(head, detected.mime)
        stream = _rest(head, chunks)
        inflation = InflationCheck() if detected in ZIP_CONTAINERS else None
        author = PdfAuthorScan() if detected == PDF else None
        if inflation is not None:
            stream = _inflation_checked(stream, inflation)
        elif author is not None:
            stream = _watched(stream, author)
        blob = await ctx.vault.put(stream, original=True)
        # Who wrote a document, read as it streamed by.
        if inflation is not None:
            carries = office_metadata(inflation.metadata)
        elif author is not None:
            carries = author.carried()
        if blob.size > ctx.settings.max_upload_bytes:
            # The multipart limit already stops a stream past the limit; this guards a
            # misconfigured parser from ever recording a larger file.
            stored.append(_Stored(blob=blob, content_type=detected.mime, display_name="", carries=[]))
            raise TooLarge("the file is larger than the platform accepts", code="file_too_large")
        stored.append(
            _Stored(
                blob=blob,
                content_type=detected.mime,
                display_name=safe_display_name(part.filename, extension=detected.extension),
                carries=carries,
            )
        )
        sent.append((part.filename, blob.sha256))
    if not stored:
        raise Invalid(
            "send one or more files in multipart/form-data parts named 'file'",
            code="files_missing",
            field="file",
        )
    return sent


async def _replay(
    ctx: ServiceContext,
    principal: Principal,
    case_id: uuid.UUID,
    earlier: dict[str, Any],
    parts: AsyncIterator[FormPart],
) -> list[AttachmentOut]:
    """A retry of a completed upload: hash what was sent (storing nothing) and compare."""
    sent: list[tuple[str, str]] = []
    async for part in parts:
        if part.name != FILE_FIELD or not part.filename:
            await part.skip()
            continue
        digest = hashlib.sha256()
        async for chunk in part.chunks():
            digest.update(chunk)
        sent.append((part.filename, digest.hexdigest()))
    if _files_digest(sent) != earlier["files_digest"]:
        raise Invalid(
            "this Idempotency-Key was used for other files; use a new key for a new upload",
            code="idempotency_key_reused",
            field="idempotency_key",
        )
    ids = [uuid.UUID(value) for value in json.loads(earlier["attachment_ids"])]
    shown = {a.id: a for a in (await get_case(ctx, principal, case_id)).attachments}
    return [shown[attachment_id] for attachment_id in ids if attachment_id in shown]


async def _rest(head: bytes, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    if head:
        yield head
    async for chunk in chunks:
        yield chunk


async def _inflation_checked(chunks: AsyncIterator[bytes], check: InflationCheck) -> AsyncIterator[bytes]:
    """The chunks of an office file, each inflated and counted before it goes on (a bomb is
    refused mid-stream, and the vault drops what it had)."""
    async for chunk in chunks:
        check.feed(chunk)
        yield chunk


async def _watched(chunks: AsyncIterator[bytes], scan: PdfAuthorScan) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        scan.feed(chunk)
        yield chunk


async def _record_attachments(
    ctx: ServiceContext,
    principal: Principal,
    case_id: uuid.UUID,
    key: CaseKey,
    stored: list[_Stored],
    idempotency: tuple[str, str] | None = None,
    *,
    link: ReferralLink | None = None,
) -> list[AttachmentOut]:
    results = []
    async with db.transaction():
        await custody.lock_log()
        if idempotency is not None and await IdempotentUpload.exists().where(
            IdempotentUpload.key_hash == idempotency[0]
        ):
            # A concurrent request with the same key got here first; this one stores nothing.
            raise WrongState(
                "an upload with this Idempotency-Key has just been recorded: retry it",
                code="idempotent_upload_in_progress",
            )
        current = await Case.select(Case.status, Case.submitter_tag).where(Case.id == case_id).first()
        if current is None:
            raise NotFound("no such case", code="case_not_found")
        if link is None and not workflow.accepts_evidence(current):
            raise WrongState("the case no longer accepts evidence", code="evidence_closed")
        linked = {"referral": str(link.referral_id), "role": link.role} if link is not None else {}
        for item in stored:
            attachment_id = uuid.uuid4()
            # The entry becomes public if a copy of the file is published: it commits to the
            # original's hash (which would confirm which copy of a document was filed) with a
            # salt kept sealed, and says the day, and the member only as within this case.
            salt = secrets.token_bytes(16)
            entry = await custody.append_entry(
                ctx.signer,
                actor_id=str(principal.id),
                action="attachment.uploaded",
                subject=f"attachment:{attachment_id}",
                details={
                    "sha256_commitment": custody.commit_sha256(salt, item.blob.sha256),
                    "size": item.blob.size,
                    "content_type": item.content_type,
                    **linked,
                },
                case_scope=f"case:{case_id}",
            )
            now = datetime.datetime.now(datetime.UTC)
            await Attachment.insert(
                Attachment(
                    id=attachment_id,
                    case=case_id,
                    blob_id=item.blob.blob_id,
                    wrapped_key=item.blob.wrapped_key,
                    key_id=item.blob.key_id,
                    size=item.blob.size,
                    sha256=item.blob.sha256,
                    content_type=item.content_type,
                    filename_sealed=key.seal(f"filename:{attachment_id}", item.display_name),
                    sha256_salt_sealed=key.seal(f"salt:{attachment_id}", salt.hex()),
                    blob_binding_sealed=binding_for(key, f"attachment:{attachment_id}", item.blob),
                    carried_sealed=key.seal(f"carried:{attachment_id}", json.dumps(item.carries)),
                    uploaded_at=now,
                    custody_seq=entry.seq,
                    # The review team's documents are on record once added: never deleted.
                    frozen=link is not None,
                    referral_id=link.referral_id if link is not None else None,
                    referral_answer_id=link.answer_id if link is not None else None,
                    document_role=link.role if link is not None else None,
                )
            )
            results.append(
                AttachmentOut(
                    id=attachment_id,
                    filename=item.display_name,
                    content_type=item.content_type,
                    size=item.blob.size,
                    sha256=item.blob.sha256,
                    uploaded_at=now,
                    custody_seq=entry.seq,
                    frozen=link is not None,
                    carries=item.carries,
                    referral_id=link.referral_id if link is not None else None,
                    referral_answer_id=link.answer_id if link is not None else None,
                    document_role=link.role if link is not None else None,
                )
            )
        await Case.update({Case.updated_at: datetime.datetime.now(datetime.UTC)}).where(Case.id == case_id)
        if idempotency is not None:
            await IdempotentUpload.insert(
                IdempotentUpload(
                    key_hash=idempotency[0],
                    files_digest=idempotency[1],
                    attachment_ids=json.dumps([str(item.id) for item in results]),
                )
            )
    return results


def _team_on(principal: Principal, row: dict[str, Any]) -> bool:
    """The review team working on the case (not a team member who filed it)."""
    return principal.role in REVIEW_TEAM and not filed_by(principal, row)


@dataclass(frozen=True)
class Download:
    attachment_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    blob: SealedBlob


async def prepare_download(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, attachment_id: uuid.UUID, *, ranged: bool
) -> Download:
    """Check access, record the download in the custody log, and say what to stream."""
    row = await load_case_row(principal, case_id)
    attachment = (
        await Attachment.select()
        .where((Attachment.id == attachment_id) & (Attachment.case == case_id))
        .first()
    )
    if attachment is None or (attachment["referral_id"] is not None and not _team_on(principal, row)):
        # A referral's documents are the review team's (the member does not see them listed).
        raise NotFound("no such file", code="file_not_found")
    blob = stored_blob(attachment)  # 410 for an original shredded under retention
    key = case_key(ctx, row)
    # A row whose blob reference was swapped would serve another file: refused before a byte goes.
    await check_binding(key, f"attachment:{attachment_id}", attachment)
    await custody.record(
        ctx.signer,
        actor_id=str(principal.id),
        action="attachment.downloaded",
        subject=f"attachment:{attachment_id}",
        details={"sha256": attachment["sha256"], "range": ranged},
    )
    return Download(
        attachment_id=attachment_id,
        filename=key.open_text(f"filename:{attachment_id}", attachment["filename_sealed"]),
        content_type=attachment["content_type"],
        size=int(attachment["size"]),
        sha256=attachment["sha256"],
        blob=blob,
    )


#: Checks asked before a file is deleted, each raising to refuse: whatever must keep a case whole
#: (a legal hold, ``preservation.holds``) registers one; this layer cannot know of it otherwise.
_deletion_checks: list[Callable[[uuid.UUID], Awaitable[None]]] = []


def check_before_deletion(check: Callable[[uuid.UUID], Awaitable[None]]) -> None:
    if check not in _deletion_checks:
        _deletion_checks.append(check)


async def delete_attachment(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, attachment_id: uuid.UUID
) -> None:
    """Remove a file from a draft: its data key goes with the row (the blob is shredded even where
    copies survive), then the object itself is removed."""
    row = await load_case_row(principal, case_id)
    require_submitter(principal, row, "remove evidence")
    async with db.transaction():
        await custody.lock_log()
        attachment = (
            await Attachment.select()
            .where((Attachment.id == attachment_id) & (Attachment.case == case_id))
            .first()
        )
        if attachment is None:
            raise NotFound("no such file", code="file_not_found")
        current = await Case.select(Case.status).where(Case.id == case_id).first()
        if current is None:
            raise NotFound("no such case")
        if attachment["frozen"] or not workflow.accepts_evidence(current):
            raise WrongState("filed evidence can no longer be removed", code="evidence_filed")
        for check in _deletion_checks:
            await check(case_id)
        await Attachment.delete().where(Attachment.id == attachment_id)
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="attachment.deleted",
            subject=f"attachment:{attachment_id}",
            details={"sha256": attachment["sha256"], "size": int(attachment["size"])},
        )
    try:
        await ctx.vault.delete(attachment["blob_id"])
    except Exception as exc:  # noqa: BLE001 - the key is gone; reconcile removes the object later
        log.warning("shredded attachment's object not removed yet: %s", type(exc).__name__)


def sha256_salt(key: CaseKey, attachment: dict[str, Any]) -> bytes | None:
    """The salt of the file's public hash commitment (None for files filed before there was one)."""
    sealed = attachment.get("sha256_salt_sealed")
    if sealed is None:
        return None
    return bytes.fromhex(key.open_text(f"salt:{attachment['id']}", sealed))


def source_hash_details(key: CaseKey, attachment: dict[str, Any]) -> dict[str, str]:
    """What an entry that may become public says of the original it was made from: the salted
    commitment to its SHA-256 (the hash itself only for files filed before commitments)."""
    salt = sha256_salt(key, attachment)
    if salt is None:
        return {"source_sha256": attachment["sha256"]}
    return {"source_sha256_commitment": custody.commit_sha256(salt, attachment["sha256"])}
