"""The key ring: key-encryption keys (KEKs) with ids, one active, wrapping each blob's data key.

Data keys are wrapped with AES key wrap (RFC 3394, `cryptography`'s keywrap); the wrapped key and the
KEK id go to the database, never to the object store. The ring lives in a JSON file (mode 0600):

    {"format": "integrity-keyring", "version": 1, "active": "<id>",
     "keys": [{"id": "<id>", "key": "<base64, 32 bytes>", "created": "<ISO 8601>"}]}

The interface (`new_data_key`, `unwrap`, `rewrap`) is what a KMS (MinIO KES, Vault transit) would
implement too.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import stat
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from integrity.errors import ConfigurationError, TamperedBlob
from integrity.settings import Settings
from integrity.vault.format import KEY_SIZE, generate_data_key

log = logging.getLogger("integrity.vault.keyring")

FILE_FORMAT = "integrity-keyring"
FILE_VERSION = 1
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True, slots=True)
class KeyEncryptionKey:
    id: str
    key: bytes = field(repr=False)
    created: str

    @classmethod
    def generate(cls) -> KeyEncryptionKey:
        now = datetime.now(UTC)
        return cls(
            id=f"kek-{now:%Y%m%d}-{secrets.token_hex(4)}",
            key=secrets.token_bytes(KEY_SIZE),
            created=now.isoformat(timespec="seconds"),
        )


def default_keyring_file(settings: Settings) -> Path:
    """Where the development key ring goes when `INTEGRITY_KEYRING_FILE` is not set."""
    return settings.data_dir / "keys" / "keyring.json"


class Keyring:
    """KEKs by id, one active. Not a secret store of its own: whoever reads the file has the keys."""

    def __init__(self, keys: Iterable[KeyEncryptionKey], active_id: str, *, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._keys, self._active_id = _checked(keys, active_id)

    # -- files -------------------------------------------------------------------------------------

    @classmethod
    def generate(cls, *, path: Path | None = None) -> Keyring:
        """A new ring with one fresh active key (not saved)."""
        key = KeyEncryptionKey.generate()
        return cls([key], key.id, path=path)

    @classmethod
    def load(cls, path: Path) -> Keyring:
        keys, active_id = _read(path)
        return cls(keys, active_id, path=path)

    @classmethod
    def load_or_create(cls, settings: Settings) -> Keyring:
        """The configured key ring; generated (0600, with a warning) only for the unconfigured default.

        A configured `INTEGRITY_KEYRING_FILE` that does not exist is an error, never silently replaced:
        new keys there would make every stored blob unreadable.
        """
        path = settings.keyring_file
        if path.exists():
            return cls.load(path)
        if not (settings.keys_generated_in_data_dir and path == default_keyring_file(settings)):
            raise ConfigurationError(
                "INTEGRITY_KEYRING_FILE names a key-ring file that does not exist (make the first one "
                "with `integrity keys init`; restore a lost one from its offline copy)"
            )
        try:
            ring = cls.create(path)
        except FileExistsError:
            # Another process (a second replica, a CLI) created it first: use theirs.
            return cls.load(path)
        log.warning(
            "generated a new key ring at %s because INTEGRITY_KEYRING_FILE is not set; this is for "
            "development only: production keys belong outside the data folder, backed up apart from it",
            path,
        )
        return ring

    @classmethod
    def create(cls, path: Path) -> Keyring:
        """A new ring written to ``path`` (0600); FileExistsError if a file is there already."""
        ring = cls.generate(path=path)
        _write(path, ring._document(), replace=False)
        return ring

    def save(self) -> None:
        """Write the ring back to its file atomically (temp file, fsync, rename), mode 0600."""
        if self.path is None:
            raise ConfigurationError("this key ring has no file to save to")
        _write(self.path, self._document(), replace=True)

    def reload(self) -> None:
        """Pick up keys added by another process (`integrity keys rotate` while the app runs)."""
        if self.path is None:
            return
        keys, active_id = _read(self.path)
        checked = _checked(keys, active_id)
        with self._lock:
            self._keys, self._active_id = checked

    def _document(self) -> dict[str, object]:
        with self._lock:
            keys, active_id = list(self._keys.values()), self._active_id
        return {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "active": active_id,
            "keys": [
                {"id": k.id, "key": base64.b64encode(k.key).decode("ascii"), "created": k.created}
                for k in keys
            ],
        }

    # -- keys --------------------------------------------------------------------------------------

    @property
    def active_id(self) -> str:
        return self._active_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def add_key(self) -> str:
        """Add a fresh KEK and make it the active one; the old ones stay for reading. Returns its id."""
        key = KeyEncryptionKey.generate()
        with self._lock:
            self._keys = {**self._keys, key.id: key}
            self._active_id = key.id
        return key.id

    def retire(self, key_id: str) -> None:
        """Drop a KEK. Every data key still wrapped under it becomes unreadable: check first."""
        with self._lock:
            if key_id == self._active_id:
                raise ConfigurationError("the active key cannot be retired; rotate first")
            if key_id not in self._keys:
                raise ConfigurationError(f"the key ring has no key {key_id!r}")
            self._keys = {k: v for k, v in self._keys.items() if k != key_id}

    # -- data keys ---------------------------------------------------------------------------------

    def new_data_key(self) -> tuple[bytes, bytes, str]:
        """A fresh data key, the same key wrapped under the active KEK, and that KEK's id."""
        data_key = generate_data_key()
        wrapped, key_id = self.wrap(data_key)
        return data_key, wrapped, key_id

    def wrap(self, data_key: bytes) -> tuple[bytes, str]:
        with self._lock:
            kek = self._keys[self._active_id]
        return aes_key_wrap(kek.key, data_key), kek.id

    def unwrap(self, wrapped: bytes, key_id: str) -> bytes:
        """The data key; `TamperedBlob` if the wrapped key was altered, `ConfigurationError` if the KEK
        is unknown even after re-reading the file (retired, or the wrong key ring)."""
        kek = self._keys.get(key_id)
        if kek is None:
            self.reload()
            kek = self._keys.get(key_id)
        if kek is None:
            raise ConfigurationError(f"the key ring has no key {key_id!r}")
        try:
            data_key = aes_key_unwrap(kek.key, bytes(wrapped))
        except (InvalidUnwrap, ValueError):
            raise TamperedBlob("a wrapped data key does not unwrap") from None
        if len(data_key) != KEY_SIZE:
            raise TamperedBlob("a wrapped data key has the wrong size")
        return data_key

    def rewrap(self, wrapped: bytes, key_id: str) -> tuple[bytes, str]:
        """The same data key wrapped under the active KEK (unchanged if it already is)."""
        if key_id == self._active_id:
            return wrapped, key_id
        return self.wrap(self.unwrap(wrapped, key_id))


@contextlib.contextmanager
def locked_keyring_file(path: Path) -> Iterator[None]:
    """Serialise read-modify-write of the key-ring file between processes (two rotations at once)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _checked(keys: Iterable[KeyEncryptionKey], active_id: str) -> tuple[dict[str, KeyEncryptionKey], str]:
    by_id: dict[str, KeyEncryptionKey] = {}
    for key in keys:
        if not _KEY_ID.fullmatch(key.id):
            raise ConfigurationError("a key-ring key id must be 1-64 of A-Z a-z 0-9 . _ -")
        if len(key.key) != KEY_SIZE:
            raise ConfigurationError(f"key-ring key {key.id!r} is not {KEY_SIZE} bytes")
        if key.id in by_id:
            raise ConfigurationError(f"key-ring key id {key.id!r} appears twice")
        by_id[key.id] = key
    if active_id not in by_id:
        raise ConfigurationError("the key ring's active key is not among its keys")
    return by_id, active_id


def _read(path: Path) -> tuple[list[KeyEncryptionKey], str]:
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read the key-ring file ({exc.strerror})") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the key-ring file %s can be read by other users; it should be mode 0600", path)
    try:
        document = json.loads(text)
        if document.get("format") != FILE_FORMAT or document.get("version") != FILE_VERSION:
            raise ConfigurationError("the key-ring file is not an integrity key ring, version 1")
        keys = [
            KeyEncryptionKey(
                id=str(entry["id"]),
                key=base64.b64decode(entry["key"], validate=True),
                created=str(entry.get("created", "")),
            )
            for entry in document["keys"]
        ]
        return keys, str(document["active"])
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        # Never echo the content: it holds the keys.
        raise ConfigurationError("the key-ring file is malformed") from None


def _write(path: Path, document: dict[str, object], *, replace: bool) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(temp, path)
        else:
            os.link(temp, path)  # fails with FileExistsError rather than overwrite a ring
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
