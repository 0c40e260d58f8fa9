"""What the public custody endpoints return, exactly as API.md "Formats that outsiders verify"."""

from __future__ import annotations

from typing import Any

import msgspec


class PublicKeyOut(msgspec.Struct):
    key_id: str
    algorithm: str
    public_key: str
    created_at: str


class KeysOut(msgspec.Struct):
    keys: list[PublicKeyOut]


class CheckpointOut(msgspec.Struct):
    tree_size: int
    root_hash: str
    signed_at: str
    signature: str
    key_id: str


class CheckpointPage(msgspec.Struct):
    items: list[CheckpointOut]
    total: int
    page: int
    page_size: int


class InclusionProofOut(msgspec.Struct):
    seq: int
    leaf_index: int
    tree_size: int
    entry_hash: str
    audit_path: list[str]
    root_hash: str


class ConsistencyProofOut(msgspec.Struct):
    first: int
    second: int
    path: list[str]


class CustodyEntryBody(msgspec.Struct):
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    details: dict[str, Any]


class CustodyEntryOut(msgspec.Struct):
    seq: int
    prev_hash: str
    entry: CustodyEntryBody
    entry_hash: str
