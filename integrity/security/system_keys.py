"""Account secrets sealed with the vault's key ring, and keyed-hash keys bound to it.

A sealed account secret (a TOTP secret) is envelope-encrypted like evidence: a fresh data key seals
the value with the vault's `seal_bytes` (bound to a context naming its owner), and the data key is
kept wrapped under the key ring's active KEK, packed into the same database field:

    version (1) | len(kek id) (1) | kek id | len(wrapped key) (1) | wrapped key | sealed value

`integrity keys rotate` re-wraps these through the accounts domain's registered reference source, so
rotation and retirement cover them like any other stored key.

Keyed hashes (CSRF tokens, rate-limit keys) need a secret that every replica shares and that is not
in the database. AES key wrap is deterministic, so wrapping a fixed value under the active KEK gives
exactly that: a value only holders of the key ring can compute. HKDF turns it into one key per
purpose. Rotating the ring therefore ends outstanding CSRF tokens and restarts rate-limit windows,
which is harmless.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from integrity.errors import TamperedBlob
from integrity.settings import Settings
from integrity.vault import KeyRewrap, Keyring, open_sealed, seal_bytes

SEALED_VERSION = 1
KEY_SIZE = 32
_KEYED_HASH_ROOT = hashlib.sha256(b"integrity keyed-hash root v1").digest()


@dataclass(slots=True)
class SystemKeys:
    ring: Keyring = field(repr=False)
    _hash_root: bytes | None = field(default=None, repr=False)

    @classmethod
    def load(cls, settings: Settings) -> SystemKeys:
        return cls(Keyring.load_or_create(settings))

    def hmac_key(self, purpose: str) -> bytes:
        """A key for keyed hashes of one purpose (`csrf`, `rate-limit`, ...)."""
        if self._hash_root is None:
            self._hash_root = self.ring.wrap(_KEYED_HASH_ROOT)[0]
        info = f"integrity keyed-hash {purpose} v1".encode()
        return HKDF(algorithm=SHA256(), length=KEY_SIZE, salt=None, info=info).derive(self._hash_root)

    def seal(self, plaintext: bytes, *, context: bytes) -> bytes:
        """Seal a short secret; `context` names what and whose it is (e.g. `member:<id>:totp`), so a
        sealed value moved to another row does not open."""
        data_key, wrapped, key_id = self.ring.new_data_key()
        return pack(key_id, wrapped, seal_bytes(data_key, context, plaintext))

    def open(self, sealed: bytes, *, context: bytes) -> bytes:
        key_id, wrapped, body = unpack(sealed)
        return open_sealed(self.ring.unwrap(wrapped, key_id), context, body)


def pack(key_id: str, wrapped: bytes, body: bytes) -> bytes:
    kid = key_id.encode("ascii")
    if len(kid) > 255 or len(wrapped) > 255:
        raise ValueError("key id or wrapped key too long to pack")
    return bytes([SEALED_VERSION, len(kid)]) + kid + bytes([len(wrapped)]) + wrapped + body


def unpack(sealed: bytes) -> tuple[str, bytes, bytes]:
    """The KEK id, the wrapped data key and the sealed value of a packed account secret."""
    data = bytes(sealed)
    try:
        if data[0] != SEALED_VERSION:
            raise TamperedBlob("a sealed account secret has an unknown format")
        kid_end = 2 + data[1]
        key_id = data[2:kid_end].decode("ascii")
        wrapped_end = kid_end + 1 + data[kid_end]
        wrapped = data[kid_end + 1 : wrapped_end]
    except (IndexError, UnicodeDecodeError):
        raise TamperedBlob("a sealed account secret is malformed") from None
    if len(wrapped) != wrapped_end - kid_end - 1 or wrapped_end >= len(data):
        raise TamperedBlob("a sealed account secret is truncated")
    return key_id, wrapped, data[wrapped_end:]


def rewrap_sealed(sealed: bytes, rewrap: KeyRewrap) -> bytes:
    """The same sealed secret with its data key re-wrapped (for key rotation); unchanged if the key
    already is under the active KEK."""
    key_id, wrapped, body = unpack(sealed)
    new_wrapped, new_key_id = rewrap(wrapped, key_id)
    if (new_wrapped, new_key_id) == (wrapped, key_id):
        return bytes(sealed)
    return pack(new_key_id, new_wrapped, body)
