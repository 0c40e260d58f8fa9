"""A legal hold, placed by two editors and released by two, on the S3 store the platform uses in
production (SeaweedFS here, its bucket with object lock): while it holds, the case refuses to be
deleted, shredded or expired, and every stored object of it reports the store's legal hold; after
the release is confirmed, none does. Each step is on the custody record."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path

import pytest
from minio.error import S3Error

from integrity.cases.tables import Attachment
from integrity.custody.tables import CustodyEntry
from integrity.errors import WrongState
from integrity.preservation import holds
from integrity.settings import Settings
from integrity.vault.backends import object_name
from tests.factories import AccountFactory
from tests.publication.test_publishing import verified_case
from tests.s3server import S3Endpoint


@pytest.fixture
def settings(tmp_path: Path, database_url: str, s3_endpoint: S3Endpoint) -> Settings:
    """The app on S3 with object lock (retention configured makes the bucket with it)."""
    data_dir = tmp_path / "storage"
    data_dir.mkdir()
    return Settings.from_env(
        {
            "INTEGRITY_DATA_DIR": str(data_dir),
            "INTEGRITY_DATABASE_URL": database_url,
            "INTEGRITY_BASE_URL": "http://testserver.local",
            "INTEGRITY_STORAGE": "s3",
            "INTEGRITY_S3_ENDPOINT": s3_endpoint.endpoint,
            "INTEGRITY_S3_ACCESS_KEY": s3_endpoint.access_key,
            "INTEGRITY_S3_SECRET_KEY": s3_endpoint.secret_key,
            "INTEGRITY_S3_SECURE": "true" if s3_endpoint.secure else "false",
            "INTEGRITY_S3_BUCKET": "holds-test-" + secrets.token_hex(6),
            "INTEGRITY_S3_RETENTION_DAYS": "1",
            **({"INTEGRITY_S3_REGION": s3_endpoint.region} if s3_endpoint.region else {}),
        }
    )


async def test_two_editors_place_and_release_a_hold_the_store_reports(
    accounts: AccountFactory, settings: Settings, s3_endpoint: S3Endpoint
) -> None:
    case, reviewer, editor, files = await verified_case(accounts)
    case_id = case["id"]
    client = s3_endpoint.client()
    bucket = settings.s3.bucket

    def store_hold(name: str) -> bool:
        """Asked of the S3 server directly, not through the platform."""
        try:
            return bool(client.is_object_legal_hold_enabled(bucket_name=bucket, object_name=name))
        except S3Error as exc:
            if exc.code == "NoSuchObjectLegalHold":
                return False
            raise

    async def store_holds() -> list[bool]:
        rows = await Attachment.select(Attachment.blob_id).where(Attachment.case == uuid.UUID(case_id))
        return [store_hold(object_name(row["blob_id"])) for row in rows]

    address = f"/api/v1/cases/{case_id}/holds"
    assert (await reviewer.post(address, json={"reason": "Predmet ide tužilaštvu."})).status_code == 403
    asked = await editor.post(address, json={"reason": "Predmet ide tužilaštvu."})
    assert asked.status_code == 201, asked.text
    hold = asked.json()
    assert hold["status"] == "pending" and not await holds.is_held(uuid.UUID(case_id))
    assert await store_holds() == [False, False, False]

    own = await editor.post(f"{address}/{hold['id']}/confirm")
    assert (own.status_code, own.json()["code"]) == (409, "four_eyes_hold")
    second = await accounts.as_role("editor")
    placed = await second.post(f"{address}/{hold['id']}/confirm")
    assert placed.status_code == 200, placed.text
    assert (placed.json()["status"], placed.json()["store_held"]) == ("active", 3)
    assert await store_holds() == [True, True, True]
    # Held: whatever would delete, shred or expire something of the case is refused.
    with pytest.raises(WrongState) as refused:
        await holds.refuse_if_held(uuid.UUID(case_id), "shredded")
    assert refused.value.code == "legal_hold" and refused.value.status_code == 409

    # Its release, asked for by one editor, holds until another confirms it.
    released = await second.post(f"{address}/{hold['id']}/release")
    assert released.json()["status"] == "releasing"
    assert await holds.is_held(uuid.UUID(case_id)) and await store_holds() == [True, True, True]
    assert (await second.post(f"{address}/{hold['id']}/confirm")).json()["code"] == "four_eyes_hold"
    lifted = await editor.post(f"{address}/{hold['id']}/confirm")
    assert lifted.json()["status"] == "released"
    assert not await holds.is_held(uuid.UUID(case_id)) and await store_holds() == [False, False, False]
    await holds.refuse_if_held(uuid.UUID(case_id))
    assert (await editor.post(f"{address}/{hold['id']}/confirm")).json()["code"] == "hold_not_waiting"

    listed = (await editor.get(address)).json()
    assert [(h["status"], h["reason"]) for h in listed] == [("released", "Predmet ide tužilaštvu.")]
    actions = [
        row["action"]
        for row in await CustodyEntry.select(CustodyEntry.action)
        .where(CustodyEntry.subject == f"case:{case_id}")
        .order_by(CustodyEntry.seq)
    ]
    steps = [a for a in actions if a.startswith("hold.")]
    assert steps == ["hold.requested", "hold.placed", "hold.release_requested", "hold.released"]
    # The reason is sealed: not in the custody record, not in the table in clear.
    assert "tužilaštvu" not in str(await CustodyEntry.select(CustodyEntry.details))
