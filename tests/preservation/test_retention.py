"""Retention and shredding, caught doing what they must and refusing what they must not: a
withdrawn case under legal hold outlives its retention; released, the daily job shreds it, its
rows and objects gone, a tombstone and a custody entry left, the custody log still verifying; a
copy of the bucket taken before no longer opens (its keys were in the rows), and after
`keys rotate --retire-previous` neither does a copy of the database taken before."""

from __future__ import annotations

import datetime
import shutil
import uuid
from pathlib import Path

import pytest
from litestar import Litestar

from integrity.cases.tables import Attachment, Case, IdempotentUpload
from integrity.context import provide_service_context
from integrity.custody.tables import CustodyEntry
from integrity.errors import ConfigurationError, WrongState
from integrity.preservation import retention
from integrity.preservation.tables import ShreddedCase
from integrity.settings import Settings
from integrity.vault import Keyring, SealedBlob
from tests import samples
from tests.cases.test_intake import file_case
from tests.factories import AccountFactory, run_integrity
from tests.publication.test_publishing import act

LATER = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=400)


async def test_a_withdrawn_case_is_held_then_shredded_when_its_retention_runs_out(
    accounts: AccountFactory, app: Litestar, settings: Settings, tmp_path: Path
) -> None:
    ctx = provide_service_context(app.state)
    member = await accounts.as_role("member")
    case = await file_case(member)
    case_id = case["id"]
    body, content_type = samples.multipart(
        [("foto.png", samples.png()), ("zapisnik.pdf", samples.pdf("Zapisnik"))]
    )
    stored = await member.post(
        f"/api/v1/cases/{case_id}/attachments",
        content=body,
        headers={"content-type": content_type, "idempotency-key": "otpremanje-1"},
    )
    assert stored.status_code == 201, stored.text
    assert await IdempotentUpload.count() == 1
    assert (await member.post(f"/api/v1/cases/{case_id}/submit")).status_code == 200
    assert (await act(member, case_id, "withdraw")).json()["status"] == "withdrawn"
    # Not yet due today; due in 400 days (withdrawn cases are kept 365 by default).
    assert await retention.due_cases(ctx, datetime.datetime.now(datetime.UTC)) == []

    # A hold, placed by two editors, keeps it past its time.
    first, second = await accounts.as_role("editor"), await accounts.as_role("editor")
    holds = f"/api/v1/cases/{case_id}/holds"
    hold = (await first.post(holds, json={"reason": "Moguć sudski postupak."})).json()
    assert (await second.post(f"{holds}/{hold['id']}/confirm")).json()["status"] == "active"
    assert await retention.shred_due(ctx, LATER) == 0
    with pytest.raises(WrongState) as refused:
        await retention.shred_case(ctx, uuid.UUID(case_id), reason="request")
    assert refused.value.code == "legal_hold"
    assert await Case.exists().where(Case.id == uuid.UUID(case_id))

    # Backups taken now: the bucket (a copy of the store) and the database (its rows).
    rows = await Attachment.select().where(Attachment.case == uuid.UUID(case_id))
    blobs = [
        SealedBlob(r["blob_id"], bytes(r["wrapped_key"]), r["key_id"], int(r["size"]), r["sha256"])
        for r in rows
    ]
    bucket_copy = tmp_path / "bucket-backup"
    shutil.copytree(settings.data_dir / "vault", bucket_copy)

    # Released by two editors, the next day's job shreds it.
    assert (await first.post(f"{holds}/{hold['id']}/release")).json()["status"] == "releasing"
    assert (await second.post(f"{holds}/{hold['id']}/confirm")).json()["status"] == "released"
    assert await retention.shred_due(ctx, LATER) == 1

    assert not await Case.exists().where(Case.id == uuid.UUID(case_id))
    assert not await Attachment.exists().where(Attachment.case == uuid.UUID(case_id))
    assert await IdempotentUpload.count() == 0  # the retry record named its files
    assert (await member.get(f"/api/v1/cases/{case_id}")).status_code == 404
    for blob in blobs:
        assert not await ctx.vault.exists(blob)
    (tombstone,) = await ShreddedCase.select().where(ShreddedCase.case_id == uuid.UUID(case_id))
    assert (tombstone["reference"], tombstone["status"], tombstone["reason"]) == (
        case["reference"],
        "withdrawn",
        "retention:withdrawn",
    )
    entry = await CustodyEntry.select().where(CustodyEntry.seq == tombstone["custody_seq"]).first()
    assert entry["action"] == "case.shredded" and entry["subject"] == f"case:{case_id}"
    assert run_integrity(settings, "custody", "verify").returncode == 0
    assert run_integrity(settings, "vault", "verify").returncode == 0

    # The bucket's copy is ciphertext whose keys the live database no longer has.
    assert all(any(bucket_copy.rglob(blob.blob_id)) for blob in blobs)
    for blob in blobs:
        assert not await Attachment.exists().where(Attachment.blob_id == blob.blob_id)
    # The database's copy still has the wrapped keys, until the key ring moves on without them.
    Keyring.load(settings.keyring_file).unwrap(blobs[0].wrapped_key, blobs[0].key_id)
    rotated = run_integrity(settings, "keys", "rotate", "--retire-previous")
    assert rotated.returncode == 0, rotated.stderr
    for blob in blobs:
        with pytest.raises(ConfigurationError):
            Keyring.load(settings.keyring_file).unwrap(blob.wrapped_key, blob.key_id)


async def test_only_closed_unpublished_cases_are_shredded(accounts: AccountFactory, app: Litestar) -> None:
    ctx = provide_service_context(app.state)
    member = await accounts.as_role("member")
    case = await file_case(member)
    assert (await member.post(f"/api/v1/cases/{case['id']}/submit")).status_code == 200
    with pytest.raises(WrongState) as refused:
        await retention.shred_case(ctx, uuid.UUID(case["id"]), reason="request")
    assert refused.value.code == "case_not_closed"
    assert (await member.get(f"/api/v1/cases/{case['id']}")).status_code == 200


async def test_two_editors_shred_a_closed_case_before_its_time(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    case = await file_case(member)
    case_id = case["id"]
    assert (await member.post(f"/api/v1/cases/{case_id}/submit")).status_code == 200
    first, second = await accounts.as_role("editor"), await accounts.as_role("editor")
    address = f"/api/v1/cases/{case_id}/shredding"
    # Not while it is open.
    early = await first.post(address, json={"reason": "Prijavilac traži brisanje."})
    assert (early.status_code, early.json()["code"]) == (409, "case_not_closed")
    assert (await act(reviewer, case_id, "reject", reason="Van nadležnosti")).status_code == 200
    assert (await reviewer.post(address, json={"reason": "Brisanje."})).status_code == 403
    asked = await first.post(address, json={"reason": "Prijavilac traži brisanje."})
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    own = await first.post(f"{address}/{asked.json()['id']}/confirm")
    assert (own.status_code, own.json()["code"]) == (409, "four_eyes_shred")
    assert (await member.get(f"/api/v1/cases/{case_id}")).status_code == 200
    done = await second.post(f"{address}/{asked.json()['id']}/confirm")
    assert done.status_code == 200 and done.json()["status"] == "shredded"
    assert (await member.get(f"/api/v1/cases/{case_id}")).status_code == 404
    (tombstone,) = await ShreddedCase.select().where(ShreddedCase.case_id == uuid.UUID(case_id))
    assert (tombstone["id"], tombstone["reason"], tombstone["status"]) == (
        uuid.UUID(done.json()["id"]),
        "request",
        "rejected",
    )
    actions = [
        row["action"]
        for row in await CustodyEntry.select(CustodyEntry.action)
        .where(CustodyEntry.subject == f"case:{case_id}")
        .order_by(CustodyEntry.seq)
    ]
    assert actions[-2:] == ["case.shred_requested", "case.shredded"]
    assert "brisanje" not in str(await CustodyEntry.select(CustodyEntry.details)).lower()
