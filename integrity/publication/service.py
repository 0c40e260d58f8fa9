"""Rules of publication: drafts, the leak check, redaction renditions, publishing and retraction.

The review team writes a public version of a case apart from what was filed; every file to publish
is a rendition rebuilt from pixels (boxes burned in, or only cleaned of metadata); the leak check
guards every public text and every file's text. Publishing writes immutable revisions and makes
the custody entries of the published bytes readable by the public.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from integrity import db
from integrity.cases.service import (
    CASE_TEAM,
    CaseKey,
    case_actors,
    case_facts,
    case_key,
    load_case_row,
)
from integrity.cases.tables import ActorKind, Attachment, Case, CaseActor, CaseCategory, CaseStatus
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import Forbidden, Invalid, NotFound, WrongState
from integrity.faults import fault_point
from integrity.publication.leakcheck import Finding, ProtectedName, check_texts
from integrity.publication.schemas import (
    BoxIn,
    DecisionOut,
    DraftIn,
    DraftOut,
    FindingOut,
    LeakCheckOut,
    PreviewOut,
    PublicActorOut,
    PublicFileOut,
    RenditionOut,
)
from integrity.publication.tables import (
    AttachmentDecision,
    Decision,
    PublicationDraft,
    PublicCase,
    PublishedActor,
    PublishedFile,
    PublishedRevision,
    Rendition,
)
from integrity.redaction import (
    Box,
    clean_image,
    clean_pdf,
    extract_text,
    pdf_page_count,
    preview_pdf_page_png,
    preview_png,
    redact_image,
    redact_pdf,
    run_in_worker,
)
from integrity.reference import fold, municipality
from integrity.security.guards import Principal
from integrity.vault import SealedBlob

log = logging.getLogger(__name__)

#: States in which the review team drafts the public version (published: for a correction).
DRAFT_STATES = frozenset(
    {CaseStatus.in_review, CaseStatus.needs_info, CaseStatus.verified, CaseStatus.published}
)
#: The largest original the redaction tools read into memory.
MAX_REDACTION_INPUT = 256 * 1024 * 1024
MAX_PUBLIC_TEXT = {"public_title": 300, "public_summary": 2_000, "public_body": 100_000}
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/heic", "image/heif"})
PDF_TYPE = "application/pdf"


def redaction_kind(content_type: str) -> str | None:
    """ "image" or "pdf" for types with a redaction path; None for types withheld until one exists."""
    if content_type in IMAGE_TYPES:
        return "image"
    if content_type == PDF_TYPE:
        return "pdf"
    return None


# --- access ---------------------------------------------------------------------------------


async def _team_row(principal: Principal, case_id: uuid.UUID) -> dict[str, Any]:
    """The case row for a review-team member who may work on it."""
    row = await load_case_row(principal, case_id)
    if principal.role not in CASE_TEAM:
        raise Forbidden("the public version is written by the review team")
    if row["submitter"] == principal.id:
        raise WrongState("nobody prepares the publication of a case they filed")
    if principal.id in (await case_facts(case_id)).conflicted:
        raise WrongState("you declared a conflict of interest on this case")
    return row


def _blob(row: dict[str, Any]) -> SealedBlob:
    return SealedBlob(
        blob_id=row["blob_id"],
        wrapped_key=bytes(row["wrapped_key"]),
        key_id=row["key_id"],
        size=int(row["size"]),
        sha256=row["sha256"],
    )


async def _read_blob(ctx: ServiceContext, row: dict[str, Any]) -> bytes:
    if int(row["size"]) > MAX_REDACTION_INPUT:
        raise Invalid("the file is too large for the redaction tools")
    data = bytearray()
    async with aclosing(ctx.vault.open(_blob(row))) as chunks:
        async for chunk in chunks:
            data += chunk
    return bytes(data)


async def _attachment(case_id: uuid.UUID, attachment_id: uuid.UUID) -> dict[str, Any]:
    row = (
        await Attachment.select()
        .where((Attachment.id == attachment_id) & (Attachment.case == case_id))
        .first()
    )
    if row is None:
        raise NotFound("no such file")
    return row


# --- renditions and previews ------------------------------------------------------------------


async def _store_rendition(
    ctx: ServiceContext,
    principal: Principal,
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
    try:
        async with db.transaction():
            rendition_id = uuid.uuid4()
            entry = await custody.append_entry(
                ctx.signer,
                actor_id=str(principal.id),
                action="rendition.created",
                subject=f"rendition:{rendition_id}",
                details={
                    "sha256": blob.sha256,
                    "size": blob.size,
                    "content_type": content_type,
                    "kind": kind,
                    "source_seq": int(attachment["custody_seq"]),
                    "source_sha256": attachment["sha256"],
                },
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
                "created_by": principal.id,
                "custody_seq": entry.seq,
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
    except BaseException:
        await ctx.vault.delete(blob)
        raise
    return row


async def create_redaction(
    ctx: ServiceContext,
    principal: Principal,
    case_id: uuid.UUID,
    attachment_id: uuid.UUID,
    boxes: list[BoxIn],
) -> RenditionOut:
    """Burn `boxes` into a copy of the file, rebuilt from pixels; the original is never touched."""
    row = await _team_row(principal, case_id)
    if row["status"] not in DRAFT_STATES:
        raise WrongState(f"files are redacted while the case is in review, not while it is {row['status']}")
    attachment = await _attachment(case_id, attachment_id)
    kind = redaction_kind(attachment["content_type"])
    if kind is None:
        raise Invalid("this type of file has no redaction path yet: it can only be withheld")
    if not boxes:
        raise Invalid("draw at least one box (to publish without boxes, choose publish as filed)")
    drawn = [Box(page=b.page, x=b.x, y=b.y, width=b.width, height=b.height) for b in boxes]
    original = await _read_blob(ctx, attachment)
    if kind == "image":
        result = await run_in_worker(redact_image, original, drawn)
    else:
        result = await run_in_worker(redact_pdf, original, drawn)
    stored = await _store_rendition(
        ctx,
        principal,
        attachment,
        result.content,
        kind="redacted",
        content_type=result.content_type,
        extension=result.extension,
        pages=result.pages,
        boxes=boxes,
    )
    return _rendition_out(stored)


def _rendition_out(row: dict[str, Any]) -> RenditionOut:
    return RenditionOut(
        id=row["id"],
        content_type=row["content_type"],
        size=int(row["size"]),
        sha256=row["sha256"],
        pages=int(row["pages"]),
        kind=row["kind"],
    )


async def _cleaned_rendition(
    ctx: ServiceContext, principal: Principal, attachment: dict[str, Any]
) -> uuid.UUID:
    """The metadata-free copy "publish as filed" publishes (made once per attachment)."""
    existing = (
        await Rendition.select(Rendition.id)
        .where((Rendition.attachment == attachment["id"]) & (Rendition.kind == "cleaned"))
        .first()
    )
    if existing is not None:
        return existing["id"]
    original = await _read_blob(ctx, attachment)
    clean = clean_image if redaction_kind(attachment["content_type"]) == "image" else clean_pdf
    result = await run_in_worker(clean, original)
    stored = await _store_rendition(
        ctx,
        principal,
        attachment,
        result.content,
        kind="cleaned",
        content_type=result.content_type,
        extension=result.extension,
        pages=result.pages,
        boxes=[],
    )
    return stored["id"]


async def preview_page(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, attachment_id: uuid.UUID, page: int
) -> bytes:
    """A PNG of one page (or of the image) for drawing boxes; recorded as a view of evidence."""
    await _team_row(principal, case_id)
    attachment = await _attachment(case_id, attachment_id)
    kind = redaction_kind(attachment["content_type"])
    if kind is None:
        raise Invalid("this type of file has no page preview")
    if page < 1:
        raise Invalid("pages count from 1")
    original = await _read_blob(ctx, attachment)
    await custody.record(
        ctx.signer,
        actor_id=str(principal.id),
        action="attachment.previewed",
        subject=f"attachment:{attachment_id}",
        details={"sha256": attachment["sha256"], "page": page},
    )
    if kind == "image":
        if page != 1:
            raise NotFound("an image has one page")
        return await run_in_worker(preview_png, original)
    return await run_in_worker(preview_pdf_page_png, original, page)


async def open_rendition(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, rendition_id: uuid.UUID
) -> tuple[dict[str, Any], SealedBlob]:
    await _team_row(principal, case_id)
    row = await Rendition.select().where(Rendition.id == rendition_id).first()
    if row is None or (await _attachment(case_id, row["attachment"])) is None:
        raise NotFound("no such rendition")
    return row, _blob(row)


# --- drafts and the leak check -----------------------------------------------------------------


async def _protected_names(key: CaseKey, case_id: uuid.UUID) -> list[ProtectedName]:
    return [
        ProtectedName(actor_id=actor.actor_id, text=text, person=actor.kind == ActorKind.person)
        for actor in await case_actors(key, case_id)
        if actor.protect_identity
        for text in [actor.name, *actor.aliases]
        if text
    ]


@dataclass
class _Draft:
    title: str
    summary: str
    body: str
    actor_ids: list[uuid.UUID]
    updated_at: datetime.datetime | None


async def _load_draft(key: CaseKey, case_id: uuid.UUID) -> _Draft | None:
    row = await PublicationDraft.select().where(PublicationDraft.case == case_id).first()
    if row is None:
        return None
    return _Draft(
        title=key.open_text("draft:title", row["title_sealed"]),
        summary=key.open_text("draft:summary", row["summary_sealed"]),
        body=key.open_text("draft:body", row["body_sealed"]),
        actor_ids=[uuid.UUID(value) for value in json.loads(row["public_actor_ids"])],
        updated_at=row["updated_at"],
    )


async def _public_actors(case_id: uuid.UUID, actor_ids: list[uuid.UUID]) -> list[PublicActorOut]:
    if not actor_ids:
        return []
    links = await CaseActor.select(
        CaseActor.actor, CaseActor.role, CaseActor.actor.name, CaseActor.actor.kind
    ).where(
        (CaseActor.case == case_id)
        & CaseActor.actor.is_in(actor_ids)
        & (CaseActor.protect_identity == False)  # noqa: E712
        & CaseActor.actor.owner_case.is_null()
    )
    by_id = {link["actor"]: link for link in links}
    return [
        PublicActorOut(id=a, name=by_id[a]["actor.name"], kind=by_id[a]["actor.kind"], role=by_id[a]["role"])
        for a in actor_ids
        if a in by_id
    ]


async def _decisions(case_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every attachment of the case with its decision and chosen rendition (None when undecided)."""
    attachments = (
        await Attachment.select(Attachment.id, Attachment.content_type, Attachment.custody_seq)
        .where(Attachment.case == case_id)
        .order_by(Attachment.uploaded_at)
    )
    decisions = {
        row["attachment"]: row
        for row in await AttachmentDecision.select().where(
            AttachmentDecision.attachment.is_in([a["id"] for a in attachments] or [uuid.uuid4()])
        )
    }
    return [
        {
            "attachment_id": a["id"],
            "content_type": a["content_type"],
            "source_seq": int(a["custody_seq"]),
            "decision": decisions[a["id"]]["decision"] if a["id"] in decisions else None,
            "rendition_id": decisions[a["id"]]["rendition"] if a["id"] in decisions else None,
        }
        for a in attachments
    ]


async def _leak_check(
    ctx: ServiceContext, key: CaseKey, case_id: uuid.UUID, draft: _Draft, decisions: list[dict[str, Any]]
) -> list[Finding]:
    names = await _protected_names(key, case_id)
    if not names:
        return []
    texts = {"public_title": draft.title, "public_summary": draft.summary, "public_body": draft.body}
    for actor in await _public_actors(case_id, draft.actor_ids):
        texts[f"actor:{actor.id}"] = actor.name
    for item in decisions:
        if (
            item["decision"] in (Decision.publish_redacted, Decision.publish_as_filed)
            and item["rendition_id"]
        ):
            rendition = await Rendition.select().where(Rendition.id == item["rendition_id"]).first()
            content = await _read_blob(ctx, rendition)
            texts[f"file:{item['attachment_id']}"] = await run_in_worker(
                extract_text, content, rendition["content_type"]
            )
    return check_texts(names, texts)


def _missing(draft: _Draft | None, decisions: list[dict[str, Any]], findings: list[Finding]) -> list[str]:
    missing = []
    if draft is None:
        return ["there is no publication draft yet"]
    if not draft.title.strip() or not draft.summary.strip() or not draft.body.strip():
        missing.append("the public title, summary and body must all be written")
    for item in decisions:
        if item["decision"] is None:
            missing.append(f"file {item['attachment_id']} has no publication decision")
        elif item["decision"] != Decision.withhold and item["rendition_id"] is None:
            missing.append(f"file {item['attachment_id']} is to be published but has no redacted copy yet")
    for finding in findings:
        missing.append(f"leak check: a protected name appears in {finding.location} at {finding.start}")
    return missing


async def _draft_out(ctx: ServiceContext, key: CaseKey, case_id: uuid.UUID, draft: _Draft | None) -> DraftOut:
    decisions = await _decisions(case_id)
    findings = await _leak_check(ctx, key, case_id, draft, decisions) if draft is not None else []
    return DraftOut(
        public_title=draft.title if draft else "",
        public_summary=draft.summary if draft else "",
        public_body=draft.body if draft else "",
        public_actor_ids=draft.actor_ids if draft else [],
        attachments=[
            DecisionOut(
                attachment_id=item["attachment_id"],
                decision=Decision(item["decision"]) if item["decision"] else None,
                rendition_id=item["rendition_id"],
                content_type=item["content_type"],
            )
            for item in decisions
        ],
        leak_check=LeakCheckOut(
            ok=not findings,
            findings=[
                FindingOut(
                    location=f.location, actor_id=f.actor_id, start=f.start, end=f.end, excerpt=f.excerpt
                )
                for f in findings
            ],
        ),
        missing=_missing(draft, decisions, findings),
        updated_at=draft.updated_at if draft else None,
    )


async def get_draft(ctx: ServiceContext, principal: Principal, case_id: uuid.UUID) -> DraftOut:
    row = await _team_row(principal, case_id)
    key = case_key(ctx, row)
    return await _draft_out(ctx, key, case_id, await _load_draft(key, case_id))


def _public_text(value: str, field: str) -> str:
    text = value.replace("\r\n", "\n").strip()
    limit = MAX_PUBLIC_TEXT[field]
    if len(text) > limit:
        raise Invalid(f"{field} must have at most {limit} characters")
    if "\x00" in text:
        raise Invalid(f"{field} must not contain NUL characters")
    return text


async def save_draft(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, data: DraftIn
) -> DraftOut:
    """Write the public version and the decision for each file; runs the leak check on every save."""
    row = await _team_row(principal, case_id)
    if row["status"] not in DRAFT_STATES:
        raise WrongState(
            f"the public version is drafted during review, not while the case is {row['status']}"
        )
    title = _public_text(data.public_title, "public_title")
    summary = _public_text(data.public_summary, "public_summary")
    body = _public_text(data.public_body, "public_body")
    key = case_key(ctx, row)

    actor_ids = list(dict.fromkeys(data.public_actor_ids))
    links = {
        link["actor"]: link
        for link in await CaseActor.select(
            CaseActor.actor, CaseActor.protect_identity, CaseActor.actor.owner_case
        ).where(CaseActor.case == case_id)
    }
    for actor_id in actor_ids:
        link = links.get(actor_id)
        if link is None:
            raise Invalid("public_actor_ids must name actors of this case")
        if link["protect_identity"] or link["actor.owner_case"] is not None:
            raise Invalid("an actor whose identity is protected is never shown publicly")

    attachments = {a["id"]: a for a in await Attachment.select().where(Attachment.case == case_id)}
    for item in data.attachments:
        attachment = attachments.get(item.attachment_id)
        if attachment is None:
            raise Invalid("attachments must name files of this case")
        if item.decision != Decision.withhold and redaction_kind(attachment["content_type"]) is None:
            raise Invalid("audio, video and office files are withheld until a redaction path exists for them")
    # "As filed" publishes a copy cleaned of metadata; make it before the transaction (CPU work).
    cleaned = {
        item.attachment_id: await _cleaned_rendition(ctx, principal, attachments[item.attachment_id])
        for item in data.attachments
        if item.decision == Decision.publish_as_filed
    }

    async with db.transaction():
        await custody.lock_log()
        current = await Case.select(Case.status).where(Case.id == case_id).first()
        if current["status"] not in DRAFT_STATES:
            raise WrongState("the case left review while the draft was being saved")
        now = datetime.datetime.now(datetime.UTC)
        values = {
            PublicationDraft.title_sealed: key.seal("draft:title", title),
            PublicationDraft.summary_sealed: key.seal("draft:summary", summary),
            PublicationDraft.body_sealed: key.seal("draft:body", body),
            PublicationDraft.public_actor_ids: json.dumps([str(a) for a in actor_ids]),
            PublicationDraft.updated_at: now,
            PublicationDraft.updated_by: principal.id,
        }
        if await PublicationDraft.exists().where(PublicationDraft.case == case_id):
            await PublicationDraft.update(values).where(PublicationDraft.case == case_id)
        else:
            await PublicationDraft.insert(
                PublicationDraft(
                    **{column._meta.name: value for column, value in values.items()}, case=case_id
                )
            )
        for item in data.attachments:
            rendition: uuid.UUID | None
            if item.decision == Decision.publish_as_filed:
                rendition = cleaned[item.attachment_id]
            elif item.decision == Decision.publish_redacted:
                latest = (
                    await Rendition.select(Rendition.id)
                    .where((Rendition.attachment == item.attachment_id) & (Rendition.kind == "redacted"))
                    .order_by(Rendition.created_at, ascending=False)
                    .first()
                )
                rendition = latest["id"] if latest else None
            else:
                rendition = None
            await AttachmentDecision.delete().where(AttachmentDecision.attachment == item.attachment_id)
            await AttachmentDecision.insert(
                AttachmentDecision(
                    attachment=item.attachment_id, decision=item.decision.value, rendition=rendition
                )
            )
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="publication.draft_saved",
            subject=f"case:{case_id}",
            details={"files": len(data.attachments)},
        )
    return await _draft_out(ctx, key, case_id, await _load_draft(key, case_id))


async def publication_problem(ctx: ServiceContext, row: dict[str, Any]) -> str | None:
    """Why the case cannot be approved or published as its draft stands (None when it can)."""
    key = case_key(ctx, row)
    draft = await _load_draft(key, row["id"])
    decisions = await _decisions(row["id"])
    findings = await _leak_check(ctx, key, row["id"], draft, decisions) if draft is not None else []
    missing = _missing(draft, decisions, findings)
    if not missing:
        return None
    return "the publication draft is not complete: " + "; ".join(missing)


# --- what the public will see ---------------------------------------------------------------------


async def _revision_content(
    ctx: ServiceContext, row: dict[str, Any]
) -> tuple[_Draft, list[PublicActorOut], list[dict[str, Any]], list[str]]:
    key = case_key(ctx, row)
    draft = await _load_draft(key, row["id"])
    if draft is None:
        raise WrongState("there is no publication draft yet")
    actors = await _public_actors(row["id"], draft.actor_ids)
    files = []
    number = 0
    for item in await _decisions(row["id"]):
        if (
            item["decision"] in (Decision.publish_redacted, Decision.publish_as_filed)
            and item["rendition_id"]
        ):
            rendition = await Rendition.select().where(Rendition.id == item["rendition_id"]).first()
            number += 1
            files.append(
                {
                    "rendition": rendition,
                    "filename": f"{row['reference']}-{number}.{rendition['extension']}",
                    "source_seq": item["source_seq"],
                }
            )
    categories = [
        c["code"]
        for c in await CaseCategory.select(CaseCategory.code)
        .where(CaseCategory.case == row["id"])
        .order_by(CaseCategory.id)
    ]
    return draft, actors, files, categories


async def preview(ctx: ServiceContext, principal: Principal, case_id: uuid.UUID) -> PreviewOut:
    row = await _team_row(principal, case_id)
    draft, actors, files, categories = await _revision_content(ctx, row)
    public = await PublicCase.select().where(PublicCase.case == case_id).first()
    return PreviewOut(
        reference=row["reference"],
        revision=(public["latest_revision"] + 1) if public else 1,
        title=draft.title,
        summary=draft.summary,
        body=draft.body,
        municipality=row["municipality"],
        categories=categories,
        incident_date=row["incident_date"],
        actors=actors,
        files=[
            PublicFileOut(
                id=f["rendition"]["id"],
                filename=f["filename"],
                content_type=f["rendition"]["content_type"],
                size=int(f["rendition"]["size"]),
                sha256=f["rendition"]["sha256"],
                custody_seq=int(f["rendition"]["custody_seq"]),
                source_seq=f["source_seq"],
            )
            for f in files
        ],
        published_at=None,
        corrections=[],
    )


async def write_revision(
    ctx: ServiceContext, row: dict[str, Any], *, correction_note: str | None
) -> dict[str, Any]:
    """Inside the transition's transaction: write the next immutable revision from the draft and
    open the custody entries of its files to the public. Returns details for the custody entry."""
    draft, actors, files, categories = await _revision_content(ctx, row)
    now = datetime.datetime.now(datetime.UTC)
    public = await PublicCase.select().where(PublicCase.case == row["id"]).first()
    if public is None:
        await PublicCase.insert(
            PublicCase(
                case=row["id"],
                reference=row["reference"],
                latest_revision=1,
                first_published_at=now,
                updated_at=now,
            )
        )
        public = await PublicCase.select().where(PublicCase.case == row["id"]).first()
        number = 1
    else:
        number = int(public["latest_revision"]) + 1
        await PublicCase.update({PublicCase.latest_revision: number, PublicCase.updated_at: now}).where(
            PublicCase.id == public["id"]
        )
        await PublishedRevision.update({PublishedRevision.is_current: False}).where(
            PublishedRevision.public_case == public["id"]
        )
    place = municipality(row["municipality"])
    revision = PublishedRevision(
        public_case=public["id"],
        reference=row["reference"],
        revision=number,
        title=draft.title,
        summary=draft.summary,
        body=draft.body,
        municipality=row["municipality"],
        district=place.district if place else None,
        categories=json.dumps(categories),
        incident_date=row["incident_date"],
        incident_date_precision=row["incident_date_precision"],
        actors=json.dumps(
            [{"id": str(a.id), "name": a.name, "kind": a.kind, "role": a.role} for a in actors],
            ensure_ascii=False,
        ),
        published_at=now,
        correction_note=correction_note,
        search_text=fold(" ".join([draft.title, draft.summary, draft.body, *(a.name for a in actors)])),
        is_current=True,
    )
    await revision.save()
    public_seqs = []
    for f in files:
        rendition = f["rendition"]
        await PublishedFile.insert(
            PublishedFile(
                revision=revision.id,
                rendition=rendition["id"],
                filename=f["filename"],
                content_type=rendition["content_type"],
                size=rendition["size"],
                sha256=rendition["sha256"],
                custody_seq=rendition["custody_seq"],
                source_seq=f["source_seq"],
            )
        )
        public_seqs += [int(rendition["custody_seq"]), f["source_seq"]]
    for actor in actors:
        await PublishedActor.insert(PublishedActor(actor_id=actor.id, revision=revision.id))
    await custody.mark_public(public_seqs)
    return {
        "reference": row["reference"],
        "revision": number,
        "files": [f["rendition"]["sha256"] for f in files],
    }


async def retract_publication(row: dict[str, Any], note: str) -> dict[str, Any]:
    now = datetime.datetime.now(datetime.UTC)
    public = await PublicCase.select().where(PublicCase.case == row["id"]).first()
    if public is None:
        raise WrongState("the case has not been published")
    await PublicCase.update(
        {
            PublicCase.retracted: True,
            PublicCase.retraction_note: note,
            PublicCase.retracted_at: now,
            PublicCase.updated_at: now,
        }
    ).where(PublicCase.id == public["id"])
    return {"reference": row["reference"]}


async def page_count(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, attachment_id: uuid.UUID
) -> int:
    """How many pages the redaction tool offers for a file (1 for an image)."""
    await _team_row(principal, case_id)
    attachment = await _attachment(case_id, attachment_id)
    kind = redaction_kind(attachment["content_type"])
    if kind is None:
        raise Invalid("this type of file has no page preview")
    if kind == "image":
        return 1
    return await run_in_worker(pdf_page_count, await _read_blob(ctx, attachment))
