"""A member's erasure: they ask to be forgotten, two admins confirm, and then the cases they filed
that were never published are shredded (``retention.shred_case``) and their account anonymised:
no e-mail (nor in the invitations sent to them), no name or profession, no password, no second
factor, no session or token, no form saved while writing a case left; deactivated.

Published cases stay as published (the public version never named them, and the link between
them and the case is a keyed hash and a sealed id, both useless once the account is anonymised).
A case under legal hold stops the erasure (409 ``legal_hold``) until the hold is released: the
court's need is the one that waits for nobody. Every step is a custody entry.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from integrity import db
from integrity.accounts.tables import (
    ApiToken,
    Invitation,
    Member,
    MemberSession,
    Profession,
    RecoveryCode,
    Role,
)
from integrity.cases.tables import Case, FormDraft
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import Forbidden, NotFound, WrongState
from integrity.notifications import service as notifications
from integrity.notifications.tables import Notification, NotificationKind
from integrity.preservation.access import ask_others
from integrity.preservation.holds import is_held
from integrity.preservation.retention import shred_case
from integrity.preservation.tables import ErasureRequest, ErasureStatus
from integrity.publication.tables import PublicCase
from integrity.security.guards import Principal
from integrity.security.passwords import hash_password
from integrity.security.roles import ADMIN


@dataclass(frozen=True)
class Erasure:
    id: uuid.UUID
    status: str
    #: How many cases were shredded (once ``done``).
    shredded: int = 0
    #: For the admins' page: whose account it is and when they asked (until it is done).
    member_name: str = ""
    member_email: str = ""
    created_at: datetime.datetime | None = None
    #: This admin confirmed it already: a second one is needed.
    confirmed_by_me: bool = False


def _waiting(member_id: uuid.UUID) -> Any:
    """The member's request that is not carried out yet (there is at most one)."""
    return (ErasureRequest.member == member_id) & (ErasureRequest.status != ErasureStatus.done.value)


async def request_erasure(ctx: ServiceContext, principal: Principal) -> Erasure:
    """The member asks to be forgotten."""
    waiting = await ErasureRequest.exists().where(_waiting(principal.id))
    if waiting:
        raise WrongState("your erasure is already asked for", code="erasure_pending")
    erasure_id = uuid.uuid4()
    async with db.transaction():
        await custody.lock_log()
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="member.erasure_requested",
            subject=f"erasure:{erasure_id}",
            details={},
        )
        await ErasureRequest.insert(ErasureRequest(id=erasure_id, member=principal.id))
        mails = await ask_others(ctx, principal.id, NotificationKind.erasure_requested, erasure_id=erasure_id)
    await notifications.queue_emails(ctx.jobs, mails)
    return Erasure(id=erasure_id, status=ErasureStatus.pending.value)


async def withdraw_erasure(ctx: ServiceContext, principal: Principal) -> None:
    """The member takes their request back, while it waits (nothing was done yet)."""
    row = await ErasureRequest.select(ErasureRequest.id).where(_waiting(principal.id)).first()
    if row is None:
        raise NotFound("you have no erasure request waiting", code="erasure_not_found")
    async with db.transaction():
        await custody.lock_log()
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="member.erasure_withdrawn",
            subject=f"erasure:{row['id']}",
            details={},
        )
        await Notification.delete().where(Notification.case_id == row["id"])
        await ErasureRequest.delete().where(ErasureRequest.id == row["id"])


async def my_erasure(principal: Principal) -> Erasure | None:
    """The member's own request, while it waits."""
    row = await ErasureRequest.select().where(_waiting(principal.id)).first()
    return Erasure(id=row["id"], status=row["status"]) if row else None


async def pending_erasures(principal: Principal) -> list[Erasure]:
    if principal.role != ADMIN:
        raise Forbidden("erasures are confirmed by admins", code="admins_only")
    rows = (
        await ErasureRequest.select(
            *ErasureRequest.all_columns(),
            ErasureRequest.member.display_name.as_alias("member_name"),
            ErasureRequest.member.email.as_alias("member_email"),
        )
        .where(ErasureRequest.status != ErasureStatus.done.value)
        .order_by(ErasureRequest.created_at)
    )
    return [
        Erasure(
            id=row["id"],
            status=row["status"],
            member_name=row["member_name"],
            member_email=row["member_email"],
            created_at=row["created_at"],
            confirmed_by_me=row["first_confirmed_by"] == principal.id,
        )
        for row in rows
    ]


async def confirm_erasure(ctx: ServiceContext, principal: Principal, erasure_id: uuid.UUID) -> Erasure:
    """An admin confirms; at the second admin's confirmation the erasure is carried out."""
    if principal.role != ADMIN:
        raise Forbidden("erasures are confirmed by admins", code="admins_only")
    row = await ErasureRequest.select().where(ErasureRequest.id == erasure_id).first()
    if row is None:
        raise NotFound("no such erasure request", code="erasure_not_found")
    if row["status"] == ErasureStatus.done:
        raise WrongState("the member is erased already", code="erasure_done")
    if row["member"] == principal.id:
        raise WrongState("another admin confirms your own erasure", code="four_eyes_erasure")
    if row["status"] == ErasureStatus.pending:
        async with db.transaction():
            await custody.lock_log()
            await custody.append_entry(
                ctx.signer,
                actor_id=str(principal.id),
                action="member.erasure_confirmed",
                subject=f"erasure:{erasure_id}",
                details={},
            )
            await ErasureRequest.update(
                {
                    ErasureRequest.status: ErasureStatus.confirmed.value,
                    ErasureRequest.first_confirmed_by: principal.id,
                }
            ).where(ErasureRequest.id == erasure_id)
        return Erasure(id=erasure_id, status=ErasureStatus.confirmed.value)
    if row["first_confirmed_by"] == principal.id:
        raise WrongState("a second admin confirms the erasure: you confirmed it", code="four_eyes_erasure")
    return await _erase(ctx, principal, erasure_id, row["member"])


async def _erase(
    ctx: ServiceContext, principal: Principal, erasure_id: uuid.UUID, member_id: uuid.UUID
) -> Erasure:
    tag = ctx.signer.filer_tag(member_id)
    filed = await Case.select(Case.id).where(Case.submitter_tag == tag)
    unpublished = [
        row["id"] for row in filed if not await PublicCase.exists().where(PublicCase.case == row["id"])
    ]
    for case_id in unpublished:
        if await is_held(case_id):
            raise WrongState(
                "a case this member filed is under legal hold: the erasure waits until it is released",
                code="legal_hold",
            )
    shredded = 0
    for case_id in unpublished:
        await shred_case(ctx, case_id, reason="erasure", actor_id=str(principal.id), any_status=True)
        shredded += 1
    async with db.transaction():
        await custody.lock_log()
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="member.erased",
            subject=f"erasure:{erasure_id}",
            details={"cases_shredded": shredded},
        )
        member = await Member.select(Member.email).where(Member.id == member_id).first()
        erased_email = f"erased-{uuid.uuid4().hex}@erased.invalid"
        if member is not None:
            # The invitations sent to them name their address (an admin's list shows them).
            await Invitation.update({Invitation.email: erased_email}).where(
                Invitation.email == member["email"]
            )
        await Member.update(
            {
                Member.email: erased_email,
                Member.display_name: "Erased member",
                Member.profession: Profession.other.value,
                Member.password_hash: hash_password(secrets.token_urlsafe(32)),
                Member.totp_secret_sealed: None,
                Member.totp_enabled: False,
                Member.is_active: False,
                Member.role: Role.member.value,
            }
        ).where(Member.id == member_id)
        await MemberSession.delete().where(MemberSession.member == member_id)
        await ApiToken.delete().where(ApiToken.member == member_id)
        await RecoveryCode.delete().where(RecoveryCode.member == member_id)
        # What they were writing in the case form and never filed, under keys of its own.
        await FormDraft.delete().where(FormDraft.owner_tag == tag)
        await Notification.delete().where(
            (Notification.member == member_id) | (Notification.member_tag == tag)
        )
        # The admins' notices of the request are done with it.
        await Notification.delete().where(Notification.case_id == erasure_id)
        await ErasureRequest.update(
            {
                ErasureRequest.status: ErasureStatus.done.value,
                ErasureRequest.done_at: datetime.datetime.now(datetime.UTC),
            }
        ).where(ErasureRequest.id == erasure_id)
    return Erasure(id=erasure_id, status=ErasureStatus.done.value, shredded=shredded)
