"""A referral's documents: the letter sent, the proof of delivery, the institution's answer.

They are the case's evidence like the member's files (``cases.evidence``): sealed in the vault,
bound to their rows, a custody entry each, frozen at once; only the review team sees them. They
reach the public only as any file does: chosen in the publication draft, redacted or cleaned,
read by the leak check as the public will get them, and approved by a second editor.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

from integrity.cases import evidence
from integrity.cases.schemas import AttachmentOut
from integrity.cases.sealing import case_key
from integrity.context import ServiceContext
from integrity.errors import Invalid, NotFound
from integrity.http.multipart import FormPart
from integrity.referrals.service import referral_row, team_row
from integrity.referrals.tables import DocumentRole, ReferralAnswer
from integrity.security.guards import Principal


async def check_link(
    case_id: uuid.UUID, referral_id: uuid.UUID, role: str | None, answer_id: uuid.UUID | None
) -> evidence.ReferralLink:
    """Where the documents go, checked before a byte of them is stored."""
    await referral_row(case_id, referral_id)
    try:
        chosen = DocumentRole(role or (DocumentRole.answer if answer_id is not None else DocumentRole.sent))
    except ValueError:
        raise Invalid(
            "role is one of " + ", ".join(r.value for r in DocumentRole),
            code="document_role_unknown",
            field="role",
        ) from None
    if answer_id is not None:
        answer = (
            await ReferralAnswer.select(ReferralAnswer.referral).where(ReferralAnswer.id == answer_id).first()
        )
        if answer is None or answer["referral"] != referral_id:
            raise NotFound("the referral has no such answer", code="answer_not_found")
        if chosen != DocumentRole.answer:
            raise Invalid(
                "a document of an answer has the role answer", code="document_role_mismatch", field="role"
            )
    return evidence.ReferralLink(referral_id=referral_id, role=chosen.value, answer_id=answer_id)


async def add_documents(
    ctx: ServiceContext,
    principal: Principal,
    case_id: uuid.UUID,
    referral_id: uuid.UUID,
    parts: AsyncIterator[FormPart],
    *,
    role: str | None = None,
    answer_id: uuid.UUID | None = None,
) -> list[AttachmentOut]:
    """Add the files of ``parts`` to the referral (all or nothing); the review team only."""
    case = await team_row(principal, case_id)
    link = await check_link(case_id, referral_id, role, answer_id)
    return await evidence.add_referral_documents(ctx, principal, case_id, case_key(ctx, case), parts, link)
