"""Rules of the custody log: appending entries, signing checkpoints, proofs and verification."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from integrity import db
from integrity.custody import merkle, tree
from integrity.custody.signing import PublicKey, Signer, canonical_json, rfc3339, utc_now, verify_signature
from integrity.custody.tables import Checkpoint, CustodyEntry
from integrity.errors import Invalid, NotFound

log = logging.getLogger(__name__)

ZERO_HASH = "00" * 32
SYSTEM_ACTOR = "system"
#: Arbitrary constant naming the custody log's PostgreSQL advisory lock.
_ADVISORY_LOCK_KEY = 0x1C0571D7
CHECKPOINT_MAX_AGE = timedelta(hours=1)


@dataclass(frozen=True)
class EntryRecord:
    seq: int
    at: str
    actor: str
    action: str
    subject: str
    details: dict[str, Any]
    prev_hash: str
    entry_hash: str

    def entry(self) -> dict[str, Any]:
        return entry_object(self.seq, self.at, self.actor, self.action, self.subject, self.details)


@dataclass(frozen=True)
class CheckpointRecord:
    tree_size: int
    root_hash: str
    signed_at: str
    signature: str
    key_id: str

    def signed_payload(self) -> bytes:
        return checkpoint_payload(self.tree_size, self.root_hash, self.signed_at)


def entry_object(
    seq: int, at: str, actor: str, action: str, subject: str, details: dict[str, Any]
) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "subject": subject,
        "details": details,
    }


def compute_entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """entry_hash = SHA-256(prev_hash || canonical JSON of the entry), as lowercase hex."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical_json(entry)).hexdigest()


def checkpoint_payload(tree_size: int, root_hash: str, signed_at: str) -> bytes:
    return canonical_json({"tree_size": tree_size, "root_hash": root_hash, "signed_at": signed_at})


def _record(row: dict[str, Any]) -> EntryRecord:
    return EntryRecord(
        seq=int(row["seq"]),
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        subject=row["subject"],
        details=json.loads(row["details"]),
        prev_hash=row["prev_hash"],
        entry_hash=row["entry_hash"],
    )


async def lock_log() -> None:
    """Serialise appends, and any change that must not interleave with another (a case's status
    check and its update). SQLite's IMMEDIATE transaction (see `db.transaction`) already holds the
    write lock; PostgreSQL takes a transaction-scoped advisory lock. Taking it twice is harmless."""
    engine = CustodyEntry._meta.db
    if engine.current_transaction.get() is None:
        raise RuntimeError("custody entries are appended inside db.transaction()")
    if isinstance(engine, PostgresEngine):
        await CustodyEntry.raw(f"SELECT pg_advisory_xact_lock({_ADVISORY_LOCK_KEY})")


def commit_sha256(salt: bytes, sha256: str) -> str:
    """The public commitment to a file's SHA-256: SHA-256 of the salt followed by the file's digest
    (both as bytes), in hex. Whoever holds the salt (the member, with the receipt; a court, when
    given it) can check that the commitment is to that file; nobody else can test a guess."""
    return hashlib.sha256(salt + bytes.fromhex(sha256)).hexdigest()


async def append_entry(
    signer: Signer,
    *,
    actor_id: str | None,
    action: str,
    subject: str,
    details: dict[str, Any],
    case_scope: str | None = None,
) -> EntryRecord:
    """Append one entry; call it inside the `db.transaction()` that makes the change it records.

    `details` becomes public if the entry later concerns a published file, so it must hold only
    ids, hashes, sizes and states: never names, filenames, narratives or notes. Entries that may
    become public (uploads and copies made for publication) pass `case_scope`: their actor's
    pseudonym is then the member's within that case only (published cases cannot be grouped by who
    filed them), and their time is the day (midnight UTC), not the moment.
    """
    await lock_log()
    last = (
        await CustodyEntry.select(CustodyEntry.seq, CustodyEntry.entry_hash)
        .order_by(CustodyEntry.seq, ascending=False)
        .first()
    )
    seq = 1 if last is None else int(last["seq"]) + 1
    prev_hash = ZERO_HASH if last is None else last["entry_hash"]
    if actor_id is None:
        actor = SYSTEM_ACTOR
    elif case_scope is None:
        actor = signer.pseudonym(str(actor_id))
    else:
        actor = signer.pseudonym(f"{actor_id}@{case_scope}")
    if case_scope is None:
        at = utc_now()
    else:
        at = rfc3339(datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0))
    # Round-trip through canonical JSON so what is stored is exactly what was hashed.
    details = json.loads(canonical_json(details))
    entry = entry_object(seq, at, actor, action, subject, details)
    entry_hash = compute_entry_hash(prev_hash, entry)
    await CustodyEntry.insert(
        CustodyEntry(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            subject=subject,
            details=canonical_json(details).decode("utf-8"),
            prev_hash=prev_hash,
            entry_hash=entry_hash,
        )
    )
    return EntryRecord(seq, at, actor, action, subject, details, prev_hash, entry_hash)


async def record(
    signer: Signer, *, actor_id: str | None, action: str, subject: str, details: dict[str, Any]
) -> EntryRecord:
    """Append an entry in a transaction of its own (for events that change nothing else)."""
    async with db.transaction():
        return await append_entry(signer, actor_id=actor_id, action=action, subject=subject, details=details)


async def mark_public(seqs: list[int]) -> None:
    if seqs:
        await CustodyEntry.update({CustodyEntry.public: True}).where(CustodyEntry.seq.is_in(seqs))


async def tree_size() -> int:
    """Entries in the log. Sequence numbers run 1, 2, ... without gaps (`custody verify` checks), so
    the last one is the count, read from the primary key's index instead of counting every row."""
    row = await CustodyEntry.select(CustodyEntry.seq).order_by(CustodyEntry.seq, ascending=False).first()
    return 0 if row is None else int(row["seq"])


async def get_entry(seq: int) -> EntryRecord | None:
    row = await CustodyEntry.select().where(CustodyEntry.seq == seq).first()
    return None if row is None else _record(row)


async def get_public_entry(seq: int) -> EntryRecord:
    row = (
        await CustodyEntry.select()
        .where((CustodyEntry.seq == seq) & (CustodyEntry.public == True))  # noqa: E712
        .first()
    )
    if row is None:
        raise NotFound("no public custody entry with that number", code="custody_entry_not_found")
    return _record(row)


async def iter_entries(batch_size: int = 5000) -> AsyncIterator[EntryRecord]:
    after = 0
    while True:
        rows = (
            await CustodyEntry.select()
            .where(CustodyEntry.seq > after)
            .order_by(CustodyEntry.seq)
            .limit(batch_size)
        )
        if not rows:
            return
        for row in rows:
            yield _record(row)
        after = int(rows[-1]["seq"])


# --- keys and checkpoints -------------------------------------------------------------------


async def public_keys(signer: Signer) -> list[dict[str, str]]:
    """The public keys receipts and checkpoints verify against: from the key files only (see
    ``custody.signing``), never from a table."""
    return [key.listed() for key in signer.trusted_keys()]


def _checkpoint(row: dict[str, Any]) -> CheckpointRecord:
    return CheckpointRecord(
        tree_size=int(row["tree_size"]),
        root_hash=row["root_hash"],
        signed_at=row["signed_at"],
        signature=row["signature"],
        key_id=row["key_id"],
    )


async def latest_checkpoint() -> CheckpointRecord | None:
    row = await Checkpoint.select().order_by(Checkpoint.tree_size, ascending=False).first()
    return None if row is None else _checkpoint(row)


async def list_checkpoints(*, page: int = 1, page_size: int = 100) -> tuple[list[CheckpointRecord], int]:
    rows = (
        await Checkpoint.select()
        .order_by(Checkpoint.tree_size, ascending=False)
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return [_checkpoint(row) for row in rows], int(await Checkpoint.count())


async def sign_checkpoint(signer: Signer) -> CheckpointRecord | None:
    """Sign the tree as it stands now (None while the log is empty). Idempotent per tree size."""
    async with db.transaction():
        await lock_log()
        size = await tree_size()
        if size == 0:
            return None
        existing = await Checkpoint.select().where(Checkpoint.tree_size == size).first()
        if existing is not None:
            return _checkpoint(existing)
        # The subtrees complete by now are stored first, so this root and every proof for this tree
        # read O(log n) stored hashes plus the few hundred newest leaves, not the whole log.
        await tree.extend(size)
        root_hash = (await tree.root(size)).hex()
        signed_at = utc_now()
        signature = signer.sign(checkpoint_payload(size, root_hash, signed_at))
        await Checkpoint.insert(
            Checkpoint(
                tree_size=size,
                root_hash=root_hash,
                signed_at=signed_at,
                signature=signature,
                key_id=signer.key_id,
            )
        )
    return CheckpointRecord(size, root_hash, signed_at, signature, signer.key_id)


async def checkpoint_if_due(signer: Signer, *, max_age: timedelta = CHECKPOINT_MAX_AGE) -> bool:
    """Sign a checkpoint when entries arrived since the last one and it is older than `max_age`."""
    size = await tree_size()
    latest = await latest_checkpoint()
    if size == 0 or (latest is not None and latest.tree_size >= size):
        return False
    if latest is not None:
        signed = datetime.strptime(latest.signed_at, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        if datetime.now(UTC) - signed < max_age:
            return False
    await sign_checkpoint(signer)
    return True


#: Custody actions of changes the public sees: each is followed at once by a signed checkpoint.
PUBLICATION_ACTIONS = (
    "case.publish",
    "case.confirm_correction",
    "case.confirm_retraction",
    # Before corrections and retractions took two editors, these published at once.
    "case.correct",
    "case.retract",
)


async def checkpoint_if_owed(signer: Signer) -> bool:
    """Sign a checkpoint when a public entry or a publication lies beyond the latest one.

    Publishing signs one right after its transaction commits, so the published files' proofs verify
    at once; a process that died in between leaves it owed, and start-up or the periodic check signs it.
    """
    latest = await latest_checkpoint()
    covered = 0 if latest is None else latest.tree_size
    owed = await CustodyEntry.exists().where(
        (CustodyEntry.seq > covered)
        & ((CustodyEntry.public == True) | CustodyEntry.action.is_in(list(PUBLICATION_ACTIONS)))  # noqa: E712
    )
    if not owed:
        return False
    await sign_checkpoint(signer)
    return True


# --- proofs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InclusionProof:
    seq: int
    leaf_index: int
    tree_size: int
    entry_hash: str
    audit_path: list[str]
    root_hash: str


async def inclusion_proof(seq: int, size: int | None = None) -> InclusionProof:
    if size is None:
        latest = await latest_checkpoint()
        if latest is None:
            raise NotFound("no checkpoint has been signed yet", code="no_checkpoint")
        size = latest.tree_size
    if seq < 1 or size < seq:
        raise NotFound("that entry is not in a tree of that size", code="entry_not_in_tree")
    if size > await tree_size():
        raise NotFound("the custody log is shorter than that tree size", code="tree_size_too_large")
    entry = await get_entry(seq)
    assert entry is not None
    path, root_hash = await tree.inclusion_proof_and_root(seq - 1, size)
    return InclusionProof(
        seq=seq,
        leaf_index=seq - 1,
        tree_size=size,
        entry_hash=entry.entry_hash,
        audit_path=[node.hex() for node in path],
        root_hash=root_hash.hex(),
    )


async def consistency_proof(first: int, second: int) -> list[str]:
    if not 0 < first <= second:
        raise Invalid(
            "first and second must be tree sizes with 0 < first <= second", code="tree_sizes_invalid"
        )
    if second > await tree_size():
        raise NotFound("the custody log is shorter than that tree size", code="tree_size_too_large")
    return [node.hex() for node in await tree.consistency_proof(first, second)]


# --- verification ---------------------------------------------------------------------------


@dataclass
class VerifyReport:
    entries: int = 0
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> str | None:
        return self.problems[0] if self.problems else None


#: How long an entry may wait for a checkpoint: the platform signs one within the hour of new
#: entries (``checkpoint_if_due``, polled every few minutes), with room for a restart. A log whose
#: entries run past its last checkpoint for longer lost checkpoints (or was rewritten after them).
UNCOVERED_ALLOWANCE = CHECKPOINT_MAX_AGE + timedelta(minutes=30)


def _at(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    # Entries that may become public say the day only (midnight): made any time that day.
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0) == moment
    return moment + timedelta(days=1) if midnight else moment


def read_checkpoint(text: str) -> CheckpointRecord:
    """A checkpoint as `GET /api/v1/public/custody/checkpoint` gives it (kept outside the platform)."""
    try:
        data = json.loads(text)
        return CheckpointRecord(
            tree_size=int(data["tree_size"]),
            root_hash=str(data["root_hash"]),
            signed_at=str(data["signed_at"]),
            signature=str(data["signature"]),
            key_id=str(data["key_id"]),
        )
    except (ValueError, KeyError, TypeError):
        raise Invalid("not a checkpoint: {tree_size, root_hash, signed_at, signature, key_id}") from None


async def verify_log(
    trusted: Sequence[PublicKey],
    *,
    against: CheckpointRecord | None = None,
    now: datetime | None = None,
) -> VerifyReport:
    """Re-compute the hash chain, every checkpoint's root and signature (against the ``trusted``
    keys, from the key files), and the stored subtree hashes that checkpoints and proofs are read
    from; refuse entries left uncovered by checkpoints for longer than the platform allows; and,
    given ``against`` (a checkpoint kept outside the platform), check that the log still has the
    entries that checkpoint signed."""
    report = VerifyReport()
    keys = {key.key_id: key.public_key for key in trusted}
    checkpoints = [_checkpoint(row) for row in await Checkpoint.select().order_by(Checkpoint.tree_size)]
    wanted = {checkpoint.tree_size: checkpoint for checkpoint in checkpoints}
    if against is not None:
        wanted.setdefault(against.tree_size, against)
    covered = max((checkpoint.tree_size for checkpoint in checkpoints), default=0)
    first_uncovered: str | None = None
    roots: dict[int, str] = {}
    accumulator = merkle.Accumulator()
    nodes = tree.NodeChecker()
    prev_hash = ZERO_HASH
    expected_seq = 1
    async for record in iter_entries():
        if record.seq != expected_seq:
            report.problems.append(f"entry {expected_seq} is missing (found {record.seq} next)")
            break
        if record.prev_hash != prev_hash:
            report.problems.append(f"entry {record.seq}: prev_hash does not match entry {record.seq - 1}")
            break
        if compute_entry_hash(prev_hash, record.entry()) != record.entry_hash:
            report.problems.append(f"entry {record.seq}: entry_hash does not match its contents")
            break
        leaf = merkle.leaf_hash(bytes.fromhex(record.entry_hash))
        accumulator.append(leaf)
        nodes.add(leaf)
        if accumulator.size in wanted:
            roots[accumulator.size] = accumulator.root().hex()
        if record.seq == covered + 1:
            first_uncovered = record.at
        prev_hash = record.entry_hash
        expected_seq += 1
        report.entries += 1
    for checkpoint in checkpoints:
        report.checkpoints += 1
        if checkpoint.tree_size not in roots:
            if report.ok:
                report.problems.append(
                    f"checkpoint of tree size {checkpoint.tree_size}: the log has only "
                    f"{report.entries} entries"
                )
            continue
        if roots[checkpoint.tree_size] != checkpoint.root_hash:
            report.problems.append(
                f"checkpoint of tree size {checkpoint.tree_size}: root hash does not match the entries"
            )
        public_key = keys.get(checkpoint.key_id)
        if public_key is None or not verify_signature(
            public_key, checkpoint.signed_payload(), checkpoint.signature
        ):
            report.problems.append(
                f"checkpoint of tree size {checkpoint.tree_size}: signature does not verify"
            )
    if (
        first_uncovered is not None
        and (now or datetime.now(UTC)) - _at(first_uncovered) > UNCOVERED_ALLOWANCE
    ):
        report.problems.append(
            f"entries from {covered + 1} on are covered by no checkpoint, for longer than the platform "
            "lets them wait: checkpoints were removed, or the log was rewritten"
        )
    if against is not None:
        public_key = keys.get(against.key_id)
        if public_key is None or not verify_signature(
            public_key, against.signed_payload(), against.signature
        ):
            report.problems.append("the checkpoint given to check against is not signed by a trusted key")
        elif against.tree_size not in roots:
            report.problems.append(
                f"the log has {report.entries} entries, fewer than the {against.tree_size} "
                "of the checkpoint given to check against"
            )
        elif roots[against.tree_size] != against.root_hash:
            report.problems.append(
                f"the first {against.tree_size} entries are not those the checkpoint given to check "
                "against signed: the log was rewritten"
            )
    if report.ok:
        report.problems.extend(await nodes.problems())
    return report
