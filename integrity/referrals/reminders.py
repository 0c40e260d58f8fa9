"""Reminders to a case's review team about institutions' answers: once when an answer is due within
``DAYS_BEFORE`` days, once when it is overdue (which also puts the change on the custody record).

The need for each is in the referral's own row (``reminded_soon_at``, ``reminded_overdue_at``): the
queue's periodic task finds what is owed, and a process that stops half-way leaves it owed. A row
is claimed by its update, so two workers never remind twice.
"""

from __future__ import annotations

import datetime
import uuid

from piccolo.custom_types import Combinable

from integrity import db
from integrity.cases.service import review_team_for
from integrity.cases.tables import Case
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.notifications import service as notifications
from integrity.notifications.tables import NotificationKind
from integrity.referrals import deadlines
from integrity.referrals.tables import Referral, ReferralAnswer

#: How many days before its deadline an answer's reminder goes out.
DAYS_BEFORE = 3


async def send_due(ctx: ServiceContext, *, on: datetime.date | None = None) -> list[uuid.UUID]:
    """Remind the teams of every referral that is owed a reminder on day ``on``; returns the
    notifications to e-mail."""
    on = on or deadlines.today()
    open_referral: Combinable = Referral.closed_at.is_null() & Referral.id.not_in(
        ReferralAnswer.select(ReferralAnswer.referral)
    )
    mails: list[uuid.UUID] = []
    overdue = await Referral.select(Referral.id).where(
        open_referral & Referral.reminded_overdue_at.is_null() & (Referral.due_at < on)
    )
    for row in overdue:
        mails += await _remind(ctx, row["id"], NotificationKind.referral_overdue, on)
    soon = await Referral.select(Referral.id).where(
        open_referral
        & Referral.reminded_soon_at.is_null()
        & (Referral.due_at >= on)
        & (Referral.due_at <= on + datetime.timedelta(days=DAYS_BEFORE))
    )
    for row in soon:
        mails += await _remind(ctx, row["id"], NotificationKind.referral_due_soon, on)
    return mails


async def _remind(
    ctx: ServiceContext, referral_id: uuid.UUID, kind: NotificationKind, on: datetime.date
) -> list[uuid.UUID]:
    overdue = kind == NotificationKind.referral_overdue
    column = Referral.reminded_overdue_at if overdue else Referral.reminded_soon_at
    async with db.transaction():
        if overdue:
            await custody.lock_log()
        claimed = await (
            Referral.update({column: on, **({Referral.reminded_soon_at: on} if overdue else {})})
            .where((Referral.id == referral_id) & column.is_null())
            .returning(Referral.case, Referral.due_at)
        )
        if not claimed:
            return []  # another worker has it
        case_id = claimed[0]["case"]
        case = await Case.select(Case.reference).where(Case.id == case_id).first()
        if case is None:
            return []
        if overdue:
            await custody.append_entry(
                ctx.signer,
                actor_id=None,
                action="referral.overdue",
                subject=f"case:{case_id}",
                details={"referral": str(referral_id), "due_at": claimed[0]["due_at"].isoformat()},
            )
        return await notifications.notify(
            await review_team_for(case_id, exclude=set()),
            kind,
            case_id=case_id,
            reference=case["reference"],
            email=ctx.settings.smtp is not None,
        )
