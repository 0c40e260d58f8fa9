"""How long `integrity custody verify` takes on a long custody log, and what checkpoints and proofs cost.

    python benchmarks/custody_verify.py [--entries 1000000] [--checkpoints 10]

Builds a temporary SQLite database with the real migrations, bulk-inserts `--entries` custody
entries whose hashes are computed in Python exactly as `append_entry` computes them (in batches, in
one transaction each, so the million rows take seconds rather than the hours a million
`append_entry` transactions would), signs `--checkpoints` checkpoints spread over the log, then times
`verify_log()`: the hash chain, the Merkle roots, every checkpoint's signature and the stored subtree
hashes (recomputed from the entries; none are stored yet at this point).

Then, side by side on the same log: storing the subtree hashes of the whole log (what the
first checkpoint after an upgrade does, once), then signing a checkpoint after 1,000 more entries
appended through `record()` and making inclusion proofs, through the stored tree and by reading every
leaf (what both did before the tree was stored).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from integrity import db  # noqa: E402
from integrity.custody import merkle, service, tree  # noqa: E402
from integrity.custody.service import ZERO_HASH, checkpoint_payload, entry_object, verify_log  # noqa: E402
from integrity.custody.signing import Signer, canonical_json  # noqa: E402
from integrity.settings import DatabaseSettings  # noqa: E402

BATCH = 50_000
ACTIONS = ("case.created", "attachment.uploaded", "attachment.downloaded", "case.submitted", "case.edited")


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_log(path: Path, entries: int, checkpoints: int, signer: Signer) -> float:
    """Insert the entries and checkpoints straight into the SQLite file; return the seconds it took."""
    started = time.perf_counter()
    every = max(1, entries // checkpoints) if checkpoints else 0
    connection = sqlite3.connect(path)
    accumulator = merkle.Accumulator()
    prev_hash = ZERO_HASH
    base = datetime(2026, 1, 1, tzinfo=UTC)
    rows: list[tuple[object, ...]] = []
    signed: list[tuple[object, ...]] = []
    for seq in range(1, entries + 1):
        at = (base + timedelta(seconds=seq)).strftime("%Y-%m-%dT%H:%M:%SZ")
        action = ACTIONS[seq % len(ACTIONS)]
        details = {"sha256": hashlib.sha256(seq.to_bytes(8, "big")).hexdigest(), "size": seq * 7}
        actor = hashlib.sha256(b"member" + (seq % 97).to_bytes(2, "big")).hexdigest()[:32]
        subject = f"attachment:{seq:032x}"
        entry = entry_object(seq, at, actor, action, subject, details)
        entry_hash = hashlib.sha256(bytes.fromhex(prev_hash) + canonical_json(entry)).hexdigest()
        rows.append(
            (seq, at, actor, action, subject, canonical_json(details).decode(), prev_hash, entry_hash, 0)
        )
        accumulator.append(merkle.leaf_hash(bytes.fromhex(entry_hash)))
        if every and seq % every == 0:
            root = accumulator.root().hex()
            signed_at = at
            signature = signer.sign(checkpoint_payload(seq, root, signed_at))
            signed.append((seq, root, signed_at, signature, signer.key_id))
        prev_hash = entry_hash
        if len(rows) == BATCH:
            _flush(connection, rows)
            rows = []
    _flush(connection, rows)
    with connection:
        connection.executemany(
            "INSERT INTO custody_checkpoint (tree_size, root_hash, signed_at, signature, key_id) "
            "VALUES (?, ?, ?, ?, ?)",
            signed,
        )
    connection.close()
    return time.perf_counter() - started


def _flush(connection: sqlite3.Connection, rows: list[tuple[object, ...]]) -> None:
    with connection:
        connection.executemany(
            "INSERT INTO custody_entry (seq, at, actor, action, subject, details, prev_hash, entry_hash, "
            "public) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


async def run(entries: int, checkpoints: int) -> None:
    with tempfile.TemporaryDirectory(prefix="custody-bench-") as folder:
        path = Path(folder) / "integrity.sqlite3"
        settings = DatabaseSettings(url=f"sqlite:///{path}")
        engine = db.create_engine(settings)
        await db.migrate(engine, settings)
        signer = Signer.from_private_key(Ed25519PrivateKey.generate())
        build_seconds = build_log(path, entries, checkpoints, signer)
        size_mib = path.stat().st_size / (1024 * 1024)
        db.bind_engine(engine)
        print(f"custody verify benchmark: {entries:,} entries, {checkpoints} signed checkpoints, SQLite")
        print(
            f"  built in {build_seconds:.1f} s ({entries / build_seconds:,.0f} entries/s); "
            f"database {size_mib:.0f} MiB"
        )
        started = time.perf_counter()
        report = await verify_log(signer.trusted_keys())
        verify_seconds = time.perf_counter() - started
        assert report.ok, report.problems
        assert report.entries == entries and report.checkpoints == checkpoints
        print(
            f"  verify_log(): {verify_seconds:.1f} s ({entries / verify_seconds:,.0f} entries/s), "
            f"ok={report.ok}; peak RSS {rss_mib():.0f} MiB"
        )
        await checkpoints_and_proofs(signer, entries)


APPENDED = 1000
PROOFS = 50


async def checkpoints_and_proofs(signer: Signer, entries: int) -> None:
    started = time.perf_counter()
    stored = await tree.extend(entries)
    extend_seconds = time.perf_counter() - started
    print(f"  storing the subtree hashes of the whole log (once): {extend_seconds:.1f} s, {stored:,} nodes")
    for n in range(APPENDED):
        await service.record(signer, actor_id=None, action="bench.append", subject=f"n:{n}", details={})
    size = entries + APPENDED

    started = time.perf_counter()
    leaves = await tree.leaf_range(0, size)
    root_from_leaves = merkle.root(leaves)
    from_leaves = time.perf_counter() - started
    started = time.perf_counter()
    checkpoint = await service.sign_checkpoint(signer)
    signing = time.perf_counter() - started
    assert checkpoint is not None and checkpoint.root_hash == root_from_leaves.hex()
    print(
        f"  checkpoint after {APPENDED:,} more entries: {signing * 1000:.0f} ms through the stored tree, "
        f"{from_leaves * 1000:.0f} ms for the root from every leaf; ratio {from_leaves / signing:.0f}x"
    )

    indices = random.Random(1).sample(range(size), PROOFS)
    started = time.perf_counter()
    for index in indices:
        await service.inclusion_proof(index + 1)
    stored_proof = (time.perf_counter() - started) / PROOFS
    started = time.perf_counter()
    for index in indices[:3]:
        merkle.inclusion_proof(index, await tree.leaf_range(0, size), size)
    leaves_proof = (time.perf_counter() - started) / 3
    print(
        f"  inclusion proof: {stored_proof * 1000:.1f} ms through the stored tree (mean of {PROOFS}), "
        f"{leaves_proof * 1000:.0f} ms from every leaf; ratio {leaves_proof / stored_proof:.0f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--checkpoints", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.entries, args.checkpoints))


if __name__ == "__main__":
    main()
