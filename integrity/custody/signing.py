"""The platform's Ed25519 signing key (receipts and checkpoints) and the canonical JSON it signs.

Trust anchors live in files, never in the database (which someone with write access to it could
extend): the signing key's PEM file, and beside it ``<key file>.retired.json``, the public keys of
keys it replaced (``integrity keys rotate-signing``), so what they signed still verifies. The
public keys listed, and trusted by `/verify` and `custody verify`, are exactly these.

The custody log's actor pseudonyms are keyed hashes under a secret of their own
(``custody-pseudonyms.key`` beside the signing key), so a new signing key does not change them. A
platform that had none derives it once from its current signing key, as pseudonyms were derived
before, so they stay the same.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from integrity.errors import ConfigurationError

log = logging.getLogger(__name__)

ALGORITHM = "Ed25519"


def canonical_json(value: Any) -> bytes:
    """The canonical JSON of API.md: sorted keys, no spaces, UTF-8, non-ASCII kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def rfc3339(moment: datetime) -> str:
    """UTC with microseconds and a `Z`: one spelling, so signed times re-serialise identically."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_now() -> str:
    return rfc3339(datetime.now(UTC))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class PublicKey:
    """A public key the platform vouches for: the current one, or one it retired."""

    key_id: str
    public_key: str
    created_at: str
    retired_at: str | None = None

    def listed(self) -> dict[str, str]:
        return {
            "key_id": self.key_id,
            "algorithm": ALGORITHM,
            "public_key": self.public_key,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class Signer:
    private_key: Ed25519PrivateKey
    key_id: str
    public_key_b64: str
    created_at: str = ""
    #: Keys this one replaced, from the retired-keys file.
    retired: tuple[PublicKey, ...] = ()
    #: The actor pseudonyms' secret (see the module's docstring).
    pseudonym_secret: bytes = field(default=b"", repr=False)

    @classmethod
    def from_private_key(cls, private_key: Ed25519PrivateKey, **extra: Any) -> Signer:
        raw = private_key.public_key().public_bytes(
            encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
        )
        extra.setdefault("pseudonym_secret", _legacy_pseudonym_secret(private_key))
        return cls(private_key=private_key, key_id=key_id_for(raw), public_key_b64=b64(raw), **extra)

    def sign(self, message: bytes) -> str:
        return b64(self.private_key.sign(message))

    def pseudonym(self, member_id: str) -> str:
        return hmac.new(self.pseudonym_secret, member_id.encode(), hashlib.sha256).hexdigest()[:32]

    def filer_tag(self, member_id: uuid.UUID) -> str:
        """What a case stores for the member who filed it: a keyed hash of the member's id, so only
        the running platform (which holds the secret, in a file) links cases to members; a database
        dump does not. Distinct from the custody pseudonym of the same member."""
        message = b"filer:" + str(member_id).encode()
        return hmac.new(self.pseudonym_secret, message, hashlib.sha256).hexdigest()

    def trusted_keys(self) -> list[PublicKey]:
        """The current public key and every retired one, oldest first."""
        current = PublicKey(self.key_id, self.public_key_b64, self.created_at)
        return [*self.retired, current]


def _legacy_pseudonym_secret(private_key: Ed25519PrivateKey) -> bytes:
    """How pseudonyms were keyed before they had a secret of their own: from the signing key."""
    raw = private_key.private_bytes(
        encoding=serialization.Encoding.Raw,
        format=serialization.PrivateFormat.Raw,
        encryption_algorithm=serialization.NoEncryption(),
    )
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"integrity custody actor v1").derive(
        raw
    )


def key_id_for(raw_public_key: bytes) -> str:
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def verify_signature(public_key_b64: str, message: bytes, signature_b64: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64, validate=True))
        key.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def retired_keys_file(path: Path) -> Path:
    return path.with_name(path.name + ".retired.json")


def pseudonym_secret_file(path: Path) -> Path:
    return path.with_name("custody-pseudonyms.key")


def _read_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the signing key file {path}: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError(f"the signing key file {path} does not hold an Ed25519 key")
    return key


def _read_retired(path: Path) -> tuple[PublicKey, ...]:
    file = retired_keys_file(path)
    if not file.exists():
        return ()
    try:
        items = json.loads(file.read_text(encoding="utf-8"))
        return tuple(PublicKey(**item) for item in items)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"cannot read the retired signing keys file {file}: {exc}") from None


def _created_at(path: Path) -> str:
    return rfc3339(datetime.fromtimestamp(path.stat().st_mtime, UTC))


def _write_private(path: Path, data: bytes, *, exclusive: bool) -> None:
    """Write a secret file 0600, whole or not at all (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if exclusive:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return
    temp = path.with_name(path.name + ".new")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def _pseudonym_secret(path: Path, key: Ed25519PrivateKey, *, create: bool = True) -> bytes:
    file = pseudonym_secret_file(path)
    if not file.exists() and not create:
        return _legacy_pseudonym_secret(key)  # as it would be made, without writing it
    if not file.exists():
        try:
            _write_private(file, _legacy_pseudonym_secret(key).hex().encode(), exclusive=True)
        except FileExistsError:
            pass  # another process made it first
        except OSError as exc:
            raise ConfigurationError(f"cannot write the pseudonym key file {file}: {exc.strerror}") from None
    try:
        secret = bytes.fromhex(file.read_text(encoding="ascii").strip())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the pseudonym key file {file}: {exc}") from None
    if len(secret) != 32:
        raise ConfigurationError(f"the pseudonym key file {file} does not hold a 32-byte key")
    return secret


def _signer(path: Path, key: Ed25519PrivateKey, *, create: bool = True) -> Signer:
    return Signer.from_private_key(
        key,
        created_at=_created_at(path),
        retired=_read_retired(path),
        pseudonym_secret=_pseudonym_secret(path, key, create=create),
    )


def load_signer(path: Path) -> Signer:
    """The signer from the key files as they are, creating nothing (a backup's kept copies)."""
    if not path.exists():
        raise ConfigurationError(f"the signing key file {path} does not exist")
    return _signer(path, _read_private_key(path), create=False)


def load_trusted_keys(path: Path) -> list[PublicKey]:
    """The public keys to trust, from the key files alone (nothing is created)."""
    if not path.exists():
        raise ConfigurationError(f"the signing key file {path} does not exist")
    raw = (
        _read_private_key(path)
        .public_key()
        .public_bytes(encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw)
    )
    return [*_read_retired(path), PublicKey(key_id_for(raw), b64(raw), _created_at(path))]


def _new_key() -> tuple[Ed25519PrivateKey, bytes]:
    """A fresh signing key and its PEM (PKCS #8, unencrypted: the file itself is 0600)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    return key, pem


def load_or_create_signer(path: Path, *, generated_in_data_dir: bool) -> Signer:
    """Read the PEM key at `path`, or make one there (mode 0600) when it does not exist yet."""
    if path.exists():
        return _signer(path, _read_private_key(path))

    key, pem = _new_key()
    try:
        _write_private(path, pem, exclusive=True)
    except FileExistsError:
        # Another process made it first: use theirs.
        return load_or_create_signer(path, generated_in_data_dir=generated_in_data_dir)
    except OSError as exc:
        raise ConfigurationError(f"cannot write the signing key file {path}: {exc.strerror}") from None
    if generated_in_data_dir:
        log.warning(
            "generated a new signing key in %s; production keys belong outside the data folder "
            "(INTEGRITY_SIGNING_KEY_FILE)",
            path,
        )
    return _signer(path, key)


def rotate_signing_key(path: Path) -> tuple[str, str]:
    """Replace the signing key with a new one, keeping the old public key trusted (in the retired
    keys file) so what it signed still verifies; returns (old key id, new key id). Pseudonyms keep
    their secret: it is made from the old key first if it did not exist."""
    old = _signer(path, _read_private_key(path))
    retired = [asdict(item) for item in old.retired]
    retired.append(asdict(PublicKey(old.key_id, old.public_key_b64, old.created_at, utc_now())))
    new, pem = _new_key()
    try:
        # The retired key is recorded before the new key replaces it: a crash between the two
        # leaves an extra trusted key (the current one), never an untrusted signature.
        _write_private(retired_keys_file(path), json.dumps(retired, indent=2).encode(), exclusive=False)
        _write_private(path, pem, exclusive=False)
    except OSError as exc:
        raise ConfigurationError(f"cannot write the signing key files: {exc.strerror}") from None
    return old.key_id, _signer(path, new).key_id
