"""The publication draft: the public texts, public actors and a decision per file, sealed with the
case's key, with the leak check run on every save and before every publication step (on the texts,
and on what ``filecheck`` read in every file to be published)."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

import msgspec
from piccolo.columns import Column

from integrity import db
from integrity.accounts.tables import Member
from integrity.cases.actors import case_actors
from integrity.cases.filers import submitter_id
from integrity.cases.sealing import CaseKey, case_key
from integrity.cases.tables import ActorKind, Attachment, Case, CaseActor, CaseStatus, Transition
from integrity.cases.validation import clean_text
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import Invalid, NotFound, WrongState
from integrity.notifications import service as notifications
from integrity.notifications.tables import NotificationKind
from integrity.publication.copies import cleaned_rendition
from integrity.publication.filecheck import load_reading
from integrity.publication.leakcheck import Finding, ProtectedName, check_texts
from integrity.publication.public_schemas import PRECISIONS
from integrity.publication.renditions import (
    DRAFT_STATES,
    drop_proposed_correction,
    redaction_kind,
    team_case_row,
)
from integrity.publication.schemas import (
    BlockerOut,
    BoxOut,
    DecisionOut,
    DraftIn,
    DraftOut,
    FindingOut,
    LeakCheckOut,
    PublicActorOut,
)
from integrity.publication.tables import (
    AttachmentDecision,
    CheckState,
    Decision,
    PublicationDraft,
    Rendition,
)
from integrity.redaction.ocr import PageText, Word
from integrity.referrals import public as referrals_public
from integrity.security.guards import Principal

#: States in which the draft can be saved: while it is drafted, and once approved (a change then
#: voids the approval).
EDITABLE_STATES = DRAFT_STATES | {CaseStatus.approved}

MAX_PUBLIC_TEXT = {"public_title": 300, "public_summary": 2_000, "public_body": 100_000}


async def protected_names(key: CaseKey, case_id: uuid.UUID) -> list[ProtectedName]:
    """Everyone the public must not be able to name from what is published: every protected actor
    (names and aliases), and the member who filed the case (display name and the local part of the
    e-mail address, whose dots and dashes separate words as they do in "ana.petrovic")."""
    names = [
        ProtectedName(actor_id=actor.actor_id, text=text, person=actor.kind == ActorKind.person)
        for actor in await case_actors(key, case_id)
        if actor.protect_identity
        for text in [actor.name, *actor.aliases]
        if text
    ]
    row = await Case.select(Case.submitter_sealed).where(Case.id == case_id).first()
    submitter = (
        await Member.select(Member.display_name, Member.email)
        .where(Member.id == submitter_id(key, row))
        .first()
        if row is not None
        else None
    )
    if submitter is not None:
        local_part = re.sub(r"[._+\-]+", " ", str(submitter["email"]).split("@", 1)[0]).strip()
        # A display name may carry a note in brackets ("Ana Anić (Novi Sad)"): the note is no name,
        # and its last word would otherwise be searched as if it were a surname.
        display_name = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", str(submitter["display_name"])).strip()
        for text in dict.fromkeys([display_name, local_part]):
            if text and text.strip():
                names.append(ProtectedName(actor_id=None, text=text, person=True))
    return names


async def check_public_note(key: CaseKey, case_id: uuid.UUID, note: str) -> None:
    """A note the public will read (a correction's or a retraction's) must name nobody protected."""
    if check_texts(await protected_names(key, case_id), {"reason": note}):
        raise WrongState(
            "the note names a protected person or the member who filed the case: write it without the name",
            code="leak_in_note",
            field="reason",
        )


@dataclass
class Draft:
    title: str
    summary: str
    body: str
    actor_ids: list[uuid.UUID]
    updated_at: datetime.datetime | None
    #: A coarser incident date precision to publish, or None for the case's own.
    incident_date_precision: str | None = None
    referral_ids: list[uuid.UUID] = field(default_factory=list)
    reply_ids: list[uuid.UUID] = field(default_factory=list)


async def load_draft(key: CaseKey, case_id: uuid.UUID) -> Draft | None:
    row = await PublicationDraft.select().where(PublicationDraft.case == case_id).first()
    if row is None:
        return None
    return Draft(
        title=key.open_text("draft:title", row["title_sealed"]),
        summary=key.open_text("draft:summary", row["summary_sealed"]),
        body=key.open_text("draft:body", row["body_sealed"]),
        actor_ids=[uuid.UUID(value) for value in json.loads(row["public_actor_ids"])],
        updated_at=row["updated_at"],
        incident_date_precision=row["incident_date_precision"],
        referral_ids=[uuid.UUID(value) for value in json.loads(row["public_referral_ids"] or "[]")],
        reply_ids=[uuid.UUID(value) for value in json.loads(row["public_reply_ids"] or "[]")],
    )


async def public_actors_of(case_id: uuid.UUID, actor_ids: list[uuid.UUID]) -> list[PublicActorOut]:
    if not actor_ids:
        return []
    links = await CaseActor.select(
        CaseActor.actor, CaseActor.role, CaseActor.actor.name, CaseActor.actor.kind, CaseActor.actor.aliases
    ).where(
        (CaseActor.case == case_id)
        & CaseActor.actor.is_in(actor_ids)
        & (CaseActor.protect_identity == False)  # noqa: E712
        & CaseActor.actor.owner_case.is_null()
    )
    by_id = {link["actor"]: link for link in links}
    return [
        PublicActorOut(
            id=a,
            name=by_id[a]["actor.name"],
            kind=by_id[a]["actor.kind"],
            role=by_id[a]["role"],
            aliases=[str(alias) for alias in json.loads(by_id[a]["actor.aliases"] or "[]")],
        )
        for a in actor_ids
        if a in by_id
    ]


async def file_decisions(case_id: uuid.UUID) -> list[dict[str, Any]]:
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


@dataclass(frozen=True)
class FileCheck:
    """Where one file to be published stands in the leak check's reading (``filecheck``)."""

    attachment_id: uuid.UUID
    state: CheckState
    pages: int
    checked_pages: int
    problem: str | None


@dataclass(frozen=True)
class LeakCheck:
    """The leak check of a draft: findings in its texts and files, and the files not (yet) read."""

    findings: list[Finding]
    files: list[FileCheck]

    @property
    def ok(self) -> bool:
        return not self.findings and all(file.state == CheckState.done for file in self.files)


def _page_text(page: PageText) -> tuple[str, list[tuple[int, int, Word]]]:
    """The words of a page as one text (a line break between lines), and where each word is in it."""
    pieces: list[str] = []
    spans: list[tuple[int, int, Word]] = []
    position = 0
    previous_line: int | None = None
    for word in page.words:
        if previous_line is not None:
            separator = " " if word.line == previous_line else "\n"
            pieces.append(separator)
            position += 1
        pieces.append(word.text)
        spans.append((position, position + len(word.text), word))
        position += len(word.text)
        previous_line = word.line
    return "".join(pieces), spans


def file_findings(
    names: list[ProtectedName], attachment_id: uuid.UUID, pages: list[PageText]
) -> list[Finding]:
    findings: list[Finding] = []
    for page in pages:
        text, spans = _page_text(page)
        for finding in check_texts(names, {f"file:{attachment_id}": text}):
            words = [word for start, end, word in spans if start < finding.end and end > finding.start]
            x0 = min(w.x for w in words)
            y0 = min(w.y for w in words)
            x1 = max(w.x + w.width for w in words)
            y1 = max(w.y + w.height for w in words)
            found = replace(finding, page=page.page, box=(x0, y0, x1 - x0, y1 - y0), source=page.source)
            # A page read twice (as it lies, and turned upright) finds the same name twice: once is enough.
            if not any(_same_place(found, other) for other in findings):
                findings.append(found)
    return findings


def _same_place(a: Finding, b: Finding) -> bool:
    if (a.page, a.source, a.actor_id) != (b.page, b.source, b.actor_id) or a.box is None or b.box is None:
        return False
    ax, ay, aw, ah = a.box
    bx, by, bw, bh = b.box
    overlap = max(0.0, min(ax + aw, bx + bw) - max(ax, bx)) * max(0.0, min(ay + ah, by + bh) - max(ay, by))
    return overlap > 0.5 * min(aw * ah, bw * bh)


async def leak_check(
    key: CaseKey, case_id: uuid.UUID, draft: Draft, decisions: list[dict[str, Any]]
) -> LeakCheck:
    """Every protected name in the public texts and in what was read of every file to be published
    (the OCR of each page, the original's text layer outside the boxes); files not read yet are
    listed, and keep the check from passing."""
    names = await protected_names(key, case_id)
    texts = {"public_title": draft.title, "public_summary": draft.summary, "public_body": draft.body}
    for actor in await public_actors_of(case_id, draft.actor_ids):
        texts[f"actor:{actor.id}"] = "\n".join([actor.name, *actor.aliases])
    texts |= referrals_public.leak_texts(
        *await referrals_public.snapshot(key, case_id, draft.referral_ids, draft.reply_ids)
    )
    findings = check_texts(names, texts) if names else []
    files: list[FileCheck] = []
    for item in decisions:
        if (
            item["decision"] not in (Decision.publish_redacted, Decision.publish_as_filed)
            or not item["rendition_id"]
        ):
            continue
        rendition = await Rendition.select().where(Rendition.id == item["rendition_id"]).first()
        if rendition is None:  # the decision's foreign key is set to null when a rendition goes
            raise RuntimeError(f"rendition {item['rendition_id']} is missing")
        state = CheckState(rendition["check_state"])
        files.append(
            FileCheck(
                item["attachment_id"],
                state,
                int(rendition["pages"]),
                int(rendition["checked_pages"]),
                rendition["check_problem"],
            )
        )
        if state == CheckState.done and names:
            findings += file_findings(names, item["attachment_id"], load_reading(key, rendition))
    return LeakCheck(findings, files)


def blockers_of(
    draft: Draft | None, decisions: list[dict[str, Any]], check: LeakCheck | None
) -> list[BlockerOut]:
    """What stands between the draft and approval, worked out once: the draft's answer, the pages
    and the approval check (`publication_problem`) all read this list."""
    if draft is None:
        return [BlockerOut("no_draft", "there is no publication draft yet")]
    blockers = []
    if not draft.title.strip() or not draft.summary.strip() or not draft.body.strip():
        blockers.append(BlockerOut("texts_missing", "the public title, summary and body must all be written"))
    for item in decisions:
        file_id = item["attachment_id"]
        if item["decision"] is None:
            blockers.append(
                BlockerOut(
                    "file_undecided", f"file {file_id} has no publication decision", attachment_id=file_id
                )
            )
        elif item["decision"] != Decision.withhold and item["rendition_id"] is None:
            blockers.append(
                BlockerOut(
                    "file_without_copy",
                    f"file {file_id} is to be published but has no redacted copy yet",
                    attachment_id=file_id,
                )
            )
    for file in check.files if check else []:
        if file.state in (CheckState.pending, CheckState.running):
            blockers.append(
                BlockerOut(
                    "file_check_pending",
                    f"file {file.attachment_id} is still being read for protected names "
                    f"({file.checked_pages} of {file.pages} pages)",
                    attachment_id=file.attachment_id,
                )
            )
        elif file.state == CheckState.failed:
            blockers.append(
                BlockerOut(
                    "file_check_failed",
                    f"file {file.attachment_id} could not be read for protected names ({file.problem})",
                    attachment_id=file.attachment_id,
                )
            )
    for finding in check.findings if check else []:
        if finding.page is not None:
            detail = f"leak check: a protected name appears in {finding.location} on page {finding.page}"
        else:
            detail = f"leak check: a protected name appears in {finding.location} at {finding.start}"
        blockers.append(
            BlockerOut(
                "protected_name",
                detail,
                attachment_id=uuid.UUID(finding.location[5:])
                if finding.location.startswith("file:")
                else None,
                location=finding.location,
            )
        )
    return blockers


def _finding_out(finding: Finding) -> FindingOut:
    if finding.location.startswith("file:"):
        field, attachment_id = "file", uuid.UUID(finding.location[5:])
    elif finding.location.startswith("actor:"):
        field, attachment_id = "public_actor_ids", None
    elif finding.location.startswith("referral:"):
        field, attachment_id = "public_referral_ids", None
    elif finding.location.startswith("reply:"):
        field, attachment_id = "public_reply_ids", None
    else:
        field, attachment_id = finding.location, None
    return FindingOut(
        field=field,
        attachment_id=attachment_id,
        page=finding.page,
        box=BoxOut(*finding.box) if finding.box else None,
        source=finding.source,
        location=finding.location,
        actor_id=finding.actor_id,
        start=finding.start,
        end=finding.end,
        excerpt=finding.excerpt,
    )


async def _draft_out(ctx: ServiceContext, key: CaseKey, case_id: uuid.UUID, draft: Draft | None) -> DraftOut:
    decisions = await file_decisions(case_id)
    check = await leak_check(key, case_id, draft, decisions) if draft is not None else None
    blockers = blockers_of(draft, decisions, check)
    checks = {file.attachment_id: file for file in check.files} if check else {}
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
                check_state=checks[item["attachment_id"]].state if item["attachment_id"] in checks else None,
                pages=checks[item["attachment_id"]].pages if item["attachment_id"] in checks else None,
                checked_pages=(
                    checks[item["attachment_id"]].checked_pages if item["attachment_id"] in checks else None
                ),
                check_problem=checks[item["attachment_id"]].problem
                if item["attachment_id"] in checks
                else None,
            )
            for item in decisions
        ],
        leak_check=LeakCheckOut(
            ok=check.ok if check else True,
            pending=[
                f.attachment_id for f in check.files if f.state in (CheckState.pending, CheckState.running)
            ]
            if check
            else [],
            failed=[f.attachment_id for f in check.files if f.state == CheckState.failed] if check else [],
            findings=[_finding_out(f) for f in check.findings] if check else [],
        ),
        missing=[blocker.detail for blocker in blockers],
        updated_at=draft.updated_at if draft else None,
        blockers=blockers,
        incident_date_precision=draft.incident_date_precision if draft else None,
        public_referral_ids=draft.referral_ids if draft else [],
        public_reply_ids=draft.reply_ids if draft else [],
    )


async def get_draft(ctx: ServiceContext, principal: Principal, case_id: uuid.UUID) -> DraftOut:
    row = await team_case_row(principal, case_id)
    key = case_key(ctx, row)
    return await _draft_out(ctx, key, case_id, await load_draft(key, case_id))


async def save_draft(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, data: DraftIn
) -> DraftOut:
    """Write the public version and the decision for each file; runs the leak check on every save.
    A change to an approved draft (or to the draft a correction was proposed from) voids that
    approval (or proposal), with a notice: ``DraftOut.voided``."""
    row = await team_case_row(principal, case_id)
    if row["status"] not in EDITABLE_STATES:
        raise WrongState(
            f"the public version is drafted during review, not while the case is {row['status']}",
            code="drafting_closed",
        )
    title = clean_text(data.public_title, "public_title", MAX_PUBLIC_TEXT["public_title"], required=False)
    summary = clean_text(
        data.public_summary, "public_summary", MAX_PUBLIC_TEXT["public_summary"], required=False
    )
    body = clean_text(data.public_body, "public_body", MAX_PUBLIC_TEXT["public_body"], required=False)
    precision = data.incident_date_precision or None
    if precision is not None and (
        precision not in PRECISIONS
        or PRECISIONS.index(precision) > PRECISIONS.index(row["incident_date_precision"])
    ):
        raise Invalid(
            "the incident date can be published less precisely than the member gave it, never more",
            code="precision_finer",
            field="incident_date_precision",
        )
    if precision == row["incident_date_precision"]:
        precision = None
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
            raise Invalid(
                "public_actor_ids must name actors of this case",
                code="public_actor_unknown",
                field="public_actor_ids",
            )
        if link["protect_identity"]:
            raise Invalid(
                "an actor whose identity is protected is never shown publicly",
                code="protected_actor_public",
                field="public_actor_ids",
            )
        if link["actor.owner_case"] is not None:
            raise Invalid(
                "link the actor to a shared record on the case page before showing it publicly",
                code="public_actor_not_linked",
                field="public_actor_ids",
            )

    await referrals_public.check_choice(case_id, data.public_referral_ids, data.public_reply_ids)
    attachments = {a["id"]: a for a in await Attachment.select().where(Attachment.case == case_id)}
    for item in data.attachments:
        attachment = attachments.get(item.attachment_id)
        if attachment is None:
            raise Invalid(
                "attachments must name files of this case", code="attachment_unknown", field="attachments"
            )
        if item.decision != Decision.withhold and redaction_kind(attachment["content_type"]) is None:
            raise Invalid(
                "audio, video and office files are withheld until a redaction path exists for them",
                code="must_withhold",
                field="attachments",
            )
    # "As filed" publishes a copy cleaned of metadata; make it before the transaction (CPU work).
    cleaned = {
        item.attachment_id: await cleaned_rendition(ctx, principal, attachments[item.attachment_id])
        for item in data.attachments
        if item.decision == Decision.publish_as_filed
    }

    async with db.transaction():
        await custody.lock_log()
        current = await Case.select(Case.status).where(Case.id == case_id).first()
        if current is None:
            raise NotFound("no such case")
        if current["status"] not in EDITABLE_STATES:
            raise WrongState("the case left review while the draft was being saved", code="case_left_review")
        now = datetime.datetime.now(datetime.UTC)
        values: dict[Column, Any] = {
            PublicationDraft.title_sealed: key.seal("draft:title", title),
            PublicationDraft.summary_sealed: key.seal("draft:summary", summary),
            PublicationDraft.body_sealed: key.seal("draft:body", body),
            PublicationDraft.public_actor_ids: json.dumps([str(a) for a in actor_ids]),
            PublicationDraft.updated_at: now,
            PublicationDraft.updated_by: principal.id,
            PublicationDraft.incident_date_precision: precision,
            PublicationDraft.public_referral_ids: json.dumps(
                [str(r) for r in dict.fromkeys(data.public_referral_ids)]
            ),
            PublicationDraft.public_reply_ids: json.dumps(
                [str(r) for r in dict.fromkeys(data.public_reply_ids)]
            ),
        }
        if await PublicationDraft.exists().where(PublicationDraft.case == case_id):
            # Piccolo annotates update() as taking dict[Column | str, Any] (invariant); a Mapping would do.
            await PublicationDraft.update(values).where(PublicationDraft.case == case_id)  # type: ignore[arg-type]
        else:
            await PublicationDraft.insert(
                PublicationDraft(
                    **{column._meta.name: value for column, value in values.items()}, case=case_id
                )
            )
        for item in data.attachments:
            rendition: uuid.UUID | None
            if item.decision == Decision.publish_as_filed:
                # A copy still being made when the request stopped waiting may have been finished
                # since (the log lock orders this with the job's own write, which attaches the copy
                # to the decision when it comes later).
                rendition = cleaned[item.attachment_id] or await latest_rendition(
                    item.attachment_id, "cleaned"
                )
            elif item.decision == Decision.publish_redacted:
                rendition = await latest_rendition(item.attachment_id, "redacted")
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
        voided, mails = await _void_what_changed(ctx, principal, key, row, CaseStatus(current["status"]))
    await notifications.queue_emails(ctx.jobs, mails)
    saved = await _draft_out(ctx, key, case_id, await load_draft(key, case_id))
    return msgspec.structs.replace(saved, voided=voided)


async def _void_what_changed(
    ctx: ServiceContext, principal: Principal, key: CaseKey, row: dict[str, Any], status: CaseStatus
) -> tuple[str | None, list[uuid.UUID]]:
    """In the saving transaction: if the draft is no longer what an editor approved, the case goes
    back to ``verified`` (another editor must approve it again); if it is no longer what a
    correction was proposed from, the proposal is dropped. The editor whose approval or proposal
    it was gets a notification; the custody log records it. Returns what was voided ("approval",
    "correction" or None) and the notifications to mail."""
    case_id = row["id"]
    digest = await draft_digest(key, case_id)
    email = ctx.settings.smtp is not None
    if status == CaseStatus.approved:
        pinned = await PublicationDraft.select(PublicationDraft.approved_digest).where(
            PublicationDraft.case == case_id
        )
        if pinned and pinned[0]["approved_digest"] == digest:
            return None, []
        approval = (
            await Transition.select(Transition.actor)
            .where((Transition.case == case_id) & (Transition.action == "approve"))
            .order_by(Transition.at, ascending=False)
            .first()
        )
        now = datetime.datetime.now(datetime.UTC)
        entry = await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="case.approval_voided",
            subject=f"case:{case_id}",
            details={"draft_sha256": digest},
        )
        await Case.update({Case.status: CaseStatus.verified.value, Case.updated_at: now}).where(
            Case.id == case_id
        )
        await PublicationDraft.update({PublicationDraft.approved_digest: None}).where(
            PublicationDraft.case == case_id
        )
        await Transition.insert(
            Transition(
                case=case_id,
                from_status=CaseStatus.approved.value,
                to_status=CaseStatus.verified.value,
                action="approval_voided",
                actor=principal.id,
                at=now,
                custody_seq=entry.seq,
            )
        )
        approver = [approval["actor"]] if approval and approval["actor"] != principal.id else []
        mails = await notifications.notify(
            approver,
            NotificationKind.approval_voided,
            case_id=case_id,
            reference=row["reference"],
            email=email,
        )
        return "approval", mails
    dropped, mails = await drop_proposed_correction(ctx, principal.id, row, digest)
    return ("correction" if dropped else None), mails


async def latest_rendition(attachment_id: uuid.UUID, kind: str) -> uuid.UUID | None:
    latest = (
        await Rendition.select(Rendition.id)
        .where((Rendition.attachment == attachment_id) & (Rendition.kind == kind))
        .order_by(Rendition.created_at, ascending=False)
        .first()
    )
    return latest["id"] if latest else None


async def draft_digest(key: CaseKey, case_id: uuid.UUID) -> str:
    """SHA-256 of exactly what would be published: the texts, the public actors, and each file's
    decision with the hash of the copy to publish."""
    draft = await load_draft(key, case_id)
    files = []
    for item in await file_decisions(case_id):
        sha256 = None
        if item["rendition_id"] is not None:
            rendition = (
                await Rendition.select(Rendition.sha256).where(Rendition.id == item["rendition_id"]).first()
            )
            sha256 = rendition["sha256"] if rendition else None
        files.append([str(item["attachment_id"]), item["decision"], sha256])
    # The public actors as they would be shown: a shared record renamed after the approval is not
    # what was approved.
    shown = await public_actors_of(case_id, draft.actor_ids) if draft else []
    referrals, replies = (
        await referrals_public.snapshot(key, case_id, draft.referral_ids, draft.reply_ids)
        if draft
        else ([], [])
    )
    payload = {
        "referrals": referrals,
        "replies": replies,
        "shown_actors": [[str(a.id), a.name, a.aliases, a.role] for a in shown],
        "title": draft.title if draft else None,
        "summary": draft.summary if draft else None,
        "body": draft.body if draft else None,
        "actors": sorted(str(a) for a in draft.actor_ids) if draft else [],
        "incident_date_precision": draft.incident_date_precision if draft else None,
        "files": sorted(files, key=lambda f: str(f[0])),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


async def last_changed_by(case_id: uuid.UUID) -> uuid.UUID | None:
    row = (
        await PublicationDraft.select(PublicationDraft.updated_by)
        .where(PublicationDraft.case == case_id)
        .first()
    )
    return row["updated_by"] if row else None


async def pin_approval(key: CaseKey, case_id: uuid.UUID) -> str:
    """Record what the approving editor saw; call it in the approving transaction."""
    digest = await draft_digest(key, case_id)
    await PublicationDraft.update({PublicationDraft.approved_digest: digest}).where(
        PublicationDraft.case == case_id
    )
    return digest


async def check_approved(key: CaseKey, case_id: uuid.UUID) -> None:
    """Refuse to publish anything but what was approved; call it in the publishing transaction."""
    row = (
        await PublicationDraft.select(PublicationDraft.approved_digest)
        .where(PublicationDraft.case == case_id)
        .first()
    )
    if row is None or row["approved_digest"] != await draft_digest(key, case_id):
        raise WrongState(
            "the draft is not what the editor approved: send the case back and approve it again",
            code="approval_stale",
        )


async def publication_problem(ctx: ServiceContext, row: dict[str, Any]) -> str | None:
    """Why the case cannot be approved or published as its draft stands (None when it can)."""
    key = case_key(ctx, row)
    draft = await load_draft(key, row["id"])
    decisions = await file_decisions(row["id"])
    check = await leak_check(key, row["id"], draft, decisions) if draft is not None else None
    blockers = blockers_of(draft, decisions, check)
    if not blockers:
        return None
    return "the publication draft is not complete: " + "; ".join(blocker.detail for blocker in blockers)
