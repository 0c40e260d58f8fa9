"""Argon2id password hashes as PHC strings, through `cryptography` (no extra dependency)."""

from __future__ import annotations

import functools
import gzip
import os
import re
from pathlib import Path

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

# OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
MEMORY_COST_KIB = 19 * 1024
ITERATIONS = 2
LANES = 1
HASH_LENGTH = 32
SALT_LENGTH = 16

_PARAMS = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


def hash_password(password: str) -> str:
    kdf = Argon2id(
        salt=os.urandom(SALT_LENGTH),
        length=HASH_LENGTH,
        iterations=ITERATIONS,
        lanes=LANES,
        memory_cost=MEMORY_COST_KIB,
    )
    return kdf.derive_phc_encoded(password.encode("utf-8"))


def verify_password(password: str, phc: str) -> bool:
    try:
        Argon2id.verify_phc_encoded(password.encode("utf-8"), phc)
    except (InvalidKey, ValueError):
        return False
    return True


def needs_rehash(phc: str) -> bool:
    """True when `phc` was made with other parameters than today's (re-hash on the next login)."""
    match = _PARAMS.match(phc)
    if not match:
        return True
    return tuple(int(group) for group in match.groups()) != (MEMORY_COST_KIB, ITERATIONS, LANES)


_DUMMY_HASH: str | None = None


def burn_verification_time(password: str) -> None:
    """Spend what a real verification costs, so an unknown e-mail answers as slowly as a known one."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(os.urandom(16).hex())
    verify_password(password, _DUMMY_HASH)


# The 20,000 most common passwords as compiled by Royce Williams (2017) from breach corpora, exactly
# as Django ships them in `django/contrib/auth/common-passwords.txt.gz` (Django 5.2, BSD-3-Clause
# licence, Copyright (c) Django Software Foundation and individual contributors).
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "common-passwords.txt.gz"
_COMMON_TAIL = re.compile(r"[\d\W_]+$")


@functools.cache
def _common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def is_common_password(password: str) -> bool:
    """True for a password on the common list, also with digits or symbols merely appended to it."""
    lowered = password.strip().lower()
    common = _common_passwords()
    if lowered in common:
        return True
    stem = _COMMON_TAIL.sub("", lowered)
    return len(stem) >= 4 and stem in common
