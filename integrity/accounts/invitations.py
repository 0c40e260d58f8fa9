"""Invitations: an admin invites a person with a role, the person joins with the one-time token."""

from __future__ import annotations

import uuid
from datetime import timedelta

from integrity import db
from integrity.accounts.grants import ELEVATED_ROLES, link_invitation, request_role
from integrity.accounts.members import (
    WINDOW,
    check_password_policy,
    clean_display_name,
    normalise_email,
    utcnow,
)
from integrity.accounts.tables import (
    Grant,
    Invitation,
    Member,
    Profession,
    Role,
)
from integrity.custody import service as custody
from integrity.custody.signing import Signer
from integrity.errors import Invalid, NotFound, WrongState
from integrity.security.passwords import (
    hash_password,
)
from integrity.security.ratelimit import RateLimiter, Rule
from integrity.security.tokens import (
    hash_token,
    new_secret_token,
)
from integrity.settings import AccountSettings

NO_SUCH_INVITATION = "no such invitation: it may be mistyped, already used or expired"


INVITATION_PER_TOKEN = Rule(
    "invitation-token", 5, WINDOW, "too many attempts with this invitation: wait {minutes} minute(s)"
)


INVITATION_PER_CLIENT = Rule(
    "invitation-client",
    10,
    WINDOW,
    "too many failed invitation attempts from your connection: wait {minutes} minute(s)",
)


async def invite(
    signer: Signer, *, email: str, role: Role, invited_by: uuid.UUID | None, accounts: AccountSettings
) -> tuple[Invitation, str, Grant | None]:
    """A one-time invitation for `email` in `role`; an earlier pending one for the address is
    replaced. The token is returned once and stored only as its hash. A reviewer, editor or admin
    role is a pending grant (``accounts.grants``): the invitation stands for a member until a second
    person confirms it."""
    address = normalise_email(email)
    if await Member.exists().where(Member.email == address):
        raise WrongState(
            "a member with that e-mail address already exists", code="email_taken", field="email"
        )
    token = new_secret_token()
    now = utcnow()
    elevated = Role(role) in ELEVATED_ROLES
    invitation = Invitation(
        email=address,
        role=Role.member.value if elevated else Role(role).value,
        token_hash=hash_token(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=accounts.invitation_days),
    )
    grant = None
    async with db.transaction():
        await custody.lock_log()
        await Invitation.delete().where((Invitation.email == address) & Invitation.accepted_at.is_null())
        await invitation.save()
        await custody.append_entry(
            signer,
            actor_id=str(invited_by) if invited_by else None,
            action="account.invited",
            subject="member:invited",
            details={"invitation": str(invitation.id), "role": Role(role).value},
        )
        if elevated:
            grant = await request_role(
                signer, requested_by=invited_by, role=Role(role), invitation_id=invitation.id
            )
    return invitation, token, grant


async def list_invitations() -> list[Invitation]:
    return await Invitation.objects().order_by(Invitation.created_at, ascending=False)


async def revoke_invitation(invitation_id: uuid.UUID) -> None:
    deleted = (
        await Invitation.delete()
        .where((Invitation.id == invitation_id) & Invitation.accepted_at.is_null())
        .returning(Invitation.id)
    )
    if not deleted:
        raise NotFound("no such pending invitation", code="pending_invitation_not_found")


async def accept_invitation(
    token: str,
    *,
    display_name: str,
    profession: Profession,
    password: str,
    client: str,
    limiter: RateLimiter,
) -> Member:
    """Create the invited member; the token then stops working. Unknown, used and expired tokens
    are all the same 404."""
    await limiter.check(INVITATION_PER_CLIENT, client)
    token_hash = hash_token(token) if len(token) <= 128 else ""
    await limiter.check(INVITATION_PER_TOKEN, token_hash)
    invitation = await Invitation.objects().where(Invitation.token_hash == token_hash).first()
    if invitation is None or invitation.accepted_at is not None or utcnow() >= invitation.expires_at:
        await limiter.hit(INVITATION_PER_CLIENT, client)
        raise NotFound(NO_SUCH_INVITATION, code="invitation_not_found")
    try:
        name = clean_display_name(display_name)
        check_password_policy(password, email=invitation.email)
    except Invalid:
        await limiter.hit(INVITATION_PER_TOKEN, token_hash)
        raise
    password_hash = hash_password(password)
    async with Member._meta.db.transaction():
        claimed = (
            await Invitation.update({Invitation.accepted_at: utcnow()})
            .where((Invitation.id == invitation.id) & Invitation.accepted_at.is_null())
            .returning(Invitation.id)
        )
        if not claimed:
            raise NotFound(NO_SUCH_INVITATION, code="invitation_not_found")
        if await Member.exists().where(Member.email == invitation.email):
            raise WrongState(
                "a member with that e-mail address already exists", code="email_taken", field="email"
            )
        member = Member(
            email=invitation.email,
            display_name=name,
            role=invitation.role,
            profession=Profession(profession).value,
            password_hash=password_hash,
        )
        await member.save()
        await link_invitation(invitation.id, member.id)
    return member
