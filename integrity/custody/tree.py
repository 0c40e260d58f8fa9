"""The custody log's Merkle tree, read through stored subtree hashes.

A checkpoint's root and a proof are made of a few dozen subtree hashes (RFC 6962); computing them
from every leaf costs a scan of the whole log, which at a million entries takes seconds, under the
log's lock for a checkpoint. So the hash of every complete, aligned subtree of `STORED_HEIGHT` and
up (256 leaves, 512, ...) is kept in `custody_node`, written by `extend()` when a checkpoint is
signed. Anything else, the right edge and the small subtrees around a leaf, is computed from at most
a few hundred leaves. Reads fall back to the leaves for subtrees not stored yet, so every answer is
right whatever has been stored.

Entries never change, so neither do their subtrees. The stored hashes are a cache of the entries:
`custody verify` recomputes them from the entries and reports any that differ.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Sequence

from integrity.custody import merkle
from integrity.custody.tables import CustodyEntry, CustodyNode
from integrity.errors import NotFound

#: Subtrees of 2**STORED_HEIGHT leaves and up are stored; smaller ones are computed from leaves.
STORED_HEIGHT = 8
#: Complete bottom subtrees hashed and stored per round trip while extending.
_EXTEND_BATCH = 64
_IN_CHUNK = 500
#: Leaves fetched in a single query when a proof needs several small ranges of them.
_ONE_QUERY_LEAVES = 4096

Subtree = tuple[int, int]  # (start leaf index, height)


def node_key(start: int, height: int) -> int:
    """The `custody_node.node` value of the perfect subtree of 2**height leaves from `start`."""
    return (height << 48) | (start >> height)


def _key_range(height: int) -> tuple[int, int]:
    return height << 48, (height + 1) << 48


async def leaf_range(lo: int, hi: int) -> list[bytes]:
    """Leaf hashes of leaves [lo, hi) (entries lo + 1 .. hi)."""
    leaves: list[bytes] = []
    after = lo
    while after < hi:
        rows = (
            await CustodyEntry.select(CustodyEntry.seq, CustodyEntry.entry_hash)
            .where((CustodyEntry.seq > after) & (CustodyEntry.seq <= hi))
            .order_by(CustodyEntry.seq)
            .limit(20000)
        )
        if not rows:
            break
        leaves.extend(merkle.leaf_hash(bytes.fromhex(row["entry_hash"])) for row in rows)
        after = int(rows[-1]["seq"])
    if len(leaves) != hi - lo:
        raise NotFound("the custody log is shorter than that tree size", code="tree_size_too_large")
    return leaves


async def leaf_ranges(spans: Sequence[tuple[int, int]]) -> list[list[bytes]]:
    """`leaf_range` of each span; small spans (a proof's few hundred leaves) in one query."""
    if sum(hi - lo for lo, hi in spans) > _ONE_QUERY_LEAVES:
        return [await leaf_range(lo, hi) for lo, hi in spans]
    if not spans:
        return []
    where = functools.reduce(
        operator.or_, ((CustodyEntry.seq > lo) & (CustodyEntry.seq <= hi) for lo, hi in spans)
    )
    rows = await CustodyEntry.select(CustodyEntry.seq, CustodyEntry.entry_hash).where(where)
    by_seq = {int(row["seq"]): row["entry_hash"] for row in rows}
    out: list[list[bytes]] = []
    for lo, hi in spans:
        if any(seq not in by_seq for seq in range(lo + 1, hi + 1)):
            raise NotFound("the custody log is shorter than that tree size", code="tree_size_too_large")
        out.append([merkle.leaf_hash(bytes.fromhex(by_seq[seq])) for seq in range(lo + 1, hi + 1)])
    return out


async def _stored(subtrees: Iterable[Subtree]) -> dict[Subtree, bytes]:
    wanted = {node_key(start, height): (start, height) for start, height in subtrees}
    found: dict[Subtree, bytes] = {}
    keys = list(wanted)
    for offset in range(0, len(keys), _IN_CHUNK):
        rows = await CustodyNode.select(CustodyNode.node, CustodyNode.hash).where(
            CustodyNode.node.is_in(keys[offset : offset + _IN_CHUNK])
        )
        for row in rows:
            found[wanted[int(row["node"])]] = bytes.fromhex(row["hash"])
    return found


async def subtree_hashes(subtrees: Sequence[Subtree]) -> dict[Subtree, bytes]:
    """The hash of each perfect subtree: stored ones read, the rest computed from their leaves."""
    known: dict[Subtree, bytes] = {}
    pending = set(subtrees)
    from_leaves: set[Subtree] = set()
    # Stored heights first; a subtree not stored yet is asked of its two halves, down to the leaves.
    while pending:
        stored = {subtree for subtree in pending if subtree[1] >= STORED_HEIGHT}
        from_leaves |= pending - stored
        known |= await _stored(stored)
        pending = set()
        for start, height in stored - known.keys():
            if height == STORED_HEIGHT:
                from_leaves.add((start, height))
            else:
                half = 1 << (height - 1)
                pending |= {(start, height - 1), (start + half, height - 1)}
    for (lo, hi), leaves in zip(spans := _merged(from_leaves), await leaf_ranges(spans), strict=True):
        for start, height in from_leaves:
            if lo <= start < hi:
                known[(start, height)] = merkle.root(leaves[start - lo : start - lo + (1 << height)])

    def resolve(start: int, height: int) -> bytes:
        if (start, height) not in known:
            half = 1 << (height - 1)
            known[(start, height)] = merkle.node_hash(
                resolve(start, height - 1), resolve(start + half, height - 1)
            )
        return known[(start, height)]

    return {(start, height): resolve(start, height) for start, height in subtrees}


def _merged(subtrees: set[Subtree]) -> list[tuple[int, int]]:
    """The leaf ranges covering `subtrees`, overlapping and touching ones merged."""
    spans = sorted((start, start + (1 << height)) for start, height in subtrees)
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


async def range_hashes(ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """MTH(D[lo:hi]) for each range, in one pass over the stored subtrees and the needed leaves."""
    parts = [merkle.perfect_subtrees(lo, hi) for lo, hi in ranges]
    hashes = await subtree_hashes([subtree for part in parts for subtree in part])
    return [merkle.fold([hashes[subtree] for subtree in part]) for part in parts]


async def root(size: int) -> bytes:
    """MTH of the first `size` leaves."""
    if size == 0:
        return merkle.EMPTY_ROOT
    (hashed,) = await range_hashes([(0, size)])
    return hashed


async def inclusion_proof(index: int, size: int) -> list[bytes]:
    return await range_hashes(merkle.inclusion_ranges(index, size))


async def inclusion_proof_and_root(index: int, size: int) -> tuple[list[bytes], bytes]:
    """The audit path of leaf `index` and the root of the tree of `size` leaves, read together."""
    root_hash, *path = await range_hashes([(0, size), *merkle.inclusion_ranges(index, size)])
    return path, root_hash


async def consistency_proof(first: int, second: int) -> list[bytes]:
    return await range_hashes(merkle.consistency_ranges(first, second))


async def _stored_count(height: int) -> int:
    """How many subtrees of this height are stored (they are stored left to right, none skipped)."""
    low, high = _key_range(height)
    row = (
        await CustodyNode.select(CustodyNode.node)
        .where((CustodyNode.node >= low) & (CustodyNode.node < high))
        .order_by(CustodyNode.node, ascending=False)
        .first()
    )
    return 0 if row is None else int(row["node"]) - low + 1


async def extend(size: int) -> int:
    """Store the hash of every complete subtree of `STORED_HEIGHT` and up within the first `size`
    leaves that is not stored yet; returns how many were added. Call it under the log's lock (two
    writers would store the same nodes twice)."""
    added = 0
    bottom = 1 << STORED_HEIGHT
    have, complete = await _stored_count(STORED_HEIGHT), size >> STORED_HEIGHT
    while have < complete:
        count = min(_EXTEND_BATCH, complete - have)
        leaves = await leaf_range(have * bottom, (have + count) * bottom)
        rows = [
            CustodyNode(
                node=node_key((have + i) * bottom, STORED_HEIGHT),
                hash=merkle.root(leaves[i * bottom : (i + 1) * bottom]).hex(),
            )
            for i in range(count)
        ]
        await CustodyNode.insert(*rows)
        added += count
        have += count
    height = STORED_HEIGHT + 1
    while size >> height:
        have, complete = await _stored_count(height), size >> height
        if have < complete:
            low, _ = _key_range(height - 1)
            children = (
                await CustodyNode.select(CustodyNode.node, CustodyNode.hash)
                .where((CustodyNode.node >= low + 2 * have) & (CustodyNode.node < low + 2 * complete))
                .order_by(CustodyNode.node)
            )
            if len(children) != 2 * (complete - have):
                raise RuntimeError(f"custody tree nodes are missing below height {height}")
            rows = [
                CustodyNode(
                    node=node_key((have + i) << height, height),
                    hash=merkle.node_hash(
                        bytes.fromhex(children[2 * i]["hash"]), bytes.fromhex(children[2 * i + 1]["hash"])
                    ).hex(),
                )
                for i in range(complete - have)
            ]
            for offset in range(0, len(rows), 1000):
                await CustodyNode.insert(*rows[offset : offset + 1000])
            added += len(rows)
        height += 1
    return added


class NodeChecker:
    """Recomputes the stored subtree hashes from the leaves as `custody verify` reads them in order."""

    def __init__(self) -> None:
        self._bottom: list[bytes] = []
        self._levels: dict[int, list[bytes]] = {}

    def add(self, leaf: bytes) -> None:
        self._bottom.append(leaf)
        if len(self._bottom) == 1 << STORED_HEIGHT:
            self._push(STORED_HEIGHT, merkle.root(self._bottom))
            self._bottom = []

    def _push(self, height: int, hashed: bytes) -> None:
        level = self._levels.setdefault(height, [])
        level.append(hashed)
        if len(level) % 2 == 0:
            self._push(height + 1, merkle.node_hash(level[-2], level[-1]))

    async def problems(self) -> list[str]:
        """Stored subtree hashes that differ from the leaves, or that lie beyond them."""
        found: list[str] = []
        after = -1
        while True:
            rows = (
                await CustodyNode.select(CustodyNode.node, CustodyNode.hash)
                .where(CustodyNode.node > after)
                .order_by(CustodyNode.node)
                .limit(5000)
            )
            if not rows:
                return found
            for row in rows:
                node = int(row["node"])
                height, index = node >> 48, node & ((1 << 48) - 1)
                level = self._levels.get(height, [])
                if index >= len(level):
                    found.append(f"custody tree node ({height}, {index}) lies beyond the log")
                elif level[index].hex() != row["hash"]:
                    found.append(f"custody tree node ({height}, {index}) does not match the entries")
            after = int(rows[-1]["node"])
