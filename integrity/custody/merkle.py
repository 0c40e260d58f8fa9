"""RFC 6962 / RFC 9162 Merkle tree hashes, inclusion and consistency proofs.

A small module rather than `pymerkle`: our leaves already live in the database as entry hashes, and
the proofs must be exactly the RFC's (section 2.1 of RFC 6962 for the tree, RFC 9162 sections
2.1.3 and 2.1.4 for verification), which the tests pin with the RFC's reference shapes.
Functions take the list of leaf hashes (`leaf_hash(entry_hash)` for each entry, in order).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf_input: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf_input).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[lo]
    # Iterative over perfect subtrees would be faster; recursion depth is only log2(n).
    k = _split(n)
    return node_hash(_mth(leaves, lo, lo + k), _mth(leaves, lo + k, hi))


def root(leaves: Sequence[bytes], size: int | None = None) -> bytes:
    """MTH of the first `size` leaves (all of them by default)."""
    size = len(leaves) if size is None else size
    if not 0 <= size <= len(leaves):
        raise ValueError("tree size out of range")
    return _mth(leaves, 0, size)


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges [lo, hi) whose MTHs make up PATH(index, D[size]) (RFC 6962 section 2.1.1),
    in proof order. The proof is ``[MTH(D[lo:hi]) for lo, hi in inclusion_ranges(index, size)]``."""
    if not 0 <= index < size:
        raise ValueError("leaf index or tree size out of range")
    ranges: list[tuple[int, int]] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m = lo + k, m - k
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTHs make up PROOF(first, D[second]) (RFC 6962 section 2.1.2), in order."""
    if not 0 < first <= second:
        raise ValueError("tree sizes out of range")
    ranges: list[tuple[int, int]] = []
    lo, hi, m, complete = 0, second, first, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def perfect_subtrees(lo: int, hi: int) -> list[tuple[int, int]]:
    """[lo, hi) as the perfect subtrees (start, height) whose right fold is MTH(D[lo:hi]), left to right.

    RFC 6962 splits n leaves at the largest power of two below n, so a range is its binary digits,
    largest first; every range a proof or a root asks for starts aligned to its largest subtree, and
    so does each subtree here (``start`` is a multiple of ``2**height``).
    """
    subtrees: list[tuple[int, int]] = []
    start, n = lo, hi - lo
    while n:
        height = n.bit_length() - 1
        if start % (1 << height):
            raise ValueError("the range does not start on its subtree boundary")
        subtrees.append((start, height))
        start += 1 << height
        n -= 1 << height
    return subtrees


def fold(hashes: Sequence[bytes]) -> bytes:
    """The root over perfect subtrees' hashes, left to right (`perfect_subtrees` order)."""
    if not hashes:
        return EMPTY_ROOT
    current = hashes[-1]
    for left in reversed(hashes[:-1]):
        current = node_hash(left, current)
    return current


def inclusion_proof(index: int, leaves: Sequence[bytes], size: int | None = None) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 section 2.1.1 for leaf `index` in the tree of `size` leaves."""
    size = len(leaves) if size is None else size
    if not 0 <= index < size <= len(leaves):
        raise ValueError("leaf index or tree size out of range")
    return [_mth(leaves, lo, hi) for lo, hi in inclusion_ranges(index, size)]


def consistency_proof(first: int, second: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 section 2.1.2, between tree sizes `first` and `second`."""
    if not 0 < first <= second <= len(leaves):
        raise ValueError("tree sizes out of range")
    return [_mth(leaves, lo, hi) for lo, hi in consistency_ranges(first, second)]


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if first == second:
        return not proof and first_root == second_root
    if not 0 < first < second or not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root is the start of the path
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_root and sr == second_root


class Accumulator:
    """The right edge of a growing tree (one hash per perfect subtree), for roots at every size.

    `root()` after n appends equals `root(leaves[:n])`: the perfect subtrees of sizes given by the
    bits of n, folded from the right, are exactly RFC 6962's split at the largest power of two.
    """

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (subtree size, hash), sizes decreasing
        self.size = 0

    def append(self, leaf: bytes) -> None:
        size, current = 1, leaf
        while self._stack and self._stack[-1][0] == size:
            left_size, left = self._stack.pop()
            current = node_hash(left, current)
            size += left_size
        self._stack.append((size, current))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        current = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            current = node_hash(left, current)
        return current
