"""Checking a signed receipt (or any payload the platform signed) against the platform's public keys,
as the public /verify page does for a member who kept one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from integrity.custody import service as custody
from integrity.custody.signing import Signer, verify_signature

#: A receipt is a small JSON document; anything larger is not one.
MAX_RECEIPT = 64 * 1024


@dataclass
class ReceiptCheck:
    ok: bool
    #: Why it does not verify, as a code: not_json, fields, unknown_key or bad_signature.
    problem: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    key_id: str | None = None


async def check_receipt(signer: Signer, text: str) -> ReceiptCheck:
    """Whether `text` is a receipt whose signature verifies against one of the platform's keys."""
    try:
        receipt = json.loads(text)
    except ValueError:
        return ReceiptCheck(False, "not_json")
    if not isinstance(receipt, dict) or not all(
        isinstance(receipt.get(name), str) for name in ("payload", "signature", "key_id")
    ):
        return ReceiptCheck(False, "fields")
    keys = {key["key_id"]: key for key in await custody.public_keys(signer)}
    key = keys.get(receipt["key_id"])
    if key is None:
        return ReceiptCheck(False, "unknown_key", key_id=receipt["key_id"])
    if not verify_signature(key["public_key"], receipt["payload"].encode("utf-8"), receipt["signature"]):
        return ReceiptCheck(False, "bad_signature", key_id=receipt["key_id"])
    try:
        payload = json.loads(receipt["payload"])
    except ValueError:
        payload = {}
    return ReceiptCheck(True, payload=payload if isinstance(payload, dict) else {}, key_id=receipt["key_id"])
