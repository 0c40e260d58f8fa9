"""Members: creating them, the password policy, roles and deactivation, and the principal a
member acts as. Passwords are stored as Argon2id hashes only."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from integrity import db
from integrity.accounts.grants import raises_power, request_role
from integrity.accounts.tables import (
    ApiToken,
    Grant,
    Member,
    MemberSession,
    Profession,
    Role,
)
from integrity.custody import service as custody
from integrity.custody.signing import Signer
from integrity.errors import Forbidden, Invalid, NotFound, WrongState
from integrity.security.guards import Principal
from integrity.security.passwords import (
    hash_password,
    is_common_password,
)

MIN_PASSWORD_LENGTH = 12


MAX_PASSWORD_LENGTH = 1024


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    if len(cleaned) > 320 or not _EMAIL.match(cleaned):
        raise Invalid("that is not a valid e-mail address", code="email_invalid", field="email")
    return cleaned


def check_password_policy(password: str, *, email: str | None = None) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
            code="password_too_short",
            field="password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(
            f"the password must have at most {MAX_PASSWORD_LENGTH} characters",
            code="password_too_long",
            field="password",
        )
    if is_common_password(password):
        raise Invalid(
            "that password is on the list of common passwords: choose another",
            code="password_common",
            field="password",
        )
    if email:
        local = email.split("@", 1)[0].lower()
        if len(local) >= 4 and local in password.lower():
            raise Invalid(
                "the password must not contain your e-mail address",
                code="password_contains_email",
                field="password",
            )


def clean_display_name(display_name: str) -> str:
    name = display_name.strip()
    if not 1 <= len(name) <= 120:
        raise Invalid(
            "the display name must have 1 to 120 characters", code="display_name_length", field="display_name"
        )
    return name


async def create_member(
    *,
    email: str,
    password: str,
    display_name: str,
    role: Role = Role.member,
    profession: Profession = Profession.other,
) -> Member:
    address = normalise_email(email)
    check_password_policy(password, email=address)
    name = clean_display_name(display_name)
    if await Member.exists().where(Member.email == address):
        raise WrongState(
            "a member with that e-mail address already exists", code="email_taken", field="email"
        )
    member = Member(
        email=address,
        display_name=name,
        role=Role(role).value,
        profession=Profession(profession).value,
        password_hash=hash_password(password),
    )
    await member.save()
    return member


async def create_admin(*, email: str, password: str, display_name: str = "Administrator") -> Member:
    return await create_member(email=email, password=password, display_name=display_name, role=Role.admin)


async def get_member(member_id: uuid.UUID) -> Member:
    member = await Member.objects().where(Member.id == member_id).first()
    if member is None:
        raise NotFound("no such member", code="member_not_found")
    return member


async def list_members() -> list[Member]:
    return await Member.objects().order_by(Member.created_at)


async def update_member(
    signer: Signer,
    actor: Principal,
    member_id: uuid.UUID,
    *,
    role: Role | None = None,
    is_active: bool | None = None,
) -> tuple[Member, Grant | None]:
    """An admin changes a member's role or (de)activates them; deactivation ends every session and
    API token of theirs at once. Raising someone to reviewer, editor or admin is only asked for
    here (a pending grant, returned): a second person confirms it (``accounts.grants``)."""
    if actor.role != Role.admin:
        raise Forbidden("only an admin changes members", code="admin_only")
    member = await get_member(member_id)
    if member.id == actor.id and (
        (role is not None and role != member.role) or (is_active is not None and not is_active)
    ):
        raise WrongState(
            "admins cannot demote or deactivate themselves: ask another admin", code="admin_self_change"
        )
    grant = None
    subject = f"member:{signer.pseudonym(str(member.id))}"
    async with db.transaction():
        await custody.lock_log()
        changes: dict[object, object] = {}
        if role is not None and Role(role) != member.role:
            if raises_power(Role(member.role), Role(role)):
                grant = await request_role(
                    signer, requested_by=actor.id, role=Role(role), member_id=member.id
                )
            else:
                changes[Member.role] = Role(role).value
                await custody.append_entry(
                    signer,
                    actor_id=str(actor.id),
                    action="account.role_lowered",
                    subject=subject,
                    details={"role": Role(role).value},
                )
        if is_active is not None and is_active != member.is_active:
            changes[Member.is_active] = is_active
            await custody.append_entry(
                signer,
                actor_id=str(actor.id),
                action="account.activated" if is_active else "account.deactivated",
                subject=subject,
                details={},
            )
        if changes:
            await Member.update(changes).where(Member.id == member.id)  # type: ignore[arg-type]
        if is_active is False:
            await end_all_credentials(member.id)
    return await get_member(member.id), grant


async def end_all_credentials(member_id: uuid.UUID) -> None:
    await MemberSession.delete().where(MemberSession.member == member_id)
    await ApiToken.delete().where(ApiToken.member == member_id)


def principal_from(member: Member, *, via: str, credential_id: uuid.UUID, signer: Signer) -> Principal:
    return Principal(
        id=member.id,
        email=member.email,
        display_name=member.display_name,
        profession=member.profession,
        role=member.role,
        totp_enabled=member.totp_enabled,
        via=via,
        credential_id=credential_id,
        filer_tag=signer.filer_tag(member.id),
    )


#: The window of every log-in, second-factor and invitation rate limit, in seconds.
WINDOW = 15 * 60


def utcnow() -> datetime:
    return datetime.now(UTC)
