"""The custody log through its service and the public API, checked the way an outsider would."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
import uuid

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from integrity import db
from integrity.custody import service
from integrity.custody.signing import Signer
from integrity.custody.tables import Checkpoint, CustodyEntry
from integrity.settings import Settings
from tests.custody import rfc9162


@pytest.fixture
def signer(app: Litestar) -> Signer:
    return app.state.signer


async def add_entries(
    signer: Signer, count: int, *, actor_id: str | None = None
) -> list[service.EntryRecord]:
    return [
        await service.record(
            signer,
            actor_id=actor_id,
            action="attachment.uploaded",
            subject=f"attachment:{uuid.uuid4()}",
            details={"sha256": hashlib.sha256(str(n).encode()).hexdigest(), "size": n, "note": "Ђурђевак"},
        )
        for n in range(count)
    ]


async def test_entries_form_the_documented_hash_chain(engine: db.Engine, signer: Signer) -> None:
    member_id = str(uuid.uuid4())
    records = await add_entries(signer, 3, actor_id=member_id)
    prev = bytes(32)
    for seq, record in enumerate(records, start=1):
        entry = {
            "seq": seq,
            "at": record.at,
            "actor": record.actor,
            "action": record.action,
            "subject": record.subject,
            "details": record.details,
        }
        expected = hashlib.sha256(prev + rfc9162.canonical(entry)).hexdigest()
        assert record.seq == seq
        assert record.entry_hash == expected
        assert record.prev_hash == prev.hex()
        prev = bytes.fromhex(expected)
        # The actor is a stable pseudonym: never the member id.
        assert record.actor == records[0].actor
        assert member_id not in record.actor and len(record.actor) == 32
        assert record.at.endswith("Z")


async def test_concurrent_appends_stay_one_unbroken_chain(engine: db.Engine, signer: Signer) -> None:
    async def one(n: int) -> None:
        await service.record(
            signer, actor_id=None, action="test.concurrent", subject=f"n:{n}", details={"n": n}
        )

    await asyncio.gather(*(one(n) for n in range(25)))
    seqs = [row["seq"] for row in await CustodyEntry.select(CustodyEntry.seq).order_by(CustodyEntry.seq)]
    assert seqs == list(range(1, 26))
    report = await service.verify_log(signer.trusted_keys())
    assert report.ok, report.problems
    assert report.entries == 25


async def test_an_entry_rolls_back_with_the_change_it_records(engine: db.Engine, signer: Signer) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await service.append_entry(
                signer, actor_id=None, action="case.created", subject="case:x", details={}
            )
            raise RuntimeError("the change failed")
    assert await CustodyEntry.count() == 0


async def test_appending_outside_a_transaction_is_refused(engine: db.Engine, signer: Signer) -> None:
    with pytest.raises(RuntimeError, match="inside db.transaction"):
        await service.append_entry(signer, actor_id=None, action="x", subject="y", details={})


async def test_checkpoints_and_proofs_verify_with_only_public_data(
    client: AsyncTestClient[Litestar], signer: Signer
) -> None:
    assert (await client.get("/api/v1/public/custody/checkpoint")).status_code == 404
    await add_entries(signer, 5)
    first = await service.sign_checkpoint(signer)
    assert first is not None and first.tree_size == 5
    await add_entries(signer, 6)
    await service.sign_checkpoint(signer)

    keys = (await client.get("/api/v1/public/keys")).json()["keys"]
    assert [key["algorithm"] for key in keys] == ["Ed25519"]
    public_keys = {key["key_id"]: key["public_key"] for key in keys}

    checkpoint = (await client.get("/api/v1/public/custody/checkpoint")).json()
    assert checkpoint["tree_size"] == 11
    message = rfc9162.canonical({key: checkpoint[key] for key in ("tree_size", "root_hash", "signed_at")})
    assert rfc9162.ed25519_verifies(public_keys[checkpoint["key_id"]], message, checkpoint["signature"])

    # Rebuild the tree from the entry hashes the outsider is given in proofs.
    for seq in (1, 4, 11):
        proof = (await client.get("/api/v1/public/custody/proof", params={"seq": seq})).json()
        assert proof["seq"] == seq and proof["leaf_index"] == seq - 1 and proof["tree_size"] == 11
        assert proof["root_hash"] == checkpoint["root_hash"]
        leaf = rfc9162.hash_leaf(bytes.fromhex(proof["entry_hash"]))
        path = [bytes.fromhex(node) for node in proof["audit_path"]]
        assert rfc9162.verifies_inclusion(seq - 1, 11, leaf, path, bytes.fromhex(checkpoint["root_hash"]))

    older = (await client.get("/api/v1/public/custody/proof", params={"seq": 2, "tree_size": 5})).json()
    assert older["root_hash"] == first.root_hash

    listed = (await client.get("/api/v1/public/custody/checkpoints")).json()
    assert [item["tree_size"] for item in listed["items"]] == [11, 5]

    consistency = (
        await client.get("/api/v1/public/custody/consistency", params={"first": 5, "second": 11})
    ).json()
    assert consistency["first"] == 5 and consistency["second"] == 11
    assert rfc9162.verifies_consistency(
        5,
        11,
        [bytes.fromhex(node) for node in consistency["path"]],
        bytes.fromhex(first.root_hash),
        bytes.fromhex(checkpoint["root_hash"]),
    )


async def test_proof_requests_out_of_range_are_clear_errors(
    client: AsyncTestClient[Litestar], signer: Signer
) -> None:
    await add_entries(signer, 3)
    await service.sign_checkpoint(signer)
    assert (await client.get("/api/v1/public/custody/proof", params={"seq": 4})).status_code == 404
    assert (
        await client.get("/api/v1/public/custody/proof", params={"seq": 1, "tree_size": 9})
    ).status_code == 404
    assert (await client.get("/api/v1/public/custody/proof", params={"seq": 0})).status_code == 422
    bad = await client.get("/api/v1/public/custody/consistency", params={"first": 3, "second": 2})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


async def test_only_entries_of_published_files_are_public(
    client: AsyncTestClient[Litestar], signer: Signer
) -> None:
    records = await add_entries(signer, 2)
    assert (await client.get("/api/v1/public/custody/entries/1")).status_code == 404
    await service.mark_public([records[0].seq])
    body = (await client.get("/api/v1/public/custody/entries/1")).json()
    assert body["seq"] == 1
    assert body["prev_hash"] == "00" * 32
    assert body["entry"]["details"] == records[0].details
    recomputed = hashlib.sha256(bytes(32) + rfc9162.canonical(body["entry"])).hexdigest()
    assert recomputed == body["entry_hash"]
    assert (await client.get("/api/v1/public/custody/entries/2")).status_code == 404


async def test_checkpoint_is_signed_when_due(engine: db.Engine, signer: Signer) -> None:
    assert not await service.checkpoint_if_due(signer)  # empty log
    await add_entries(signer, 2)
    assert await service.checkpoint_if_due(signer)
    await add_entries(signer, 1)
    assert not await service.checkpoint_if_due(signer)  # the last one is recent
    from datetime import timedelta

    assert await service.checkpoint_if_due(signer, max_age=timedelta(0))
    assert (await service.latest_checkpoint()).tree_size == 3


async def test_a_checkpoint_owed_by_a_publication_is_signed_whatever_the_last_ones_age(
    engine: db.Engine, signer: Signer
) -> None:
    # Ordinary entries beyond a recent checkpoint owe nothing: they wait for the hourly one.
    assert not await service.checkpoint_if_owed(signer)  # empty log
    await add_entries(signer, 1)
    await service.sign_checkpoint(signer)
    await add_entries(signer, 1)
    assert not await service.checkpoint_if_owed(signer)
    # A file made public, or a publication, that no checkpoint covers yet is signed at once.
    records = await add_entries(signer, 1)
    await service.mark_public([records[0].seq])
    assert await service.checkpoint_if_owed(signer)
    assert (await service.latest_checkpoint()).tree_size == 3
    assert not await service.checkpoint_if_owed(signer)
    await service.record(
        signer, actor_id=None, action="case.retract", subject=f"case:{uuid.uuid4()}", details={}
    )
    assert await service.checkpoint_if_owed(signer)
    assert (await service.latest_checkpoint()).tree_size == 4


def run_verify(settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "INTEGRITY_DATA_DIR": str(settings.data_dir),
        "INTEGRITY_DATABASE_URL": settings.database.url,
    }
    return subprocess.run(
        [sys.executable, "-m", "integrity.cli", "custody", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_custody_verify_names_a_tampered_entry(
    settings: Settings, engine: db.Engine, signer: Signer
) -> None:
    await add_entries(signer, 6)
    await service.sign_checkpoint(signer)
    good = await asyncio.to_thread(run_verify, settings)
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == "custody log verified: 6 entries, 1 checkpoints"

    await CustodyEntry.update({CustodyEntry.details: '{"sha256":"00","size":1}'}).where(CustodyEntry.seq == 4)
    bad = await asyncio.to_thread(run_verify, settings)
    assert bad.returncode != 0
    assert "entry 4: entry_hash does not match its contents" in bad.stderr


async def test_custody_verify_catches_a_rewritten_chain_by_its_checkpoint(
    settings: Settings, engine: db.Engine, signer: Signer
) -> None:
    await add_entries(signer, 4)
    await service.sign_checkpoint(signer)
    # Someone rewrites entry 4 and re-hashes it consistently: only the signed checkpoint can tell.
    row = await CustodyEntry.select().where(CustodyEntry.seq == 4).first()
    entry = {key: row[key] for key in ("seq", "at", "actor", "action", "subject")}
    entry["details"] = {"sha256": "ff" * 32, "size": 1}
    forged = hashlib.sha256(bytes.fromhex(row["prev_hash"]) + rfc9162.canonical(entry)).hexdigest()
    await CustodyEntry.update(
        {CustodyEntry.details: rfc9162.canonical(entry["details"]).decode(), CustodyEntry.entry_hash: forged}
    ).where(CustodyEntry.seq == 4)
    bad = await asyncio.to_thread(run_verify, settings)
    assert bad.returncode != 0
    assert "checkpoint of tree size 4: root hash does not match the entries" in bad.stderr


async def test_custody_verify_catches_a_forged_checkpoint(
    settings: Settings, engine: db.Engine, signer: Signer
) -> None:
    await add_entries(signer, 3)
    await service.sign_checkpoint(signer)
    await Checkpoint.update({Checkpoint.signed_at: "2020-01-01T00:00:00.000000Z"}).where(
        Checkpoint.tree_size == 3
    )
    bad = await asyncio.to_thread(run_verify, settings)
    assert bad.returncode != 0
    assert "checkpoint of tree size 3: signature does not verify" in bad.stderr
