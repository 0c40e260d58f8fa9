"""The platform's Ed25519 signing key (receipts and checkpoints) and the canonical JSON it signs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
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
class Signer:
    private_key: Ed25519PrivateKey
    key_id: str
    public_key_b64: str

    @classmethod
    def from_private_key(cls, private_key: Ed25519PrivateKey) -> Signer:
        raw = private_key.public_key().public_bytes(
            encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
        )
        return cls(private_key=private_key, key_id=key_id_for(raw), public_key_b64=b64(raw))

    def sign(self, message: bytes) -> str:
        return b64(self.private_key.sign(message))

    def pseudonym_key(self) -> bytes:
        """A key for the custody log's actor pseudonyms, derived so no second secret is needed."""
        raw = self.private_key.private_bytes(
            encoding=serialization.Encoding.Raw,
            format=serialization.PrivateFormat.Raw,
            encryption_algorithm=serialization.NoEncryption(),
        )
        return HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"integrity custody actor v1"
        ).derive(raw)

    def pseudonym(self, member_id: str) -> str:
        return hmac.new(self.pseudonym_key(), member_id.encode(), hashlib.sha256).hexdigest()[:32]


def key_id_for(raw_public_key: bytes) -> str:
    return hashlib.sha256(raw_public_key).hexdigest()[:16]


def verify_signature(public_key_b64: str, message: bytes, signature_b64: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64, validate=True))
        key.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def load_or_create_signer(path: Path, *, generated_in_data_dir: bool) -> Signer:
    """Read the PEM key at `path`, or make one there (mode 0600) when it does not exist yet."""
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise ConfigurationError(f"cannot read the signing key file {path}: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigurationError(f"the signing key file {path} does not hold an Ed25519 key")
        return Signer.from_private_key(key)

    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
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
    return Signer.from_private_key(key)
