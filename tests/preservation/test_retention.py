"""Retention and shredding, caught doing what they must and refusing what they must not: a
withdrawn case under legal hold outlives its retention; released, the daily job shreds it, its
rows and objects gone, a tombstone and a custody entry left, the custody log still verifying; a
copy of the bucket taken before no longer opens (its keys were in the rows), and after
`keys rotate --retire-previous` neither does a copy of the database taken before."""

from __future__ import annotations

import dataclasses
import datetime
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar

from integrity.cases.tables import Attachment, Case, IdempotentUpload
from integrity.context import ServiceContext, provide_service_context
from integrity.custody.tables import CustodyEntry
from integrity.errors import ConfigurationError, Gone, WrongState
from integrity.preservation import retention
from integrity.preservation.tables import ShreddedCase, ShredRequest
from integrity.publication import copies
from integrity.publication.renditions import store_rendition
from integrity.publication.tables import Rendition
from integrity.settings import Settings
from integrity.vault import Keyring, SealedBlob
from tests import samples
from tests.cases.test_intake import file_case
from tests.factories import AccountFactory, Caller, run_integrity
from tests.publication.factories import Publisher
from tests.publication.test_publishing import act
from tests.web.helpers import HTML, post_form, visible_text

LATER = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=400)


def backed_up(rows: list[dict[str, Any]]) -> list[SealedBlob]:
    """The blobs as a backup of the database taken now holds them (with their wrapped keys)."""
    return [
        SealedBlob(r["blob_id"], bytes(r["wrapped_key"]), r["key_id"], int(r["size"]), r["sha256"])
        for r in rows
    ]


def retire_keys(settings: Settings, blobs: list[SealedBlob]) -> None:
    """A database backup's wrapped keys unwrap until `keys rotate --retire-previous`; then none do."""
    Keyring.load(settings.keyring_file).unwrap(blobs[0].wrapped_key, blobs[0].key_id)
    rotated = run_integrity(settings, "keys", "rotate", "--retire-previous")
    assert rotated.returncode == 0, rotated.stderr
    for blob in blobs:
        with pytest.raises(ConfigurationError):
            Keyring.load(settings.keyring_file).unwrap(blob.wrapped_key, blob.key_id)


async def redacted_copy(
    ctx: ServiceContext, actor_id: uuid.UUID, original: dict[str, Any], content: bytes
) -> dict[str, Any]:
    """A copy of ``original`` stored as the redaction tool stores one (with no boxes)."""
    return await store_rendition(
        ctx,
        actor_id,
        original,
        content,
        kind="redacted",
        content_type="image/png",
        extension="png",
        pages=1,
        boxes=[],
    )


async def actions_on(case_id: object) -> list[str]:
    rows = (
        await CustodyEntry.select(CustodyEntry.action)
        .where(CustodyEntry.subject == f"case:{case_id}")
        .order_by(CustodyEntry.seq)
    )
    return [row["action"] for row in rows]


class Hold:
    """A legal hold placed through the API by two editors, and released by them."""

    def __init__(self, first: Caller, second: Caller, case_id: object) -> None:
        self.first, self.second, self.address = first, second, f"/api/v1/cases/{case_id}/holds"

    async def place(self, reason: str) -> None:
        self.id = (await self.first.post(self.address, json={"reason": reason})).json()["id"]
        assert (await self.second.post(f"{self.address}/{self.id}/confirm")).json()["status"] == "active"

    async def release(self) -> None:
        assert (await self.first.post(f"{self.address}/{self.id}/release")).json()["status"] == "releasing"
        assert (await self.second.post(f"{self.address}/{self.id}/confirm")).json()["status"] == "released"


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
    hold = Hold(await accounts.as_role("editor"), await accounts.as_role("editor"), case_id)
    await hold.place("Moguć sudski postupak.")
    assert await retention.shred_due(ctx, LATER) == 0
    with pytest.raises(WrongState) as refused:
        await retention.shred_case(ctx, uuid.UUID(case_id), reason="request")
    assert refused.value.code == "legal_hold"
    assert await Case.exists().where(Case.id == uuid.UUID(case_id))

    # Backups taken now: the bucket (a copy of the store) and the database (its rows).
    rows = await Attachment.select().where(Attachment.case == uuid.UUID(case_id))
    blobs = backed_up(rows)
    bucket_copy = tmp_path / "bucket-backup"
    shutil.copytree(settings.data_dir / "vault", bucket_copy)

    # Released by two editors, the next day's job shreds it.
    await hold.release()
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
    retire_keys(settings, blobs)


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
    assert (await actions_on(case_id))[-2:] == ["case.shred_requested", "case.shredded"]
    assert "brisanje" not in str(await CustodyEntry.select(CustodyEntry.details)).lower()


async def test_a_published_case_is_never_shredded_whole(accounts: AccountFactory, app: Litestar) -> None:
    ctx = provide_service_context(app.state)
    published = await Publisher(app).publish(files=[samples.png()])
    # Withdrawn or rejected is what the whole-case shredding asks for; a published case is refused
    # even if its status were to say otherwise, because its publication stands.
    await Case.update({Case.status: "withdrawn"}).where(Case.id == published.case_id)
    with pytest.raises(WrongState) as refused:
        await retention.shred_case(ctx, published.case_id, reason="request")
    assert refused.value.code == "case_published"
    assert await Case.exists().where(Case.id == published.case_id)
    assert await retention.shred_due(ctx, LATER) == 0
    assert await Attachment.count().where(Attachment.case == published.case_id) == 1


async def test_two_editors_shred_a_published_cases_originals_before_their_time(
    accounts: AccountFactory, app: Litestar
) -> None:
    """On the legal holds page, without JavaScript: asked by one editor, confirmed by another;
    the case and its publication stay, the originals go."""
    published = await Publisher(app).publish(files=[samples.png()])
    case_id = published.case_id
    first, second = await accounts.as_role("editor"), await accounts.as_role("editor")
    holds_page = f"/app/cases/{case_id}/holds?lang=en"
    shown = await first.get(holds_page, headers=HTML)
    assert "Shred the originals before their time" in shown.text
    assert "Shred the case before its time" not in shown.text
    asked = await post_form(
        first,
        f"/app/cases/{case_id}/shredding",
        {"shred_reason": "Izvor strahuje od pretresa."},
        follow=False,
    )
    assert asked.status_code == 303, asked.text
    (request,) = await ShredRequest.select().where(ShredRequest.case == case_id)
    mine = await post_form(
        first, f"/app/cases/{case_id}/shredding/{request['id']}/confirm?lang=en", {}, follow=False
    )
    assert mine.status_code == 409 and "Another editor confirms the shredding" in visible_text(mine.text)
    assert (await Attachment.select().where(Attachment.case == case_id).first())["shredded_at"] is None
    done = await post_form(
        second, f"/app/cases/{case_id}/shredding/{request['id']}/confirm", {}, follow=False
    )
    assert done.status_code == 303 and "done=originals_shredded" in done.headers["location"]
    assert (await Attachment.select().where(Attachment.case == case_id).first())["shredded_at"] is not None
    assert await Case.exists().where(Case.id == case_id)
    assert not await ShredRequest.exists().where(ShredRequest.case == case_id)
    after = await second.get(holds_page, headers=HTML)
    assert (
        "The originals are shredded"
        in (await second.get(f"{holds_page}&done=originals_shredded", headers=HTML)).text
    )
    assert "Shred the originals before their time" not in after.text
    served = await accounts.anonymous().get(
        f"/api/v1/public/cases/{published.reference}/files/{published.files[0].id}"
    )
    assert served.status_code == 200 and served.content == published.files[0].content
    # Nothing is left to shred early: the API says so.
    again = await first.post(f"/api/v1/cases/{case_id}/shredding", json={"reason": "Ponovo."})
    assert (again.status_code, again.json()["code"]) == (409, "originals_shredded")
    assert (await actions_on(case_id))[-2:] == ["case.shred_requested", "case.originals_shredded"]


async def test_a_published_cases_originals_are_shredded_when_their_retention_runs_out(
    accounts: AccountFactory, app: Litestar, settings: Settings, tmp_path: Path
) -> None:
    """The class ``published``: ten years after the latest revision by default. The originals
    (and a working copy never published) go; the published copy, the revision and the custody
    log stay, and the public still gets exactly what was published."""
    ctx = provide_service_context(app.state)
    publisher = Publisher(app)
    published = await publisher.publish(files=[samples.png()], withheld=[b"Izjava svedoka, poverljivo."])
    case_id = published.case_id
    originals = await Attachment.select().where(Attachment.case == case_id).order_by(Attachment.uploaded_at)
    assert len(originals) == 2
    # A working redaction of the first original, never published (it may show more than the public got).
    editor_member = await publisher.member("editor")
    working = await redacted_copy(ctx, editor_member.id, originals[0], samples.png(b"working copy"))
    public_file = published.files[0]
    public_url = f"/api/v1/public/cases/{published.reference}/files/{public_file.id}"
    due_day = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=3651)
    assert await retention.due_originals(ctx, datetime.datetime.now(datetime.UTC)) == []
    assert [d.case_id for d in await retention.due_originals(ctx, due_day)] == [case_id]

    # Held by two editors, the originals outlive their time.
    first, second = await accounts.as_role("editor"), await accounts.as_role("editor")
    hold = Hold(first, second, case_id)
    await hold.place("Sudski postupak je u toku.")
    assert await retention.shred_due(ctx, due_day) == 0
    with pytest.raises(WrongState) as refused:
        await retention.shred_originals(ctx, case_id, reason="request")
    assert refused.value.code == "legal_hold"

    # Backups taken now: the bucket and the database's wrapped keys.
    blobs = backed_up(originals)
    working_blob = SealedBlob(
        working["blob_id"],
        bytes(working["wrapped_key"]),
        working["key_id"],
        working["size"],
        working["sha256"],
    )
    bucket_copy = tmp_path / "bucket-backup"
    shutil.copytree(settings.data_dir / "vault", bucket_copy)

    await hold.release()
    assert await retention.shred_due(ctx, due_day) == 1
    assert await retention.shred_due(ctx, due_day) == 0  # nothing left to shred

    # The originals' rows stay, marked, their keys destroyed and their objects removed.
    for row in await Attachment.select().where(Attachment.case == case_id):
        assert row["shredded_at"] is not None and bytes(row["wrapped_key"]) == b""
    for blob in [*blobs, working_blob]:
        assert not await ctx.vault.exists(blob)
    assert all(any(bucket_copy.rglob(blob.blob_id)) for blob in blobs)
    assert not await Rendition.exists().where(Rendition.id == working["id"])
    entry = await CustodyEntry.select().where(CustodyEntry.action == "case.originals_shredded").first()
    assert entry["subject"] == f"case:{case_id}"
    details = json.loads(entry["details"])
    assert (details["files"], details["copies"], details["kept"]) == (2, 1, 1)

    # The public gets exactly what was published; the team sees the record but not the original.
    public = accounts.anonymous()
    served = await public.get(public_url)
    assert served.status_code == 200 and served.content == public_file.content
    assert (await public.get(f"/api/v1/public/cases/{published.reference}")).status_code == 200
    seen = await first.get(f"/api/v1/cases/{case_id}")
    assert seen.status_code == 200, seen.text
    assert all(file["shredded_at"] for file in seen.json()["attachments"])
    download = await first.get(f"/api/v1/cases/{case_id}/attachments/{originals[0]['id']}/content")
    assert (download.status_code, download.json()["code"]) == (410, "file_shredded")
    page = await first.get(f"/app/cases/{case_id}?lang=en")
    assert page.status_code == 200 and "no longer exists" in page.text
    assert "original više ne postoji" in (await first.get(f"/app/cases/{case_id}?lang=sr-Latn")).text
    assert f"/attachments/{originals[0]['id']}/content" not in page.text
    shredded = await Attachment.select().where(Attachment.id == originals[1]["id"]).first()
    assert shredded is not None
    with pytest.raises(Gone) as gone:
        await copies.cleaned_rendition(ctx, editor_member, shredded)
    assert gone.value.code == "file_shredded"

    # Every check over the store still passes; rotating the key ring moves on without the keys.
    assert run_integrity(settings, "custody", "verify").returncode == 0
    assert run_integrity(settings, "vault", "verify").returncode == 0
    retire_keys(settings, blobs)
    assert (await public.get(public_url)).content == public_file.content


async def test_only_a_published_cases_originals_are_shredded_apart_from_it(
    accounts: AccountFactory, app: Litestar, settings: Settings
) -> None:
    ctx = provide_service_context(app.state)
    member = await accounts.as_role("member")
    case = await file_case(member)
    with pytest.raises(WrongState) as refused:
        await retention.shred_originals(ctx, uuid.UUID(case["id"]), reason="request")
    assert refused.value.code == "case_not_published"
    # A class of 0 days keeps the originals for good.
    publisher = Publisher(app)
    await publisher.publish(
        files=[samples.png()], published_at=datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC)
    )
    kept = dataclasses.replace(ctx, settings=dataclasses.replace(settings, retention={"published": 0}))
    assert await retention.due_originals(kept, LATER) == []
    assert len(await retention.due_originals(ctx, LATER)) == 1


def test_retention_classes_are_configured_by_name() -> None:
    environ = {"INTEGRITY_DATA_DIR": "/tmp", "INTEGRITY_RETENTION": "withdrawn=30, published=0"}
    assert dict(Settings.from_env(environ).retention) == {"withdrawn": 30, "rejected": 730, "published": 0}
    for wrong in ("closed=30", "published=-1", "withdrawn=forever", "rejected=40000"):
        with pytest.raises(ConfigurationError):
            Settings.from_env({**environ, "INTEGRITY_RETENTION": wrong})
