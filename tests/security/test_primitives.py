"""Passwords, tokens, TOTP and sealed account secrets."""

from __future__ import annotations

import pytest

from integrity.errors import TamperedBlob
from integrity.security.csrf import csrf_token_valid, new_csrf_token
from integrity.security.passwords import is_common_password
from integrity.security.system_keys import SystemKeys, rewrap_sealed, unpack
from integrity.security.tokens import hash_token, new_recovery_code, normalise_recovery_code, tokens_match
from integrity.security.totp import current_code, matching_step, new_totp_secret
from integrity.settings import Settings
from integrity.vault import Keyring


@pytest.mark.parametrize(
    "password", ["password12345678", "Password!!!!2024", "qwertyuiop123", "iloveyou12345"]
)
def test_common_passwords_are_recognised(password: str) -> None:
    assert is_common_password(password)


def test_an_uncommon_passphrase_passes() -> None:
    assert not is_common_password("violet harbour lantern 42")


def test_tokens_are_stored_as_digests() -> None:
    assert tokens_match("abc", hash_token("abc"))
    assert not tokens_match("abd", hash_token("abc"))


def test_recovery_codes_are_normalised_from_what_people_type() -> None:
    code = new_recovery_code()
    assert len(code) == 19 and code.count("-") == 3
    assert normalise_recovery_code(code.lower().replace("-", " ")) == code
    assert normalise_recovery_code("123456") is None


def test_totp_codes_match_their_step_and_tolerate_one_step_of_drift() -> None:
    secret = new_totp_secret()
    now = 1_800_000_000
    step = now // 30
    assert matching_step(secret, current_code(secret, now), now) == step
    assert matching_step(secret, current_code(secret, now - 30), now) == step - 1
    assert matching_step(secret, current_code(secret, now + 30), now) == step + 1
    assert matching_step(secret, current_code(secret, now - 90), now) is None
    assert matching_step(secret, "12345", now) is None


def test_csrf_tokens_are_bound_to_their_session() -> None:
    key = b"k" * 32
    token = new_csrf_token(key, "session-a")
    assert csrf_token_valid(key, token, "session-a")
    assert not csrf_token_valid(key, token, "session-b")
    assert not csrf_token_valid(key, token, None)
    assert not csrf_token_valid(b"x" * 32, token, "session-a")
    assert csrf_token_valid(key, new_csrf_token(key, None), None)


def test_sealed_secrets_open_only_in_their_context_and_survive_rotation(settings: Settings) -> None:
    keys = SystemKeys.load(settings)
    sealed = keys.seal(b"totp secret", context=b"member:1:totp")
    assert b"totp secret" not in sealed
    assert keys.open(sealed, context=b"member:1:totp") == b"totp secret"
    with pytest.raises(TamperedBlob):
        keys.open(sealed, context=b"member:2:totp")
    with pytest.raises(TamperedBlob):
        keys.open(sealed[:-1] + bytes([sealed[-1] ^ 1]), context=b"member:1:totp")

    ring = Keyring.load(settings.keyring_file)
    old_key = ring.active_id
    ring.add_key()
    ring.save()
    rewrapped = rewrap_sealed(sealed, ring.rewrap)
    assert unpack(rewrapped)[0] == ring.active_id != old_key
    ring.retire(old_key)
    ring.save()
    assert SystemKeys.load(settings).open(rewrapped, context=b"member:1:totp") == b"totp secret"


def test_keyed_hash_keys_differ_by_purpose_and_are_stable(settings: Settings) -> None:
    keys = SystemKeys.load(settings)
    assert keys.hmac_key("csrf") != keys.hmac_key("rate-limit")
    assert SystemKeys.load(settings).hmac_key("csrf") == keys.hmac_key("csrf")
