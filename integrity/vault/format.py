"""The vault's ciphertext format: C2SP chunked-encryption v1 (Cobblestone-256) behind a versioned prefix.

A stored blob is ``PREFIX || Cobblestone-256 ciphertext`` with the context ``PREFIX || blob id``, so the
prefix, the format version and the blob id are all bound into the key derivation: a blob copied under
another id, or read as another version, does not open. The construction itself is the `cryptography`
package's recipe; nothing here touches AES, GCM or HKDF directly.

How the recipe behaves (cryptography 50.0.2, checked by experiment and pinned by tests/vault/test_format.py):

- Ciphertext = 56-byte header (24-byte salt, 32-byte key commitment), then every full 16 KiB plaintext
  chunk as 16384 + 16 (GCM tag) = 16400 bytes, then one mandatory final chunk of 0..16383 plaintext bytes
  + 16, flagged as final. Overhead: 72 bytes + 16 per full chunk (about 0.1 %).
- ``Encryptor.update()`` returns the header on its first call (even for empty data) and each chunk as
  soon as its 16 KiB are in; a full chunk is never the final one, so nothing needs to be held back.
  ``finalize()`` returns the short final chunk.
- ``Decryptor.update()`` returns plaintext only in whole chunks whose tag has verified; a partial chunk
  is withheld. The final chunk is only released by ``finalize()``, after its tag (with the final flag)
  verifies. A wrong key or context raises ``InvalidTag`` as soon as the 56-byte header is in (key
  commitment), before any chunk is decrypted. A bad chunk raises ``InvalidTag`` from the ``update()``
  that completes it, and that call returns nothing, not even the good chunks fed with it. Truncation at
  any point, including exactly at a chunk boundary, raises ``InvalidTag`` from ``finalize()``; appended
  bytes raise from ``update()`` or ``finalize()``.
"""

from __future__ import annotations

import re

from cryptography.cobblestone import Cobblestone256Decryptor, Cobblestone256Encryptor
from cryptography.exceptions import InvalidTag

from integrity.errors import TamperedBlob

#: Magic "IVB" (Integrity Vault Blob) and the format version byte. A new version gets a new byte; the
#: reader dispatches on it, so old blobs stay readable.
BLOB_PREFIX = b"IVB\x01"
#: Prefix (and context separator) of short sealed values kept in database fields.
SEALED_PREFIX = b"IVS\x01"

KEY_SIZE = 32
CHUNK_SIZE = 16 * 1024
HEADER_SIZE = 56
TAG_SIZE = 16
SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE

_BLOB_ID = re.compile(r"[0-9a-f]{32}")


def generate_data_key() -> bytes:
    """A fresh random 256-bit data key, from the recipe's own generator."""
    return Cobblestone256Encryptor.generate_key()


def is_blob_id(value: str) -> bool:
    return bool(_BLOB_ID.fullmatch(value))


def blob_context(blob_id: str) -> bytes:
    if not is_blob_id(blob_id):
        raise ValueError("a blob id is 32 lowercase hex digits")
    return BLOB_PREFIX + blob_id.encode("ascii")


def stored_size(plaintext_size: int) -> int:
    """Bytes of the stored object for a plaintext of this size."""
    full_chunks, tail = divmod(plaintext_size, CHUNK_SIZE)
    return len(BLOB_PREFIX) + HEADER_SIZE + full_chunks * SEALED_CHUNK_SIZE + tail + TAG_SIZE


def stored_bytes_for(plaintext_end: int, plaintext_size: int) -> int:
    """How much of the stored object (from its start) decrypts the plaintext up to ``plaintext_end``.

    Everything up to the end of the chunk holding the last wanted byte; when that is the final chunk,
    the whole object.
    """
    if not 0 <= plaintext_end <= plaintext_size:
        raise ValueError("plaintext_end outside the plaintext")
    if plaintext_end == 0:
        return len(BLOB_PREFIX) + HEADER_SIZE
    last_chunk = (plaintext_end - 1) // CHUNK_SIZE
    through_chunk = len(BLOB_PREFIX) + HEADER_SIZE + (last_chunk + 1) * SEALED_CHUNK_SIZE
    return min(through_chunk, stored_size(plaintext_size))


class BlobEncryptor:
    """Encrypts one blob: feed plaintext to ``update()``, then call ``finalize()`` once."""

    def __init__(self, data_key: bytes, blob_id: str) -> None:
        self._encryptor = Cobblestone256Encryptor(data_key, blob_context(blob_id))
        self._started = False

    def update(self, plaintext: bytes | bytearray | memoryview) -> bytes:
        ciphertext = self._encryptor.update(plaintext)
        if not self._started:
            self._started = True
            return BLOB_PREFIX + ciphertext
        return ciphertext

    def finalize(self) -> bytes:
        head = b"" if self._started else self.update(b"")
        return head + self._encryptor.finalize()


class BlobDecryptor:
    """Decrypts one stored blob; never returns a byte of a chunk that has not authenticated.

    Raises `TamperedBlob` for a wrong prefix or version, a wrong key or blob id, and any altered,
    reordered, truncated or extended ciphertext. After it raises, the instance must be dropped.
    """

    def __init__(self, data_key: bytes, blob_id: str) -> None:
        self._decryptor = Cobblestone256Decryptor(data_key, blob_context(blob_id))
        self._prefix = bytearray()

    def update(self, stored: bytes | bytearray | memoryview) -> bytes:
        data = memoryview(stored)
        missing = len(BLOB_PREFIX) - len(self._prefix)
        if missing > 0:
            self._prefix += data[:missing]
            data = data[missing:]
            if bytes(self._prefix) != BLOB_PREFIX[: len(self._prefix)]:
                raise TamperedBlob("stored blob has an unknown format or version")
        try:
            return self._decryptor.update(data)
        except InvalidTag:
            raise TamperedBlob("stored blob failed authentication") from None

    def finalize(self) -> bytes:
        if len(self._prefix) < len(BLOB_PREFIX):
            raise TamperedBlob("stored blob is truncated")
        try:
            return self._decryptor.finalize()
        except InvalidTag:
            raise TamperedBlob("stored blob failed authentication") from None


def seal_bytes(data_key: bytes, context: bytes, plaintext: bytes) -> bytes:
    """Encrypt a short value (a database field) under ``data_key``, bound to ``context``.

    Same construction as blobs (Cobblestone-256, key-committing), with its own prefix; ``context``
    should name what the value is and whose it is (e.g. ``b"case:<uuid>:narrative"``), so a sealed
    value moved to another row or field does not open.
    """
    encryptor = Cobblestone256Encryptor(data_key, SEALED_PREFIX + context)
    return SEALED_PREFIX + encryptor.update(plaintext) + encryptor.finalize()


def open_sealed(data_key: bytes, context: bytes, token: bytes) -> bytes:
    """The plaintext of a `seal_bytes` token; `TamperedBlob` if it was altered or sealed elsewhere."""
    if not token.startswith(SEALED_PREFIX):
        raise TamperedBlob("sealed value has an unknown format or version")
    decryptor = Cobblestone256Decryptor(data_key, SEALED_PREFIX + context)
    try:
        return decryptor.update(token[len(SEALED_PREFIX) :]) + decryptor.finalize()
    except InvalidTag:
        raise TamperedBlob("sealed value failed authentication") from None
