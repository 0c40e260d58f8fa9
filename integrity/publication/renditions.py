"""Renditions: copies of evidence files rebuilt from pixels with boxes burned in (or with metadata
removed), stored in the vault beside the original, which is never touched; and their previews."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from integrity import db
from integrity.cases.access import load_case_row
from integrity.cases.blobs import (
    binding_for,
    check_binding,
    is_shredded,
    require_stored,
    stored_blob,
    swapped,
)
from integrity.cases.evidence import source_hash_details
from integrity.cases.filers import filed_by
from integrity.cases.sealing import CaseKey, case_key
from integrity.cases.service import case_facts
from integrity.cases.tables import Attachment, Case, CaseStatus
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import Forbidden, Invalid, NotFound, WrongState
from integrity.faults import fault_point
from integrity.jobs.queue import READ_FILE
from integrity.notifications import service as notifications
from integrity.notifications.tables import NotificationKind
from integrity.publication.schemas import (
    BoxIn,
    RenditionOut,
)
from integrity.publication.tables import (
    AttachmentDecision,
    Decision,
    ProposalKind,
    PublicationDraft,
    PublicChangeProposal,
    Rendition,
)
from integrity.redaction import (
    preview_pdf_page_png,
    preview_png,
    run_in_worker,
)
from integrity.security.guards import Principal
from integrity.security.roles import REVIEW_TEAM
from integrity.vault import SealedBlob

#: States in which the review team drafts the public version (published: for a correction).
DRAFT_STATES = frozenset(
    {CaseStatus.in_review, CaseStatus.needs_info, CaseStatus.verified, CaseStatus.published}
)


#: The largest original the redaction tools read into memory.
MAX_REDACTION_INPUT = 256 * 1024 * 1024


IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"})


PDF_TYPE = "application/pdf"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def redaction_kind(content_type: str) -> str | None:
    """ "image" or "pdf" for types with a redaction path; None for types withheld until one exists."""
    if content_type in IMAGE_TYPES:
        return "image"
    if content_type == PDF_TYPE:
        return "pdf"
    return None


async def team_case_row(principal: Principal, case_id: uuid.UUID) -> dict[str, Any]:
    """The case row for a review-team member who may work on it."""
    row = await load_case_row(principal, case_id)
    if principal.role not in REVIEW_TEAM:
        raise Forbidden("the public version is written by the review team", code="draft_team_only")
    if filed_by(principal, row):
        raise WrongState("nobody prepares the publication of a case they filed", code="own_case_publication")
    if principal.id in (await case_facts(case_id)).conflicted:
        raise WrongState("you declared a conflict of interest on this case", code="conflict_declared")
    return row


async def check_row_blob(ctx: ServiceContext, row: dict[str, Any]) -> None:
    """``cases.blobs.check_binding`` for an attachment row or a rendition row."""
    if "attachment" in row:  # a rendition
        case_id = await Attachment.select(Attachment.case).where(Attachment.id == row["attachment"]).first()
        subject = f"rendition:{row['id']}"
    else:
        case_id = {"case": row["case"]}
        subject = f"attachment:{row['id']}"
    case_row = await Case.select().where(Case.id == case_id["case"]).first() if case_id else None
    if case_row is None:
        raise NotFound("no such file", code="file_not_found")
    await check_binding(case_key(ctx, case_row), subject, row)


async def still_stored(row: dict[str, Any]) -> bool:
    """Whether an attachment's or a copy's row read earlier still holds its blob (it was not
    shredded or removed since): a check that found its object missing asks before it alarms."""
    for table in (Attachment, Rendition):
        now = await table.select(table.wrapped_key).where(table.blob_id == row["blob_id"]).first()
        if now is not None:
            return not is_shredded(now)
    return False


async def stored_rows(ctx: ServiceContext) -> AsyncIterator[tuple[CaseKey, uuid.UUID, str, dict[str, Any]]]:
    """Every attachment and copy row that holds a stored file (not a shredded one), attachments
    first, with its case's key and id and its subject ("attachment:<id>" or "rendition:<id>"):
    for the checks that go over every stored file. Rows shredded while it runs are passed over."""
    keys: dict[uuid.UUID, CaseKey | None] = {}

    async def key_of(case_id: uuid.UUID) -> CaseKey | None:
        """The case's key; None for a case shredded since the rows were read."""
        if case_id not in keys:
            case_row = await Case.select().where(Case.id == case_id).first()
            keys[case_id] = None if case_row is None else case_key(ctx, case_row)
        return keys[case_id]

    cases_of: dict[uuid.UUID, uuid.UUID] = {}
    for attachment in await Attachment.select():
        cases_of[attachment["id"]] = attachment["case"]
        if is_shredded(attachment):
            continue  # its key is destroyed and its object removed: nothing stored to check
        if (key := await key_of(attachment["case"])) is not None:
            yield key, attachment["case"], f"attachment:{attachment['id']}", attachment
    for rendition in await Rendition.select():
        if is_shredded(rendition):
            continue  # a withdrawn copy of a shredded original: key destroyed, object removed
        case_id = cases_of.get(rendition["attachment"])
        if case_id is None:  # made since the attachments were read
            source = (
                await Attachment.select(Attachment.case)
                .where(Attachment.id == rendition["attachment"])
                .first()
            )
            if source is None:
                continue
            case_id = source["case"]
        if (key := await key_of(case_id)) is not None:
            yield key, case_id, f"rendition:{rendition['id']}", rendition


async def swapped_blobs(ctx: ServiceContext) -> list[str]:
    """Every attachment and copy whose row does not hold the blob bound to it (``cases.blobs``),
    as "attachment:<id>" or "rendition:<id>": for `custody verify` and `reconcile`."""

    async def rows() -> AsyncIterator[tuple[CaseKey, str, dict[str, Any]]]:
        async for key, _, subject, row in stored_rows(ctx):
            yield key, subject, row

    return await swapped(rows())


async def read_blob(ctx: ServiceContext, row: dict[str, Any]) -> bytes:
    """The plaintext of an attachment's or a rendition's blob, once the row is checked to hold it."""
    blob = stored_blob(row)  # 410 for a shredded original, before anything is read
    await check_row_blob(ctx, row)
    if int(row["size"]) > MAX_REDACTION_INPUT:
        raise Invalid("the file is too large for the redaction tools", code="file_too_large_to_redact")
    data = bytearray()
    async with aclosing(ctx.vault.open(blob)) as chunks:
        async for chunk in chunks:
            data += chunk
    return bytes(data)


async def attachment_row(case_id: uuid.UUID, attachment_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await Attachment.select()
        .where((Attachment.id == attachment_id) & (Attachment.case == case_id))
        .first()
    )
    if row is None:
        raise NotFound("no such file", code="file_not_found")
    return row


async def store_rendition(
    ctx: ServiceContext,
    actor_id: uuid.UUID,
    attachment: dict[str, Any],
    content: bytes,
    *,
    kind: str,
    content_type: str,
    extension: str,
    pages: int,
    boxes: list[BoxIn],
) -> dict[str, Any]:
    blob = await ctx.vault.put(content)
    fault_point("publication.rendition_stored")
    mails: list[uuid.UUID] = []
    try:
        async with db.transaction():
            await custody.lock_log()
            # The work above took a while: the case may have been approved meanwhile, and what
            # was approved must stay what is published (API.md: a late redaction answers 409).
            status = await Case.select(Case.status).where(Case.id == attachment["case"]).first()
            if status is None or status["status"] not in DRAFT_STATES:
                raise WrongState(
                    "the case left drafting (it was approved or published) while the copy was being "
                    "made: the approved copy stays; send the case back to make another",
                    code="redaction_after_approval",
                )
            # Its original may have been shredded while the copy was made: nothing is made of it.
            source = (
                await Attachment.select(Attachment.wrapped_key)
                .where(Attachment.id == attachment["id"])
                .first()
            )
            if source is None:
                raise NotFound("no such file", code="file_not_found")
            require_stored(source)
            rendition_id = uuid.uuid4()
            case_row = await Case.select().where(Case.id == attachment["case"]).first()
            if case_row is None:
                raise NotFound("no such case", code="case_not_found")
            key = case_key(ctx, case_row)
            entry = await custody.append_entry(
                ctx.signer,
                actor_id=str(actor_id),
                action="rendition.created",
                subject=f"rendition:{rendition_id}",
                details={
                    "sha256": blob.sha256,
                    "size": blob.size,
                    "content_type": content_type,
                    "kind": kind,
                    "source_seq": int(attachment["custody_seq"]),
                    **source_hash_details(key, attachment),
                },
                case_scope=f"case:{attachment['case']}",
            )
            row = {
                "id": rendition_id,
                "attachment": attachment["id"],
                "kind": kind,
                "blob_id": blob.blob_id,
                "wrapped_key": blob.wrapped_key,
                "key_id": blob.key_id,
                "size": blob.size,
                "sha256": blob.sha256,
                "content_type": content_type,
                "extension": extension,
                "pages": pages,
                "boxes": json.dumps([[b.page, b.x, b.y, b.width, b.height] for b in boxes]),
                "created_by": actor_id,
                "custody_seq": entry.seq,
                "blob_binding_sealed": binding_for(
                    case_key(ctx, case_row), f"rendition:{rendition_id}", blob
                ),
            }
            await Rendition.insert(Rendition(**row))
            decision = (
                await AttachmentDecision.select()
                .where(AttachmentDecision.attachment == attachment["id"])
                .first()
            )
            wanted = Decision.publish_redacted if kind == "redacted" else Decision.publish_as_filed
            if decision is not None and decision["decision"] == wanted:
                await AttachmentDecision.update({AttachmentDecision.rendition: rendition_id}).where(
                    AttachmentDecision.id == decision["id"]
                )
                # A new copy to publish changes the draft: whoever made it has last changed it,
                # and a correction proposed from the draft as it was no longer stands.
                await PublicationDraft.update(
                    {PublicationDraft.updated_by: actor_id, PublicationDraft.updated_at: _now()}
                ).where(PublicationDraft.case == attachment["case"])
                _, mails = await drop_proposed_correction(ctx, actor_id, case_row)
    except BaseException:
        await ctx.vault.delete(blob)
        raise
    await notifications.queue_emails(ctx.jobs, mails)
    # Committed, and pending: the leak check reads it in the background (the row is the record of
    # the need; this job is the nudge).
    if ctx.jobs is not None:
        await ctx.jobs.defer(READ_FILE, lock=f"read:{rendition_id}", rendition_id=str(rendition_id))
    return row


async def drop_proposed_correction(
    ctx: ServiceContext, actor_id: uuid.UUID, case_row: dict[str, Any], digest: str | None = None
) -> tuple[bool, list[uuid.UUID]]:
    """In a transaction that changed the draft of a published case: a correction proposed from the
    draft as it was is dropped (its confirmation would publish something nobody proposed), with a
    custody entry and a notification to the editor who proposed it, unless ``digest`` (the changed
    draft's) is what was proposed. Returns whether it was dropped, and the notifications to mail."""
    proposal = (
        await PublicChangeProposal.select(PublicChangeProposal.draft_digest, PublicChangeProposal.proposed_by)
        .where(
            (PublicChangeProposal.case == case_row["id"])
            & (PublicChangeProposal.kind == ProposalKind.correction)
        )
        .first()
    )
    if proposal is None or (digest is not None and proposal["draft_digest"] == digest):
        return False, []
    await PublicChangeProposal.delete().where(PublicChangeProposal.case == case_row["id"])
    await custody.append_entry(
        ctx.signer,
        actor_id=str(actor_id),
        action="publication.proposal_voided",
        subject=f"case:{case_row['id']}",
        details={},
    )
    mails = await notifications.notify(
        [proposal["proposed_by"]] if proposal["proposed_by"] != actor_id else [],
        NotificationKind.proposal_voided,
        case_id=case_row["id"],
        reference=case_row["reference"],
        email=ctx.settings.smtp is not None,
    )
    return True, mails


def rendition_out(row: dict[str, Any]) -> RenditionOut:
    return RenditionOut(
        id=row["id"],
        content_type=row["content_type"],
        size=int(row["size"]),
        sha256=row["sha256"],
        pages=int(row["pages"]),
        kind=row["kind"],
    )


async def current_boxes(principal: Principal, case_id: uuid.UUID, attachment_id: uuid.UUID) -> list[BoxIn]:
    """The boxes of the file's latest redacted copy (none when it has none), to start the next from."""
    await team_case_row(principal, case_id)
    await attachment_row(case_id, attachment_id)
    latest = (
        await Rendition.select(Rendition.boxes)
        .where((Rendition.attachment == attachment_id) & (Rendition.kind == "redacted"))
        .order_by(Rendition.created_at, ascending=False)
        .first()
    )
    if latest is None:
        return []
    return [BoxIn(page=p, x=x, y=y, width=w, height=h) for p, x, y, w, h in json.loads(latest["boxes"])]


async def preview_page(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, attachment_id: uuid.UUID, page: int
) -> bytes:
    """A PNG of one page (or of the image) for drawing boxes; recorded as a view of evidence."""
    await team_case_row(principal, case_id)
    attachment = await attachment_row(case_id, attachment_id)
    kind = redaction_kind(attachment["content_type"])
    if kind is None:
        raise Invalid("this type of file has no page preview", code="no_page_preview")
    if page < 1:
        raise Invalid("pages count from 1", code="page_not_found")
    original = await read_blob(ctx, attachment)
    await custody.record(
        ctx.signer,
        actor_id=str(principal.id),
        action="attachment.previewed",
        subject=f"attachment:{attachment_id}",
        details={"sha256": attachment["sha256"], "page": page},
    )
    if kind == "image":
        if page != 1:
            raise NotFound("an image has one page", code="page_not_found")
        return await run_in_worker(preview_png, original)
    return await run_in_worker(preview_pdf_page_png, original, page)


async def rendition_page(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, rendition_id: uuid.UUID, page: int
) -> bytes:
    """A PNG of one page of a copy made for publication, as the public will get it (for the
    approvers, with the leak check's findings drawn over it); recorded as a view of evidence."""
    row, _ = await open_rendition(ctx, principal, case_id, rendition_id)
    if page < 1 or page > int(row["pages"]):
        raise NotFound(f"the copy has pages 1 to {row['pages']}", code="page_not_found")
    content = await read_blob(ctx, row)
    await custody.record(
        ctx.signer,
        actor_id=str(principal.id),
        action="rendition.previewed",
        subject=f"rendition:{rendition_id}",
        details={"sha256": row["sha256"], "page": page},
    )
    if row["content_type"] == PDF_TYPE:
        return await run_in_worker(preview_pdf_page_png, content, page)
    return await run_in_worker(preview_png, content)


async def open_rendition(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, rendition_id: uuid.UUID
) -> tuple[dict[str, Any], SealedBlob]:
    await team_case_row(principal, case_id)
    row = await Rendition.select().where(Rendition.id == rendition_id).first()
    if row is None or (await attachment_row(case_id, row["attachment"])) is None:
        raise NotFound("no such rendition", code="rendition_not_found")
    await check_row_blob(ctx, row)
    return row, stored_blob(row)
