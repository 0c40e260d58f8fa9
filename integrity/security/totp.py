"""TOTP second factor per RFC 6238 (SHA-1, 6 digits, 30 s) through `cryptography`'s TOTP primitive."""

from __future__ import annotations

import base64
import hmac
import secrets
import time

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

DIGITS = 6
TIME_STEP = 30
SECRET_BYTES = 20
#: Codes from one step before and after now are accepted too (clock drift, slow typing).
ALLOWED_DRIFT_STEPS = 1
ISSUER = "Integrity Network"


def new_totp_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def _totp(secret: bytes) -> TOTP:
    # SHA-1 is what RFC 6238 authenticator apps implement; HMAC-SHA-1 is not weakened by SHA-1
    # collisions.
    return TOTP(secret, DIGITS, SHA1(), TIME_STEP, enforce_key_length=True)  # noqa: S303


def encode_secret(secret: bytes) -> str:
    """The base32 text an authenticator app takes (no padding)."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")


def provisioning_uri(secret: bytes, account_name: str) -> str:
    return _totp(secret).get_provisioning_uri(account_name, ISSUER)


def current_code(secret: bytes, at: float | None = None) -> str:
    return _totp(secret).generate(int(time.time() if at is None else at)).decode("ascii")


def looks_like_totp_code(code: str) -> bool:
    cleaned = "".join(code.split())
    return len(cleaned) == DIGITS and cleaned.isascii() and cleaned.isdigit()


def matching_step(secret: bytes, code: str, at: float | None = None) -> int | None:
    """The time step whose code `code` is (within the allowed drift), or None.

    The caller records the step and refuses any code of that step or an earlier one afterwards, so
    a code cannot be replayed while it is still valid.
    """
    cleaned = "".join(code.split())
    if not looks_like_totp_code(cleaned):
        return None
    now = time.time() if at is None else at
    step = int(now) // TIME_STEP
    totp = _totp(secret)
    found = None
    # Every candidate is computed and compared, so timing does not say which one matched.
    for candidate in range(step - ALLOWED_DRIFT_STEPS, step + ALLOWED_DRIFT_STEPS + 1):
        expected = totp.generate(candidate * TIME_STEP)
        if hmac.compare_digest(expected, cleaned.encode("ascii")) and found is None:
            found = candidate
    return found
