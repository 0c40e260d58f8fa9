"""Random bearer secrets (session ids, API tokens, invitation tokens, recovery codes) and their hashes.

Only SHA-256 digests of these secrets are stored. Each secret carries at least 128 random bits
(recovery codes 80), so a plain digest is enough: nothing is left to guess offline from a dump.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

TOKEN_BYTES = 32
RECOVERY_CODE_BYTES = 10
RECOVERY_CODE_GROUP = 4


def new_secret_token(prefix: str = "") -> str:
    """A URL-safe token of 256 random bits; `prefix` tells a reader what kind of token it is."""
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The hex SHA-256 of a token: what the database keeps and looks it up by."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def tokens_match(token: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), stored_hash)


def new_recovery_code() -> str:
    """80 random bits as four groups of base32 letters and digits, e.g. `7KQM-2XHD-93PA-WLCE`."""
    raw = base64.b32encode(secrets.token_bytes(RECOVERY_CODE_BYTES)).decode("ascii")
    return "-".join(raw[i : i + RECOVERY_CODE_GROUP] for i in range(0, len(raw), RECOVERY_CODE_GROUP))


def normalise_recovery_code(code: str) -> str | None:
    """The canonical form of what someone typed (case, spaces and dashes ignored); None if malformed."""
    cleaned = "".join(code.split()).replace("-", "").upper()
    if len(cleaned) != RECOVERY_CODE_BYTES * 8 // 5:
        return None
    try:
        base64.b32decode(cleaned)
    except ValueError:
        return None
    return "-".join(cleaned[i : i + RECOVERY_CODE_GROUP] for i in range(0, len(cleaned), RECOVERY_CODE_GROUP))
