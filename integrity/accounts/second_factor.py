"""The TOTP second factor: enrolment, confirmation and recovery codes. Secrets are sealed with
a key from the key ring; recovery codes are stored as hashes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import segno

from integrity.accounts.members import WINDOW, get_member, utcnow
from integrity.accounts.tables import (
    Member,
    RecoveryCode,
)
from integrity.errors import Invalid, WrongState
from integrity.security.guards import Principal
from integrity.security.ratelimit import RateLimiter, Rule
from integrity.security.system_keys import SystemKeys
from integrity.security.tokens import (
    hash_token,
    new_recovery_code,
    normalise_recovery_code,
)
from integrity.security.totp import (
    encode_secret,
    looks_like_totp_code,
    matching_step,
    new_totp_secret,
    provisioning_uri,
)

RECOVERY_CODE_COUNT = 10


TOTP_PER_ACCOUNT = Rule(
    "totp-account", 5, WINDOW, "too many wrong codes for this account: wait {minutes} minute(s)"
)


TOTP_PER_CLIENT = Rule(
    "totp-client", 20, WINDOW, "too many wrong codes from your connection: wait {minutes} minute(s)"
)


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
        raise WrongState("a second factor is already enabled for this account", code="second_factor_enabled")
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
        raise WrongState("a second factor is already enabled for this account", code="second_factor_enabled")
    if not member.totp_secret_sealed:
        raise WrongState("start the enrolment first: POST /api/v1/me/totp", code="enrolment_not_started")
    if not await accept_totp_code(member, code, keys):
        await limiter.hit(TOTP_PER_ACCOUNT, str(principal.id))
        await limiter.hit(TOTP_PER_CLIENT, client)
        raise Invalid(
            "that code is wrong or already used: check the authenticator app's clock",
            code="totp_code_wrong",
            field="code",
        )
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


async def second_factor_ok(member: Member, code: str, keys: SystemKeys) -> bool:
    if looks_like_totp_code(code):
        return await accept_totp_code(member, code, keys)
    return await use_recovery_code(member.id, code)


async def accept_totp_code(member: Member, code: str, keys: SystemKeys) -> bool:
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


async def use_recovery_code(member_id: uuid.UUID, code: str) -> bool:
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


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    otpauth_uri: str
    #: The otpauth URI as an inline SVG QR code (no script, no style attribute).
    qr_svg: str


def enrolment_view(secret: str, otpauth_uri: str) -> Enrolment:
    qr = segno.make(otpauth_uri, error="m")
    svg = qr.svg_inline(
        scale=5, omitsize=True, svgclass="qr-code", lineclass="qr-line", title="QR", dark="#000", light="#fff"
    )
    return Enrolment(secret=secret, otpauth_uri=otpauth_uri, qr_svg=svg)


async def pending_enrolment(principal: Principal, keys: SystemKeys) -> Enrolment | None:
    """The secret of an enrolment started and not yet confirmed, to show it again; None otherwise."""
    member = await get_member(principal.id)
    if member.totp_enabled or not member.totp_secret_sealed:
        return None
    secret = keys.open(member.totp_secret_sealed, context=totp_context(member.id))
    return enrolment_view(encode_secret(secret), provisioning_uri(secret, member.email))


def grouped_secret(secret: str) -> str:
    """The base32 secret in groups of four, easier to type."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
