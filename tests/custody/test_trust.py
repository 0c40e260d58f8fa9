"""Trust anchors live outside the database: the public keys listed and trusted are the key files'
alone; a rotated signing key stays trusted for what it signed and leaves pseudonyms as they were;
`custody verify` refuses a log whose checkpoints were removed, and `--against` a checkpoint kept
outside the platform catches a log rewritten behind it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar

from integrity.custody import service
from integrity.custody.receipts import check_receipt
from integrity.custody.service import ZERO_HASH, compute_entry_hash
from integrity.custody.signing import Signer, canonical_json, load_or_create_signer, verify_signature
from integrity.custody.tables import Checkpoint, CustodyEntry, CustodyNode
from integrity.settings import Settings
from tests.factories import AccountFactory, run_integrity


def forged_receipt(reference: str) -> str:
    """A receipt signed by a key the platform never had (as one inserted into its database would be)."""
    forger = Signer.from_private_key(Ed25519PrivateKey.generate())
    payload = canonical_json(
        {"reference": reference, "case_id": "x", "submitted_at": "x", "files": [], "custody_seq": 1}
    )
    return json.dumps(
        {"payload": payload.decode(), "signature": forger.sign(payload), "key_id": forger.key_id}
    )


async def test_keys_come_from_the_key_files_and_a_rotation_keeps_old_signatures_and_pseudonyms(
    accounts: AccountFactory, app: Litestar, settings: Settings
) -> None:
    anonymous = accounts.anonymous()
    signer: Signer = app.state.signer
    listed = (await anonymous.get("/api/v1/public/keys")).json()["keys"]
    assert [key["key_id"] for key in listed] == [signer.key_id]
    # A receipt from a key that is not in the key files does not verify (/verify asks this).
    refused = await check_receipt(signer, forged_receipt("IN-2026-0001"))
    assert not refused.ok and refused.problem == "unknown_key"
    before = signer.pseudonym("member-42")
    receipt_signature = signer.sign(b"signed before the rotation")

    rotated = run_integrity(settings, "keys", "rotate-signing")
    assert rotated.returncode == 0, rotated.stderr
    fresh = load_or_create_signer(settings.signing_key_file, generated_in_data_dir=True)
    assert fresh.key_id != signer.key_id
    assert [key.key_id for key in fresh.trusted_keys()] == [signer.key_id, fresh.key_id]
    # What the old key signed still verifies against the listed keys; pseudonyms did not change.
    old = next(key for key in fresh.trusted_keys() if key.key_id == signer.key_id)
    assert verify_signature(old.public_key, b"signed before the rotation", receipt_signature)
    assert fresh.pseudonym("member-42") == before
    entry = await CustodyEntry.select().where(CustodyEntry.action == "key.signing_rotated").first()
    assert entry is not None and json.loads(entry["details"])["retired_key_id"] == signer.key_id
    verified = run_integrity(settings, "custody", "verify")
    assert verified.returncode == 0, verified.stderr


async def test_a_log_whose_checkpoints_were_removed_fails_verification(app: Litestar) -> None:
    signer: Signer = app.state.signer
    for n in range(3):
        await service.record(signer, actor_id=None, action="test.entry", subject=f"n:{n}", details={"n": n})
    await service.sign_checkpoint(signer)
    trusted = signer.trusted_keys()
    later = datetime.now(UTC) + timedelta(hours=3)
    assert (await service.verify_log(trusted, now=later)).ok
    # New entries are allowed to wait for their checkpoint for a while, not for ever.
    await service.record(signer, actor_id=None, action="test.entry", subject="n:3", details={"n": 3})
    assert (await service.verify_log(trusted)).ok
    assert not (await service.verify_log(trusted, now=later)).ok
    await service.sign_checkpoint(signer)
    assert (await service.verify_log(trusted, now=later)).ok
    # Remove every checkpoint (and the tree they were read from): the log no longer passes.
    await Checkpoint.delete(force=True)
    report = await service.verify_log(trusted, now=later)
    assert not report.ok and "covered by no checkpoint" in report.problems[0]


async def rewrite_log() -> None:
    """What someone with write access to the database can do: rewrite an entry, recompute every
    hash after it, and delete the checkpoints that would give it away."""
    rows = await CustodyEntry.select().order_by(CustodyEntry.seq)
    prev = ZERO_HASH
    for row in rows:
        details: dict[str, Any] = json.loads(row["details"])
        if row["seq"] == 1:
            details = {"n": "rewritten"}
        entry = service.entry_object(
            row["seq"], row["at"], row["actor"], row["action"], row["subject"], details
        )
        entry_hash = compute_entry_hash(prev, entry)
        await CustodyEntry.update(
            {
                CustodyEntry.details: canonical_json(details).decode(),
                CustodyEntry.prev_hash: prev,
                CustodyEntry.entry_hash: entry_hash,
            }
        ).where(CustodyEntry.seq == row["seq"])
        prev = entry_hash
    await Checkpoint.delete(force=True)
    await CustodyNode.delete(force=True)


async def test_a_rewritten_log_is_caught_against_a_checkpoint_kept_outside(
    accounts: AccountFactory, app: Litestar, settings: Settings, tmp_path: Any
) -> None:
    signer: Signer = app.state.signer
    for n in range(5):
        await service.record(signer, actor_id=None, action="test.entry", subject=f"n:{n}", details={"n": n})
    await service.sign_checkpoint(signer)
    kept = tmp_path / "checkpoint.json"
    kept.write_text((await accounts.anonymous().get("/api/v1/public/custody/checkpoint")).text)
    assert run_integrity(settings, "custody", "verify", "--against", str(kept)).returncode == 0

    await rewrite_log()
    # The chain is consistent again and the entries are fresh: on its own, the log looks fine...
    assert (await service.verify_log(signer.trusted_keys())).ok
    # ...but not against the checkpoint a partner downloaded.
    checked = run_integrity(settings, "custody", "verify", "--against", str(kept))
    assert checked.returncode == 2 and "the log was rewritten" in checked.stderr
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps({**json.loads(kept.read_text()), "signature": forged_receipt("x")[-90:-2]}))
    refused = run_integrity(settings, "custody", "verify", "--against", str(forged))
    assert refused.returncode == 2 and "not signed by a trusted key" in refused.stderr
