"""An independent verifier written from RFC 9162 for the tests, sharing no code with the platform.

Outsiders check our proofs with their own code; so do the tests.
"""

from __future__ import annotations

import base64
import json
from hashlib import sha256

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def hash_children(left: bytes, right: bytes) -> bytes:
    return sha256(bytes([1]) + left + right).digest()


def hash_leaf(data: bytes) -> bytes:
    return sha256(bytes([0]) + data).digest()


def reference_root(leaf_inputs: list[bytes]) -> bytes:
    """MTH straight from RFC 6962 section 2.1, by list slicing."""
    if not leaf_inputs:
        return sha256(b"").digest()
    if len(leaf_inputs) == 1:
        return hash_leaf(leaf_inputs[0])
    k = 1
    while k * 2 < len(leaf_inputs):
        k *= 2
    return hash_children(reference_root(leaf_inputs[:k]), reference_root(leaf_inputs[k:]))


def verifies_inclusion(leaf_index: int, tree_size: int, leaf: bytes, path: list[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2, step by step."""
    if leaf_index >= tree_size:
        return False
    fn, sn, r = leaf_index, tree_size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if (fn % 2 == 1) or fn == sn:
            r = hash_children(p, r)
            if fn % 2 == 0:
                while not (fn % 2 == 1 or fn == 0):
                    fn, sn = fn // 2, sn // 2
        else:
            r = hash_children(r, p)
        fn, sn = fn // 2, sn // 2
    return sn == 0 and r == root


def verifies_consistency(
    first: int, second: int, path: list[bytes], first_root: bytes, second_root: bytes
) -> bool:
    """RFC 9162 section 2.1.4.2, step by step."""
    if first == second:
        return path == [] and first_root == second_root
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_root, *path]
    fn, sn = first - 1, second - 1
    while fn % 2 == 1:
        fn, sn = fn // 2, sn // 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = hash_children(c, fr), hash_children(c, sr)
            if fn % 2 == 0:
                while not (fn % 2 == 1 or fn == 0):
                    fn, sn = fn // 2, sn // 2
        else:
            sr = hash_children(sr, c)
        fn, sn = fn // 2, sn // 2
    return sn == 0 and fr == first_root and sr == second_root


def canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def ed25519_verifies(public_key_b64: str, message: bytes, signature_b64: str) -> bool:
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
    try:
        key.verify(base64.b64decode(signature_b64), message)
    except InvalidSignature:
        return False
    return True
