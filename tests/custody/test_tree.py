"""The custody tree read through stored subtree hashes gives exactly the in-memory RFC 6962 answers,
whatever has been stored so far, and `custody verify` catches a stored hash that lies."""

from __future__ import annotations

import hashlib
import random

import pytest
from litestar import Litestar

from integrity import db
from integrity.custody import merkle, service, tree
from integrity.custody.tables import CustodyEntry, CustodyNode
from integrity.errors import NotFound

ENTRIES = 2000
SIZES = [1, 2, 3, 255, 256, 257, 511, 512, 513, 700, 1024, 1025, 1500, 1999, 2000]


def entry_hash(n: int) -> str:
    return hashlib.sha256(f"entry {n}".encode()).hexdigest()


@pytest.fixture
async def leaves(engine: db.Engine) -> list[bytes]:
    """A log of `ENTRIES` rows (only what the tree reads: seq and entry_hash) and its leaf hashes."""
    rows = [
        CustodyEntry(
            seq=n,
            at="2026-11-22T10:00:00.000000Z",
            actor="system",
            action="test.tree",
            subject=f"n:{n}",
            details="{}",
            prev_hash="00" * 32,
            entry_hash=entry_hash(n),
        )
        for n in range(1, ENTRIES + 1)
    ]
    for offset in range(0, len(rows), 500):
        await CustodyEntry.insert(*rows[offset : offset + 500])
    return [merkle.leaf_hash(bytes.fromhex(entry_hash(n))) for n in range(1, ENTRIES + 1)]


async def assert_matches_memory(leaves: list[bytes]) -> None:
    rng = random.Random(7)
    for size in SIZES:
        assert await tree.root(size) == merkle.root(leaves, size)
        for index in {0, size - 1, size // 2, rng.randrange(size)}:
            assert await tree.inclusion_proof(index, size) == merkle.inclusion_proof(index, leaves, size)
        for first in {1, size // 3 or 1, size - 1 or 1, size}:
            assert await tree.consistency_proof(first, size) == merkle.consistency_proof(first, size, leaves)


async def test_nothing_stored_everything_from_the_leaves(leaves: list[bytes]) -> None:
    assert await CustodyNode.count() == 0
    await assert_matches_memory(leaves)


async def test_partly_and_fully_stored_give_the_same_answers(leaves: list[bytes]) -> None:
    # 700 leaves hold two complete 256-leaf subtrees and one of 512.
    assert await tree.extend(700) == 3
    await assert_matches_memory(leaves)
    # Up to 2000: seven 256s (two of them already stored), three 512s, one 1024.
    assert await tree.extend(ENTRIES) == 5 + 2 + 1
    assert await tree.extend(ENTRIES) == 0
    assert await CustodyNode.count() == 7 + 3 + 1
    await assert_matches_memory(leaves)


async def test_stored_subtrees_are_read_instead_of_the_entries_under_them(leaves: list[bytes]) -> None:
    await tree.extend(ENTRIES)
    # Rewrite an entry deep inside a stored subtree: the stored hashes still give the old answers
    # (the rows under them are not read), which is what `custody verify` is there to catch.
    await CustodyEntry.update({CustodyEntry.entry_hash: "ab" * 32}).where(CustodyEntry.seq == 100)
    assert await tree.root(ENTRIES) == merkle.root(leaves)
    assert await tree.inclusion_proof(1500, ENTRIES) == merkle.inclusion_proof(1500, leaves)
    # The small subtrees around a leaf are computed from the entries: its neighbour's proof changes.
    assert await tree.inclusion_proof(98, ENTRIES) != merkle.inclusion_proof(98, leaves)


async def test_the_node_checker_recomputes_every_stored_hash(leaves: list[bytes]) -> None:
    await tree.extend(ENTRIES)
    checker = tree.NodeChecker()
    for leaf in leaves:
        checker.add(leaf)
    assert await checker.problems() == []

    await CustodyNode.update({CustodyNode.hash: "cd" * 32}).where(CustodyNode.node == tree.node_key(512, 9))
    await CustodyNode.insert(CustodyNode(node=tree.node_key(2048, 8), hash="ef" * 32))
    assert await checker.problems() == [
        "custody tree node (8, 8) lies beyond the log",
        "custody tree node (9, 1) does not match the entries",
    ]


async def test_a_log_shorter_than_the_size_asked_for_is_not_found(leaves: list[bytes]) -> None:
    with pytest.raises(NotFound):
        await tree.root(ENTRIES + 1)
    with pytest.raises(NotFound):
        await tree.inclusion_proof(0, ENTRIES + 300)


async def test_checkpoints_store_the_subtrees_and_custody_verify_checks_them(app: Litestar) -> None:
    signer = app.state.signer
    for n in range(300):
        await service.record(signer, actor_id=None, action="test.tree", subject=f"n:{n}", details={"n": n})
    checkpoint = await service.sign_checkpoint(signer)
    assert checkpoint is not None and checkpoint.tree_size == 300
    assert [row["node"] for row in await CustodyNode.select(CustodyNode.node)] == [tree.node_key(0, 8)]
    leaves = [
        merkle.leaf_hash(bytes.fromhex(row["entry_hash"]))
        for row in await CustodyEntry.select(CustodyEntry.entry_hash).order_by(CustodyEntry.seq)
    ]
    assert checkpoint.root_hash == merkle.root(leaves).hex()
    proof = await service.inclusion_proof(17)
    assert proof.audit_path == [node.hex() for node in merkle.inclusion_proof(16, leaves)]
    assert (await service.verify_log(signer.trusted_keys())).ok

    await CustodyNode.update({CustodyNode.hash: "cd" * 32}).where(CustodyNode.node == tree.node_key(0, 8))
    report = await service.verify_log(signer.trusted_keys())
    assert report.problems == ["custody tree node (8, 0) does not match the entries"]
