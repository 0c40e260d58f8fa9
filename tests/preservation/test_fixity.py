"""Fixity checks catch what they guard against, on the store the platform really uses: a stored
file whose bytes were altered, one whose row was swapped with another's, one that is gone. The
command names them and exits 2; the run is a custody entry; the admins are told; /readyz says so
without failing; and the daily shares cover every file exactly once."""

from __future__ import annotations

import datetime
import json
import uuid
from pathlib import Path

from integrity.cases.tables import Attachment
from integrity.custody.tables import CustodyEntry
from integrity.notifications.tables import Notification
from integrity.preservation import fixity
from integrity.settings import Settings
from tests import samples
from tests.cases.test_blob_binding import swap, two_files
from tests.cases.test_intake import upload
from tests.factories import AccountFactory, run_integrity


def stored_object(settings: Settings, blob_id: str) -> list[Path]:
    return [path for path in settings.data_dir.rglob(f"*{blob_id}*") if path.is_file()]


async def test_vault_verify_finds_an_altered_a_swapped_and_a_missing_file(
    accounts: AccountFactory, settings: Settings
) -> None:
    admin = await accounts.as_role("admin")
    member, [(first_case, first), (second_case, second)] = await two_files(accounts)
    third = await upload(member, first_case, [("fotografija.png", samples.png())])
    assert third.status_code == 201, third.text
    photo = third.json()[0]["id"]
    verified = run_integrity(settings, "vault", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("vault verified: 3 files")
    ready_before = await accounts.anonymous().get("/readyz")
    assert ready_before.json()["notices"] == {}

    # One byte of the photo's stored object flipped, as a failing disk or an intruder would.
    row = await Attachment.select(Attachment.blob_id).where(Attachment.id == uuid.UUID(photo)).first()
    (path,) = stored_object(settings, row["blob_id"])
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    # Two cases' files swapped in the database.
    await swap(first, second)

    failed = run_integrity(settings, "vault", "verify")
    assert failed.returncode == 2, failed.stdout
    assert f"attachment:{photo} is altered (blob {row['blob_id']})" in failed.stderr
    assert f"attachment:{first} is swapped" in failed.stderr
    assert f"attachment:{second} is swapped" in failed.stderr
    assert "fotografija" not in failed.stderr + failed.stdout  # rows, never names

    entry = (
        await CustodyEntry.select(CustodyEntry.details)
        .where(CustodyEntry.action == fixity.ACTION)
        .order_by(CustodyEntry.seq, ascending=False)
        .first()
    )
    details = json.loads(entry["details"])
    assert details["checked"] == 3 and details["share"] is None
    assert sorted((f["subject"], f["problem"]) for f in details["failures"]) == sorted(
        [
            (f"attachment:{photo}", "altered"),
            (f"attachment:{first}", "swapped"),
            (f"attachment:{second}", "swapped"),
        ]
    )
    # The admins are told (the case by its reference only); /readyz shows it and still serves.
    told = await Notification.select(Notification.kind, Notification.member).where(
        Notification.kind == "fixity_failed"
    )
    assert [(n["member"]) for n in told] == [admin.member.id]  # type: ignore[union-attr]
    ready = await accounts.anonymous().get("/readyz")
    # Notices never decide readiness: the platform still serves.
    assert (ready.status_code, ready.json()["status"]) == (
        ready_before.status_code,
        ready_before.json()["status"],
    )
    assert "3 stored files failed the fixity check" in ready.json()["notices"]["fixity"]
    page = await admin.get("/app/notifications?lang=en", headers={"accept": "text/html"})
    assert "Stored files failed the fixity check" in page.text

    # A stored object gone: missing.
    path.unlink()
    gone = run_integrity(settings, "vault", "verify")
    assert f"attachment:{photo} is missing" in gone.stderr


async def test_the_daily_shares_check_every_stored_file_once(
    accounts: AccountFactory, settings: Settings
) -> None:
    ids = [uuid.uuid4().hex for _ in range(3000)]
    counted = [
        sum(fixity.in_share(blob_id, (k, fixity.SHARES)) for k in range(fixity.SHARES)) for blob_id in ids
    ]
    assert set(counted) == {1}
    # Thirty days in a row name thirty different shares.
    days = {
        fixity.share_of_day(datetime.date(2026, 12, 1) + datetime.timedelta(days=n))[0] for n in range(30)
    }
    assert days == set(range(fixity.SHARES))
    # A share run checks only its share, and says which it was.
    await two_files(accounts)
    partial = run_integrity(settings, "vault", "verify", "--share", "0/2")
    other = run_integrity(settings, "vault", "verify", "--share", "1/2")
    assert partial.returncode == other.returncode == 0
    counts = [int(out.stdout.split("vault verified: ")[1].split(" files")[0]) for out in (partial, other)]
    assert sum(counts) == 2
    assert run_integrity(settings, "vault", "verify", "--share", "2/2").returncode != 0
