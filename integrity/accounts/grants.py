"""Admin power takes two people: giving anyone the reviewer, editor or admin role (by invitation or
promotion) and resetting a lost second factor are asked for by one admin and take effect only when
a second one confirms (an editor, where the platform has a single admin), or when the operator runs
`integrity grants confirm ID` on the server (how a platform with one admin gets its review team).
Lowering a role takes effect at once. Every step is a custody entry, with pseudonymous actors."""

from __future__ import annotations

import datetime
import uuid

from integrity import db
from integrity.accounts.tables import (
    ApiToken,
    Grant,
    GrantKind,
    GrantStatus,
    Invitation,
    Member,
    MemberSession,
    RecoveryCode,
    Role,
)
from integrity.custody import service as custody
from integrity.custody.signing import Signer
from integrity.errors import Forbidden, NotFound, WrongState
from integrity.security.guards import Principal

__all__ = [
    "ELEVATED_ROLES",
    "confirm_grant",
    "link_invitation",
    "list_grants",
    "raises_power",
    "request_role",
    "request_second_factor_reset",
]

#: Roles that reach evidence or accounts: granting one takes a second person.
ELEVATED_ROLES = frozenset({Role.reviewer, Role.editor, Role.admin})
_RANK = {Role.member: 0, Role.reviewer: 1, Role.editor: 2, Role.admin: 3}


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def raises_power(current: Role, wanted: Role) -> bool:
    """Whether going from ``current`` to ``wanted`` gives more power (and so takes two people)."""
    return wanted in ELEVATED_ROLES and _RANK[wanted] > _RANK[current]


def _subject(member_id: uuid.UUID | None, signer: Signer) -> str:
    return f"member:{signer.pseudonym(str(member_id))}" if member_id else "member:invited"


async def request_role(
    signer: Signer,
    *,
    requested_by: uuid.UUID | None,
    role: Role,
    member_id: uuid.UUID | None = None,
    invitation_id: uuid.UUID | None = None,
) -> Grant:
    """Ask for ``role`` for an account or an invitation; call it in the asking transaction."""
    grant = Grant(
        kind=GrantKind.role.value,
        member=member_id,
        invitation=invitation_id,
        role=role.value,
        requested_by=requested_by,
        requested_at=_now(),
    )
    await grant.save()
    await custody.append_entry(
        signer,
        actor_id=str(requested_by) if requested_by else None,
        action="account.role_requested",
        subject=_subject(member_id, signer),
        details={"grant": str(grant.id), "role": role.value},
    )
    return grant


async def request_second_factor_reset(signer: Signer, principal: Principal, member_id: uuid.UUID) -> Grant:
    """An admin asks to clear a member's lost second factor; a second person confirms it."""
    if principal.role != Role.admin:
        raise Forbidden("only an admin asks for a second-factor reset", code="admin_only")
    member = await Member.select(Member.id, Member.totp_enabled).where(Member.id == member_id).first()
    if member is None:
        raise NotFound("no such member", code="member_not_found")
    if not member["totp_enabled"]:
        raise WrongState("that member has no second factor to reset", code="no_second_factor")
    async with db.transaction():
        await custody.lock_log()
        grant = Grant(
            kind=GrantKind.second_factor_reset.value,
            member=member_id,
            requested_by=principal.id,
            requested_at=_now(),
        )
        await grant.save()
        await custody.append_entry(
            signer,
            actor_id=str(principal.id),
            action="account.second_factor_reset_requested",
            subject=_subject(member_id, signer),
            details={"grant": str(grant.id)},
        )
    return grant


async def link_invitation(invitation_id: uuid.UUID, member_id: uuid.UUID) -> None:
    """An invitation was accepted: its pending grant is now for the new account."""
    await Grant.update({Grant.member: member_id}).where(Grant.invitation == invitation_id)


async def list_grants(*, pending_only: bool = False) -> list[Grant]:
    query = Grant.objects().order_by(Grant.requested_at, ascending=False)
    if pending_only:
        query = query.where(Grant.status == GrantStatus.pending)
    return await query


async def _may_confirm(principal: Principal, grant: Grant) -> None:
    if grant.requested_by == principal.id:
        raise Forbidden("a second person confirms what you asked for", code="grant_same_person")
    if grant.member == principal.id:
        raise Forbidden("nobody confirms a change to their own account", code="grant_own_account")
    if principal.role == Role.admin:
        return
    admins = await Member.count().where((Member.role == Role.admin.value) & (Member.is_active == True))  # noqa: E712
    if principal.role == Role.editor and admins <= 1:
        return
    raise Forbidden(
        "a second admin confirms (an editor, where the platform has one admin)", code="grant_confirmer"
    )


async def confirm_grant(signer: Signer, principal: Principal | None, grant_id: uuid.UUID) -> Grant:
    """Carry out a pending grant, confirmed by ``principal`` (None: the operator, on the server)."""
    async with db.transaction():
        await custody.lock_log()
        grant = await Grant.objects().where(Grant.id == grant_id).first()
        if grant is None:
            raise NotFound("no such grant", code="grant_not_found")
        if grant.status != GrantStatus.pending:
            raise WrongState("that grant was confirmed already", code="grant_not_pending")
        if principal is not None:
            await _may_confirm(principal, grant)
        now = _now()
        if grant.kind == GrantKind.role:
            role = Role(grant.role)
            if grant.member is not None:
                await Member.update({Member.role: role.value}).where(Member.id == grant.member)
            elif grant.invitation is not None:
                # Not accepted yet: accepting it gives the role.
                await Invitation.update({Invitation.role: role.value}).where(
                    Invitation.id == grant.invitation
                )
            action = "account.role_granted"
            details = {"grant": str(grant.id), "role": role.value}
        else:
            # The member enrols again at the next log-in; every session and token ends.
            await Member.update(
                {Member.totp_enabled: False, Member.totp_secret_sealed: None, Member.totp_last_step: None}
            ).where(Member.id == grant.member)
            await RecoveryCode.delete().where(RecoveryCode.member == grant.member)
            await MemberSession.delete().where(MemberSession.member == grant.member)
            await ApiToken.delete().where(ApiToken.member == grant.member)
            action = "account.second_factor_reset"
            details = {"grant": str(grant.id)}
        await Grant.update(
            {
                Grant.status: GrantStatus.confirmed.value,
                Grant.confirmed_by: principal.id if principal else None,
                Grant.confirmed_at: now,
            }
        ).where(Grant.id == grant.id)
        await custody.append_entry(
            signer,
            actor_id=str(principal.id) if principal else None,
            action=action,
            subject=_subject(grant.member, signer),
            details=details,
        )
    refreshed = await Grant.objects().where(Grant.id == grant_id).first()
    assert refreshed is not None
    return refreshed
