"""Rules of the accounts domain: members, invitations, log-in, second factor, sessions and API tokens.

Every rule about who may enter, and how, lives here, so the JSON API, the HTML pages and the CLI
share it. Secrets (session ids, API tokens, invitation tokens, recovery codes) are stored only as
hashes, passwords as Argon2id, TOTP secrets sealed with a key from the key ring.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from integrity.accounts.tables import (
    REVIEW_TEAM,
    ApiToken,
    Invitation,
    Member,
    MemberSession,
    Profession,
    RecoveryCode,
    Role,
)
from integrity.errors import Forbidden, Invalid, NotAuthenticated, NotFound, WrongState
from integrity.security.guards import Principal
from integrity.security.passwords import (
    burn_verification_time,
    hash_password,
    is_common_password,
    needs_rehash,
    verify_password,
)
from integrity.security.ratelimit import RateLimiter, Rule
from integrity.security.system_keys import SystemKeys
from integrity.security.tokens import (
    hash_token,
    new_recovery_code,
    new_secret_token,
    normalise_recovery_code,
)
from integrity.security.totp import (
    encode_secret,
    looks_like_totp_code,
    matching_step,
    new_totp_secret,
    provisioning_uri,
)
from integrity.settings import AccountSettings

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
RECOVERY_CODE_COUNT = 10
DEFAULT_TOKEN_DAYS = 90
API_TOKEN_PREFIX = "int_"  # noqa: S105 - a public marker for secret scanners, not a secret
#: `last_seen_at` / `last_used_at` are written at most this often per session or token.
TOUCH_INTERVAL = timedelta(seconds=60)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")

LOGIN_FAILED = "wrong e-mail address, password or second-factor code"
NO_SUCH_INVITATION = "no such invitation: it may be mistyped, already used or expired"

WINDOW = 15 * 60
#: Failed log-ins per e-mail address, known or not (the same for both, so it tells nothing).
LOGIN_PER_ACCOUNT = Rule(
    "login-account",
    5,
    WINDOW,
    "too many failed log-ins for this account: it is locked for {minutes} minute(s); "
    "wait, then try again (or use a recovery code if the second factor is the trouble)",
)
LOGIN_PER_CLIENT = Rule(
    "login-client", 20, WINDOW, "too many failed log-ins from your connection: wait {minutes} minute(s)"
)
TOTP_PER_ACCOUNT = Rule(
    "totp-account", 5, WINDOW, "too many wrong codes for this account: wait {minutes} minute(s)"
)
TOTP_PER_CLIENT = Rule(
    "totp-client", 20, WINDOW, "too many wrong codes from your connection: wait {minutes} minute(s)"
)
INVITATION_PER_TOKEN = Rule(
    "invitation-token", 5, WINDOW, "too many attempts with this invitation: wait {minutes} minute(s)"
)
INVITATION_PER_CLIENT = Rule(
    "invitation-client",
    10,
    WINDOW,
    "too many failed invitation attempts from your connection: wait {minutes} minute(s)",
)


def utcnow() -> datetime:
    return datetime.now(UTC)


# -- members -------------------------------------------------------------------------------------


def normalise_email(email: str) -> str:
    cleaned = email.strip().lower()
    if len(cleaned) > 320 or not _EMAIL.match(cleaned):
        raise Invalid("that is not a valid e-mail address")
    return cleaned


def check_password_policy(password: str, *, email: str | None = None) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise Invalid(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    if is_common_password(password):
        raise Invalid("that password is on the list of common passwords: choose another")
    if email:
        local = email.split("@", 1)[0].lower()
        if len(local) >= 4 and local in password.lower():
            raise Invalid("the password must not contain your e-mail address")


def _display_name(display_name: str) -> str:
    name = display_name.strip()
    if not 1 <= len(name) <= 120:
        raise Invalid("the display name must have 1 to 120 characters")
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
    name = _display_name(display_name)
    if await Member.exists().where(Member.email == address):
        raise WrongState("a member with that e-mail address already exists")
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
        raise NotFound("no such member")
    return member


async def list_members() -> list[Member]:
    return await Member.objects().order_by(Member.created_at)


async def update_member(
    actor: Principal, member_id: uuid.UUID, *, role: Role | None = None, is_active: bool | None = None
) -> Member:
    """An admin changes a member's role or (de)activates them; deactivation ends every session and
    API token of theirs at once."""
    if actor.role != Role.admin:
        raise Forbidden("only an admin changes members")
    member = await get_member(member_id)
    if member.id == actor.id and (
        (role is not None and role != member.role) or (is_active is not None and not is_active)
    ):
        raise WrongState("admins cannot demote or deactivate themselves: ask another admin")
    changes: dict[object, object] = {}
    if role is not None:
        changes[Member.role] = Role(role).value
    if is_active is not None:
        changes[Member.is_active] = is_active
    if changes:
        await Member.update(changes).where(Member.id == member.id)  # type: ignore[arg-type]
    if is_active is False:
        await end_all_credentials(member.id)
    return await get_member(member.id)


async def end_all_credentials(member_id: uuid.UUID) -> None:
    await MemberSession.delete().where(MemberSession.member == member_id)
    await ApiToken.delete().where(ApiToken.member == member_id)


def principal_from(member: Member, *, via: str, credential_id: uuid.UUID) -> Principal:
    return Principal(
        id=member.id,
        email=member.email,
        display_name=member.display_name,
        profession=member.profession,
        role=member.role,
        totp_enabled=member.totp_enabled,
        via=via,
        credential_id=credential_id,
    )


# -- log-in, sessions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoggedIn:
    member: Member
    #: The session cookie's value; only its hash is stored.
    session_token: str
    totp_required: bool


async def log_in(
    *,
    email: str,
    password: str,
    totp: str | None,
    client: str,
    limiter: RateLimiter,
    keys: SystemKeys,
    accounts: AccountSettings,
) -> LoggedIn:
    """Check the credentials and open a session, or raise `NotAuthenticated` with one message for
    every failure (unknown address, wrong password, missing or wrong code) and `RateLimited` once an
    account or a client has failed too often."""
    address = email.strip().lower()
    await limiter.check(LOGIN_PER_ACCOUNT, address)
    await limiter.check(LOGIN_PER_CLIENT, client)
    member = await Member.objects().where(Member.email == address).first() if len(address) <= 320 else None
    if member is None or not member.is_active:
        # The same Argon2id work as a real check, so timing does not tell which addresses exist.
        burn_verification_time(password)
        await _failed_login(limiter, address, client, None)
        raise NotAuthenticated(LOGIN_FAILED)
    if not verify_password(password, member.password_hash):
        await _failed_login(limiter, address, client, member)
        raise NotAuthenticated(LOGIN_FAILED)
    if member.totp_enabled and not await _second_factor_ok(member, totp or "", keys):
        await _failed_login(limiter, address, client, member)
        raise NotAuthenticated(LOGIN_FAILED)

    await limiter.reset(LOGIN_PER_ACCOUNT, address)
    changes: dict[object, object] = {Member.failed_logins: 0, Member.locked_until: None}
    if needs_rehash(member.password_hash):
        changes[Member.password_hash] = hash_password(password)
    await Member.update(changes).where(Member.id == member.id)  # type: ignore[arg-type]
    token = await open_session(member.id, accounts)
    return LoggedIn(
        member=await get_member(member.id),
        session_token=token,
        totp_required=member.role in REVIEW_TEAM and not member.totp_enabled,
    )


async def _failed_login(limiter: RateLimiter, address: str, client: str, member: Member | None) -> None:
    hits = await limiter.hit(LOGIN_PER_ACCOUNT, address)
    await limiter.hit(LOGIN_PER_CLIENT, client)
    if member is not None:
        locked = utcnow() + timedelta(seconds=LOGIN_PER_ACCOUNT.window_seconds)
        await Member.update(
            {
                Member.failed_logins: Member.failed_logins + 1,
                Member.locked_until: locked if hits >= LOGIN_PER_ACCOUNT.limit else member.locked_until,
            }
        ).where(Member.id == member.id)


async def _second_factor_ok(member: Member, code: str, keys: SystemKeys) -> bool:
    if looks_like_totp_code(code):
        return await _accept_totp_code(member, code, keys)
    return await _use_recovery_code(member.id, code)


async def _accept_totp_code(member: Member, code: str, keys: SystemKeys) -> bool:
    if not member.totp_secret_sealed:
        return False
    secret = keys.open(member.totp_secret_sealed, context=totp_context(member.id))
    step = matching_step(secret, code)
    if step is None:
        return False
    # Recording the step in the same statement that checks it makes a replayed code fail, even
    # when two requests race with it.
    claimed = (
        await Member.update({Member.totp_last_step: step})
        .where(
            (Member.id == member.id) & (Member.totp_last_step.is_null() | (Member.totp_last_step < step))  # type: ignore[operator]
        )
        .returning(Member.id)
    )
    return bool(claimed)


async def _use_recovery_code(member_id: uuid.UUID, code: str) -> bool:
    normal = normalise_recovery_code(code)
    if normal is None:
        return False
    used = (
        await RecoveryCode.update({RecoveryCode.used_at: utcnow()})
        .where(
            (RecoveryCode.member == member_id)
            & (RecoveryCode.code_hash == hash_token(normal))
            & RecoveryCode.used_at.is_null()
        )
        .returning(RecoveryCode.id)
    )
    return bool(used)


async def open_session(member_id: uuid.UUID, accounts: AccountSettings) -> str:
    token = new_secret_token()
    now = utcnow()
    await MemberSession.insert(
        MemberSession(
            id_hash=hash_token(token),
            member=member_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=accounts.session_max_hours),
        )
    )
    return token


async def principal_for_session(token: str, accounts: AccountSettings) -> Principal | None:
    """The member behind a session cookie, or None if it is unknown, idle too long, past its end, or
    its member is deactivated. Ended sessions are deleted on the way."""
    if not token or len(token) > 128:
        return None
    session = await MemberSession.objects().where(MemberSession.id_hash == hash_token(token)).first()
    if session is None:
        return None
    now = utcnow()
    idle_end = session.last_seen_at + timedelta(minutes=accounts.session_idle_minutes)
    if now >= session.expires_at or now >= idle_end:
        await MemberSession.delete().where(MemberSession.id == session.id)
        return None
    member = await Member.objects().where(Member.id == session.member).first()
    if member is None or not member.is_active:
        return None
    if now - session.last_seen_at >= TOUCH_INTERVAL:
        await MemberSession.update({MemberSession.last_seen_at: now}).where(MemberSession.id == session.id)
    return principal_from(member, via="session", credential_id=session.id)


async def principal_for_api_token(token: str) -> Principal | None:
    if not token.startswith(API_TOKEN_PREFIX) or len(token) > 128:
        return None
    row = await ApiToken.objects().where(ApiToken.token_hash == hash_token(token)).first()
    if row is None:
        return None
    now = utcnow()
    if now >= row.expires_at:
        return None
    member = await Member.objects().where(Member.id == row.member).first()
    if member is None or not member.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_INTERVAL:
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row.id)
    return principal_from(member, via="token", credential_id=row.id)


async def log_out(principal: Principal) -> None:
    """End the credential the request came with: the session, or the API token used as bearer."""
    if principal.via == "session":
        await MemberSession.delete().where(MemberSession.id == principal.credential_id)
    else:
        await ApiToken.delete().where(ApiToken.id == principal.credential_id)


async def change_password(
    principal: Principal,
    *,
    current_password: str,
    new_password: str,
    client: str,
    limiter: RateLimiter,
) -> None:
    """Set a new password; every other session of the member ends (this one stays)."""
    member = await get_member(principal.id)
    await limiter.check(LOGIN_PER_ACCOUNT, member.email)
    await limiter.check(LOGIN_PER_CLIENT, client)
    if not verify_password(current_password, member.password_hash):
        await _failed_login(limiter, member.email, client, member)
        raise Forbidden("the current password is wrong")
    check_password_policy(new_password, email=member.email)
    if verify_password(new_password, member.password_hash):
        raise Invalid("the new password must differ from the current one")
    await Member.update({Member.password_hash: hash_password(new_password)}).where(Member.id == member.id)
    others = MemberSession.member == member.id
    if principal.via == "session":
        others = others & (MemberSession.id != principal.credential_id)  # type: ignore[assignment]
    await MemberSession.delete().where(others)


# -- second factor -------------------------------------------------------------------------------


def totp_context(member_id: uuid.UUID) -> bytes:
    return f"member:{member_id}:totp".encode()


@dataclass(frozen=True, slots=True)
class TotpEnrolment:
    secret: str
    otpauth_uri: str


async def start_totp_enrolment(principal: Principal, keys: SystemKeys) -> TotpEnrolment:
    """A new TOTP secret, sealed on the member's row, waiting for a confirming code. Starting again
    replaces an unconfirmed secret; a confirmed second factor is never replaced this way."""
    member = await get_member(principal.id)
    if member.totp_enabled:
        raise WrongState("a second factor is already enabled for this account")
    secret = new_totp_secret()
    await Member.update(
        {
            Member.totp_secret_sealed: keys.seal(secret, context=totp_context(member.id)),
            Member.totp_last_step: None,
        }
    ).where(Member.id == member.id)
    return TotpEnrolment(secret=encode_secret(secret), otpauth_uri=provisioning_uri(secret, member.email))


async def confirm_totp(
    principal: Principal, code: str, *, client: str, limiter: RateLimiter, keys: SystemKeys
) -> list[str]:
    """Enable the second factor with a code from the new secret; return fresh recovery codes (shown
    only now; only their hashes are kept)."""
    await limiter.check(TOTP_PER_ACCOUNT, str(principal.id))
    await limiter.check(TOTP_PER_CLIENT, client)
    member = await get_member(principal.id)
    if member.totp_enabled:
        raise WrongState("a second factor is already enabled for this account")
    if not member.totp_secret_sealed:
        raise WrongState("start the enrolment first: POST /api/v1/me/totp")
    if not await _accept_totp_code(member, code, keys):
        await limiter.hit(TOTP_PER_ACCOUNT, str(principal.id))
        await limiter.hit(TOTP_PER_CLIENT, client)
        raise Invalid("that code is wrong or already used: check the authenticator app's clock")
    await limiter.reset(TOTP_PER_ACCOUNT, str(principal.id))
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    async with Member._meta.db.transaction():
        await Member.update({Member.totp_enabled: True}).where(Member.id == member.id)
        await RecoveryCode.delete().where(RecoveryCode.member == member.id)
        await RecoveryCode.insert(
            *[RecoveryCode(member=member.id, code_hash=hash_token(code)) for code in codes]
        )
    return codes


async def unused_recovery_codes(member_id: uuid.UUID) -> int:
    return await RecoveryCode.count().where(
        (RecoveryCode.member == member_id) & RecoveryCode.used_at.is_null()
    )


# -- API tokens ----------------------------------------------------------------------------------


async def create_api_token(
    principal: Principal, *, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A named bearer token for programmatic clients; the token itself is returned once."""
    label = name.strip()
    if not 1 <= len(label) <= 100:
        raise Invalid("the token name must have 1 to 100 characters")
    days = DEFAULT_TOKEN_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= 365:
        raise Invalid("a token lives 1 to 365 days")
    token = new_secret_token(API_TOKEN_PREFIX)
    now = utcnow()
    row = ApiToken(
        member=principal.id,
        name=label,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    await row.save()
    return row, token


async def list_api_tokens(principal: Principal) -> list[ApiToken]:
    return await ApiToken.objects().where(ApiToken.member == principal.id).order_by(ApiToken.created_at)


async def revoke_api_token(principal: Principal, token_id: uuid.UUID) -> None:
    """Someone else's token is as unknown as one that never existed (404)."""
    deleted = (
        await ApiToken.delete()
        .where((ApiToken.id == token_id) & (ApiToken.member == principal.id))
        .returning(ApiToken.id)
    )
    if not deleted:
        raise NotFound("no such token")


# -- invitations ---------------------------------------------------------------------------------


async def invite(
    *, email: str, role: Role, invited_by: uuid.UUID | None, accounts: AccountSettings
) -> tuple[Invitation, str]:
    """A one-time invitation for `email` in `role`; an earlier pending one for the address is
    replaced. The token is returned once and stored only as its hash."""
    address = normalise_email(email)
    if await Member.exists().where(Member.email == address):
        raise WrongState("a member with that e-mail address already exists")
    token = new_secret_token()
    now = utcnow()
    invitation = Invitation(
        email=address,
        role=Role(role).value,
        token_hash=hash_token(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=accounts.invitation_days),
    )
    async with Invitation._meta.db.transaction():
        await Invitation.delete().where((Invitation.email == address) & Invitation.accepted_at.is_null())
        await invitation.save()
    return invitation, token


async def list_invitations() -> list[Invitation]:
    return await Invitation.objects().order_by(Invitation.created_at, ascending=False)


async def revoke_invitation(invitation_id: uuid.UUID) -> None:
    deleted = (
        await Invitation.delete()
        .where((Invitation.id == invitation_id) & Invitation.accepted_at.is_null())
        .returning(Invitation.id)
    )
    if not deleted:
        raise NotFound("no such pending invitation")


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
        raise NotFound(NO_SUCH_INVITATION)
    try:
        name = _display_name(display_name)
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
            raise NotFound(NO_SUCH_INVITATION)
        if await Member.exists().where(Member.email == invitation.email):
            raise WrongState("a member with that e-mail address already exists")
        member = Member(
            email=invitation.email,
            display_name=name,
            role=invitation.role,
            profession=Profession(profession).value,
            password_hash=password_hash,
        )
        await member.save()
    return member
