"""Submitting a case and its signed receipt: what was filed, hashed and signed so the member can
prove it later."""

from __future__ import annotations

import datetime
import uuid

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
