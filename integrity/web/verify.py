"""What the public /verify page checks: a signed receipt against the platform's public keys, and
a file's SHA-256 against the files published with case files.

A file sent to the page is hashed while it streams in and never stored; with JavaScript the browser
hashes it itself (Web Crypto) and only the hash reaches the server.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from integrity.custody import service as custody
from integrity.custody.signing import Signer, verify_signature
from integrity.errors import BadRequest
from integrity.http.multipart import FormPart
from integrity.publication import public
from integrity.web.labels import N_

SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_RECEIPT = 64 * 1024

RECEIPT_MESSAGES = {
    "not_json": N_("This is not a receipt: paste the whole JSON file, from { to }."),
    "fields": N_("A receipt has the fields payload, signature and key_id."),
    "unknown_key": N_("The receipt names a key this platform never used."),
    "bad_signature": N_("The signature does not match: the receipt was altered or was not issued here."),
}


@dataclass
class ReceiptCheck:
    ok: bool
    problem: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    key_id: str | None = None


async def check_receipt(signer: Signer, text: str) -> ReceiptCheck:
    """Whether `text` is a receipt whose signature verifies against one of the platform's keys."""
    try:
        receipt = json.loads(text)
    except ValueError:
        return ReceiptCheck(False, RECEIPT_MESSAGES["not_json"])
    if not isinstance(receipt, dict) or not all(
        isinstance(receipt.get(name), str) for name in ("payload", "signature", "key_id")
    ):
        return ReceiptCheck(False, RECEIPT_MESSAGES["fields"])
    keys = {key["key_id"]: key for key in await custody.public_keys(signer)}
    key = keys.get(receipt["key_id"])
    if key is None:
        return ReceiptCheck(False, RECEIPT_MESSAGES["unknown_key"], key_id=receipt["key_id"])
    if not verify_signature(key["public_key"], receipt["payload"].encode("utf-8"), receipt["signature"]):
        return ReceiptCheck(False, RECEIPT_MESSAGES["bad_signature"], key_id=receipt["key_id"])
    try:
        payload = json.loads(receipt["payload"])
    except ValueError:
        payload = {}
    return ReceiptCheck(True, payload=payload if isinstance(payload, dict) else {}, key_id=receipt["key_id"])


async def published_with(sha256: str) -> list[public.FileMatch]:
    """The published revisions with a file of this SHA-256, current ones first."""
    if not SHA256.match(sha256):
        return []
    return await public.revisions_with_file(sha256)


async def hash_uploaded_file(parts: AsyncIterator[FormPart]) -> tuple[str, int]:
    """The SHA-256 and size of the form's `file` part, read in chunks and kept nowhere."""
    digest = hashlib.sha256()
    size = 0
    found = False
    async for part in parts:
        if part.filename is None or part.name != "file" or found:
            await part.skip()
            continue
        found = True
        async for chunk in part.chunks():
            digest.update(chunk)
            size += len(chunk)
    if not found or size == 0:
        raise BadRequest("choose a file")
    return digest.hexdigest(), size
