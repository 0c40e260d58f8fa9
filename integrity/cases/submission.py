"""Submitting a case and its signed receipt: what was filed, hashed and signed so the member can
prove it later."""

from __future__ import annotations

import datetime
import hashlib
import uuid
from typing import Any

from integrity import db
from integrity.cases import workflow
from integrity.cases.access import load_case_row, require_submitter
from integrity.cases.evidence import sha256_salt
from integrity.cases.schemas import (
    CaseOut,
    ReceiptOut,
)
from integrity.cases.sealing import case_key
from integrity.cases.service import case_facts, get_case, review_team_for
from integrity.cases.tables import (
    Attachment,
    Case,
    CaseStatus,
    Comment,
    CommentKind,
    FormDraft,
    SupplementReceipt,
    Transition,
)
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.custody.signing import canonical_json, rfc3339
from integrity.errors import NotFound, WrongState
from integrity.notifications import service as notifications
from integrity.notifications.tables import NotificationKind
from integrity.security.guards import Principal


async def submit_case(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID
) -> tuple[CaseOut, ReceiptOut]:
    row = await load_case_row(principal, case_id)
    require_submitter(principal, row, "submit it")
    async with db.transaction():
        await custody.lock_log()
        current = await Case.select().where(Case.id == case_id).first()
        if current is None:
            raise NotFound("no such case")
        workflow.check(principal, current, await case_facts(case_id), "submit")
        key = case_key(ctx, current)
        attachments = (
            await Attachment.select(
                Attachment.id, Attachment.sha256, Attachment.size, Attachment.sha256_salt_sealed
            )
            .where(Attachment.case == case_id)
            .order_by(Attachment.uploaded_at)
        )
        # The salt of each file's public commitment goes to the member with the receipt: with it,
        # they (or a court) can show that a public custody entry is about this very file.
        files = [
            {"sha256": a["sha256"], "size": int(a["size"])}
            | ({"sha256_salt": salt.hex()} if (salt := sha256_salt(key, a)) else {})
            for a in attachments
        ]
        now = datetime.datetime.now(datetime.UTC)
        submitted_at = rfc3339(now)
        entry = await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="case.submitted",
            subject=f"case:{case_id}",
            details={"reference": current["reference"], "files": files},
        )
        payload = canonical_json(
            {
                "reference": current["reference"],
                "case_id": str(case_id),
                "submitted_at": submitted_at,
                "files": files,
                "custody_seq": entry.seq,
            }
        ).decode("utf-8")
        signature = ctx.signer.sign(payload.encode("utf-8"))
        await Case.update(
            {
                Case.status: CaseStatus.submitted.value,
                Case.submitted_at: now,
                Case.updated_at: now,
                Case.receipt_payload: payload,
                Case.receipt_signature: signature,
                Case.receipt_key_id: ctx.signer.key_id,
            }
        ).where(Case.id == case_id)
        await Attachment.update({Attachment.frozen: True}).where(Attachment.case == case_id)
        # The edit form can no longer be opened: what was kept of it while being written goes.
        await FormDraft.delete().where(FormDraft.case == case_id)
        mails = await notifications.notify(
            await review_team_for(case_id, exclude={principal.id}),
            NotificationKind.new_submission,
            case_id=case_id,
            reference=current["reference"],
            email=ctx.settings.smtp is not None,
        )
        await Transition.insert(
            Transition(
                case=case_id,
                from_status=CaseStatus.draft.value,
                to_status=CaseStatus.submitted.value,
                action="submit",
                by_submitter=True,
                at=now,
                custody_seq=entry.seq,
            )
        )
    await notifications.queue_emails(ctx.jobs, mails)
    receipt = ReceiptOut(payload=payload, signature=signature, key_id=ctx.signer.key_id)
    return await get_case(ctx, principal, case_id), receipt


async def get_receipt(principal: Principal, case_id: uuid.UUID) -> ReceiptOut:
    row = await load_case_row(principal, case_id)
    require_submitter(principal, row, "fetch its receipt")
    if row["receipt_payload"] is None:
        raise WrongState("the case has not been submitted yet", code="case_not_submitted")
    return ReceiptOut(
        payload=row["receipt_payload"],
        signature=row["receipt_signature"],
        key_id=row["receipt_key_id"],
    )


async def latest_request_answered(case_id: uuid.UUID) -> datetime.datetime | None:
    """When the latest request for information was made, if the member has answered it since (the
    answer must come before the information is sent back); WrongState if not."""
    request = (
        await Comment.select(Comment.created_at)
        .where((Comment.case == case_id) & (Comment.kind == CommentKind.request.value))
        .order_by(Comment.created_at, ascending=False)
        .first()
    )
    since = request["created_at"] if request else None
    answered = Comment.exists().where((Comment.case == case_id) & (Comment.kind == CommentKind.answer.value))
    if since is not None:
        answered = answered.where(Comment.created_at > since)
    if not await answered:
        raise WrongState(
            "write your answer to the request before sending the information", code="answer_missing"
        )
    return since


async def sign_supplement(
    ctx: ServiceContext, row: dict[str, Any], *, since: datetime.datetime | None, custody_seq: int
) -> ReceiptOut:
    """Inside the transaction that sends the information back: a signed receipt of what the
    member sent while answering, the files added since the request (not yet filed) and the hash of
    each answer, like the receipt of the submission (and checked the same way on /verify)."""
    key = case_key(ctx, row)
    case_id = row["id"]
    attachments = (
        await Attachment.select(
            Attachment.id, Attachment.sha256, Attachment.size, Attachment.sha256_salt_sealed
        )
        .where((Attachment.case == case_id) & (Attachment.frozen == False))  # noqa: E712
        .order_by(Attachment.uploaded_at)
    )
    files = [
        {"sha256": a["sha256"], "size": int(a["size"])}
        | ({"sha256_salt": salt.hex()} if (salt := sha256_salt(key, a)) else {})
        for a in attachments
    ]
    answers = Comment.select(Comment.id, Comment.body_sealed).where(
        (Comment.case == case_id) & (Comment.kind == CommentKind.answer.value)
    )
    if since is not None:
        answers = answers.where(Comment.created_at > since)
    answer_hashes = [
        {
            "sha256": hashlib.sha256(
                key.open_text(f"comment:{c['id']}", c["body_sealed"]).encode("utf-8")
            ).hexdigest()
        }
        for c in await answers.order_by(Comment.created_at)
    ]
    payload = canonical_json(
        {
            "reference": row["reference"],
            "case_id": str(case_id),
            "kind": "supplement",
            "answered_at": rfc3339(datetime.datetime.now(datetime.UTC)),
            "files": files,
            "answers": answer_hashes,
            "custody_seq": custody_seq,
        }
    ).decode("utf-8")
    signature = ctx.signer.sign(payload.encode("utf-8"))
    await SupplementReceipt.insert(
        SupplementReceipt(case=case_id, payload=payload, signature=signature, key_id=ctx.signer.key_id)
    )
    return ReceiptOut(payload=payload, signature=signature, key_id=ctx.signer.key_id)


async def list_receipts(principal: Principal, case_id: uuid.UUID) -> list[ReceiptOut]:
    """The case's signed receipts, oldest first: the submission's, then one per answer."""
    first = await get_receipt(principal, case_id)
    supplements = (
        await SupplementReceipt.select()
        .where(SupplementReceipt.case == case_id)
        .order_by(SupplementReceipt.created_at)
    )
    return [
        first,
        *(
            ReceiptOut(payload=r["payload"], signature=r["signature"], key_id=r["key_id"])
            for r in supplements
        ),
    ]
