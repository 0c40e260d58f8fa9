"""Log-in and the credentials it hands out: sessions, API tokens, log-out and password changes.

Secrets (session ids, API tokens, recovery codes) are stored only as hashes; the rate limits on
log-in are applied here, so the JSON API and the pages share them.

The pages log in in two steps. The JSON API takes e-mail, password and code in one request; a person
first types e-mail and password and is asked for a code only if the account has a second factor. The
first step checks the password (under the same rate limits), and for an account with a second factor
hands the page a short-lived *pending* token: e-mail and password sealed with a system key, which
only this server can open. The second step opens it and calls `log_in` with the code, so both steps
go through the service's one rule set (counters, lock-out, replay protection, one message for every
failure).

Every first step costs the same Argon2id work (one verification or its stand-in before `log_in`'s
own), so timing does not tell which accounts have a second factor.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from integrity import db
from integrity.accounts.members import WINDOW, check_password_policy, get_member, principal_from, utcnow
from integrity.accounts.second_factor import second_factor_ok
from integrity.accounts.tables import (
    ApiToken,
    Member,
    MemberSession,
)
from integrity.custody import service as custody
from integrity.custody.signing import Signer
from integrity.errors import Forbidden, Invalid, NotAuthenticated, NotFound
from integrity.security.guards import Principal
from integrity.security.passwords import (
    burn_verification_time,
    hash_password,
    needs_rehash,
    verify_password,
)
from integrity.security.ratelimit import RateLimiter, Rule
from integrity.security.roles import SECOND_FACTOR_ROLES
from integrity.security.system_keys import SystemKeys
from integrity.security.tokens import (
    hash_token,
    new_secret_token,
)
from integrity.settings import AccountSettings

DEFAULT_TOKEN_DAYS = 90


API_TOKEN_PREFIX = "int_"  # noqa: S105 - a public marker for secret scanners, not a secret


#: `last_seen_at` / `last_used_at` are written at most this often per session or token.
TOUCH_INTERVAL = timedelta(seconds=60)


LOGIN_FAILED = "wrong e-mail address, password or second-factor code"


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
        raise NotAuthenticated(LOGIN_FAILED, code="login_failed")
    if not verify_password(password, member.password_hash):
        await _failed_login(limiter, address, client, member)
        raise NotAuthenticated(LOGIN_FAILED, code="login_failed")
    if member.totp_enabled and not await second_factor_ok(member, totp or "", keys):
        await _failed_login(limiter, address, client, member)
        raise NotAuthenticated(LOGIN_FAILED, code="login_failed")

    await limiter.reset(LOGIN_PER_ACCOUNT, address)
    changes: dict[object, object] = {Member.failed_logins: 0, Member.locked_until: None}
    if needs_rehash(member.password_hash):
        changes[Member.password_hash] = hash_password(password)
    await Member.update(changes).where(Member.id == member.id)  # type: ignore[arg-type]
    token = await open_session(member.id, accounts)
    return LoggedIn(
        member=await get_member(member.id),
        session_token=token,
        totp_required=member.role in SECOND_FACTOR_ROLES and not member.totp_enabled,
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


async def principal_for_session(token: str, accounts: AccountSettings, signer: Signer) -> Principal | None:
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
    return principal_from(member, via="session", credential_id=session.id, signer=signer)


async def principal_for_api_token(token: str, signer: Signer) -> Principal | None:
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
    return principal_from(member, via="token", credential_id=row.id, signer=signer)


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
        raise Forbidden("the current password is wrong", code="password_wrong", field="current_password")
    check_password_policy(new_password, email=member.email)
    if verify_password(new_password, member.password_hash):
        raise Invalid(
            "the new password must differ from the current one",
            code="password_unchanged",
            field="new_password",
        )
    await Member.update({Member.password_hash: hash_password(new_password)}).where(Member.id == member.id)
    others = MemberSession.member == member.id
    if principal.via == "session":
        others = others & (MemberSession.id != principal.credential_id)  # type: ignore[assignment]
    await MemberSession.delete().where(others)
    # A stolen token must not outlive the password it was made under.
    await ApiToken.delete().where(ApiToken.member == member.id)


async def issue_api_token(
    signer: Signer,
    principal: Principal,
    *,
    name: str,
    expires_in_days: int | None,
    password: str,
    code: str | None,
    client: str,
    limiter: RateLimiter,
    keys: SystemKeys,
) -> tuple[ApiToken, str]:
    """An API token for the member who proves it is them again: the password, and a second-factor
    code when they have one (so a stolen session or token cannot become lasting access)."""
    member = await get_member(principal.id)
    await limiter.check(LOGIN_PER_ACCOUNT, member.email)
    await limiter.check(LOGIN_PER_CLIENT, client)
    if not verify_password(password, member.password_hash):
        await _failed_login(limiter, member.email, client, member)
        raise Forbidden("the password is wrong", code="password_wrong", field="password")
    if member.totp_enabled or member.role in SECOND_FACTOR_ROLES:
        if not code:
            raise Forbidden(
                "a code from your authenticator app is needed to create a token",
                code="totp_required",
                field="totp",
            )
        if not await second_factor_ok(member, code, keys):
            await _failed_login(limiter, member.email, client, member)
            raise Forbidden("the code is wrong or was already used", code="totp_wrong", field="totp")
    row, token = await create_api_token(principal, name=name, expires_in_days=expires_in_days)
    await custody.record(
        signer,
        actor_id=str(principal.id),
        action="account.token_created",
        subject=f"member:{signer.pseudonym(str(principal.id))}",
        details={"token": str(row.id), "expires_at": row.expires_at.isoformat()},
    )
    return row, token


async def create_api_token(
    principal: Principal, *, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A named bearer token for programmatic clients; the token itself is returned once."""
    label = name.strip()
    if not 1 <= len(label) <= 100:
        raise Invalid("the token name must have 1 to 100 characters", code="token_name_length", field="name")
    days = DEFAULT_TOKEN_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= 365:
        raise Invalid("a token lives 1 to 365 days", code="token_lifetime", field="expires_in_days")
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


async def revoke_api_token(signer: Signer, principal: Principal, token_id: uuid.UUID) -> None:
    """Someone else's token is as unknown as one that never existed (404)."""
    async with db.transaction():
        await custody.lock_log()
        deleted = (
            await ApiToken.delete()
            .where((ApiToken.id == token_id) & (ApiToken.member == principal.id))
            .returning(ApiToken.id)
        )
        if not deleted:
            raise NotFound("no such token", code="token_not_found")
        await custody.append_entry(
            signer,
            actor_id=str(principal.id),
            action="account.token_revoked",
            subject=f"member:{signer.pseudonym(str(principal.id))}",
            details={"token": str(token_id)},
        )


# --- log-in in two steps, for the pages --------------------------------------------------


#: How long the second step may take after the first.
PENDING_SECONDS = 300
_PENDING_CONTEXT = b"web:login-pending:v1"


@dataclass(frozen=True, slots=True)
class SecondFactorNeeded:
    """The password was right; the account wants a code. `pending` goes into the next form."""

    pending: str


async def log_in_first_step(
    *,
    email: str,
    password: str,
    client: str,
    limiter: RateLimiter,
    keys: SystemKeys,
    accounts: AccountSettings,
) -> LoggedIn | SecondFactorNeeded:
    address = email.strip().lower()
    await limiter.check(LOGIN_PER_ACCOUNT, address)
    await limiter.check(LOGIN_PER_CLIENT, client)
    member = await Member.objects().where(Member.email == address).first() if len(address) <= 320 else None
    if member is not None and member.is_active and member.totp_enabled:
        if verify_password(password, member.password_hash):
            return SecondFactorNeeded(pending=seal_pending(keys, address, password))
    else:
        burn_verification_time(password)
    # No second factor, or a wrong password: the service decides, counts and answers.
    return await log_in(
        email=email,
        password=password,
        totp=None,
        client=client,
        limiter=limiter,
        keys=keys,
        accounts=accounts,
    )


async def log_in_second_step(
    *,
    pending: str,
    code: str,
    client: str,
    limiter: RateLimiter,
    keys: SystemKeys,
    accounts: AccountSettings,
) -> LoggedIn | None:
    """The log-in with the code; None if the pending token is unreadable or too old (start again)."""
    opened = open_pending(keys, pending)
    if opened is None:
        return None
    email, password = opened
    return await log_in(
        email=email,
        password=password,
        totp=code,
        client=client,
        limiter=limiter,
        keys=keys,
        accounts=accounts,
    )


def seal_pending(keys: SystemKeys, email: str, password: str, *, now: float | None = None) -> str:
    body = json.dumps({"e": email, "p": password, "x": int((now or time.time()) + PENDING_SECONDS)})
    sealed = keys.seal(body.encode("utf-8"), context=_PENDING_CONTEXT)
    return base64.urlsafe_b64encode(sealed).decode("ascii")


def open_pending(keys: SystemKeys, token: str, *, now: float | None = None) -> tuple[str, str] | None:
    if not token or len(token) > 4096:
        return None
    try:
        sealed = base64.urlsafe_b64decode(token.encode("ascii"))
        body = json.loads(keys.open(sealed, context=_PENDING_CONTEXT))
    except (ValueError, binascii.Error, UnicodeError, KeyError, TypeError):
        return None
    except Exception:  # noqa: BLE001 - any failure to open means a forged or foreign token
        return None
    if not isinstance(body, dict) or int(body.get("x", 0)) < (now or time.time()):
        return None
    return str(body["e"]), str(body["p"])
