"""Log-in in two steps for the HTML pages, on top of `integrity.accounts.service.log_in`.

The JSON API takes e-mail, password and code in one request. A person first types e-mail and
password and is asked for a code only if the account has a second factor. The first step checks
the password (under the same rate limits), and for an account with a second factor hands the page a
short-lived *pending* token: e-mail and password sealed with a system key, which only this server
can open. The second step opens it and calls `log_in` with the code, so both steps go through the
service's one rule set (counters, lock-out, replay protection, one message for every failure).

Every first step costs the same Argon2id work (one verification or its stand-in before `log_in`'s
own), so timing does not tell which accounts have a second factor.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass

import segno

from integrity.accounts import service
from integrity.accounts.tables import Member
from integrity.security.guards import Principal
from integrity.security.passwords import burn_verification_time, verify_password
from integrity.security.ratelimit import RateLimiter
from integrity.security.system_keys import SystemKeys
from integrity.security.totp import encode_secret, provisioning_uri
from integrity.settings import AccountSettings

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
) -> service.LoggedIn | SecondFactorNeeded:
    address = email.strip().lower()
    await limiter.check(service.LOGIN_PER_ACCOUNT, address)
    await limiter.check(service.LOGIN_PER_CLIENT, client)
    member = await Member.objects().where(Member.email == address).first() if len(address) <= 320 else None
    if member is not None and member.is_active and member.totp_enabled:
        if verify_password(password, member.password_hash):
            return SecondFactorNeeded(pending=seal_pending(keys, address, password))
    else:
        burn_verification_time(password)
    # No second factor, or a wrong password: the service decides, counts and answers.
    return await service.log_in(
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
) -> service.LoggedIn | None:
    """The log-in with the code; None if the pending token is unreadable or too old (start again)."""
    opened = open_pending(keys, pending)
    if opened is None:
        return None
    email, password = opened
    return await service.log_in(
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


# --- second-factor enrolment ------------------------------------------------------------------


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
    member = await service.get_member(principal.id)
    if member.totp_enabled or not member.totp_secret_sealed:
        return None
    secret = keys.open(member.totp_secret_sealed, context=service.totp_context(member.id))
    return enrolment_view(encode_secret(secret), provisioning_uri(secret, member.email))


def grouped_secret(secret: str) -> str:
    """The base32 secret in groups of four, easier to type."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
