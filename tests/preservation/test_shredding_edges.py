"""Shredding where it meets other work: each safeguard caught doing its job.

A request to shred that the case has moved on from lapses; a copy finished after its original
was shredded is refused and leaves nothing behind; a published copy since withdrawn goes with its
original; one case the nightly job cannot shred does not stop the others; the checks over the
whole store pass over a case shredded while they run; the shared record of a person only a
shredded case named is forgotten; and a legal hold stops a member deleting a file not yet filed.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar

from integrity.cases.tables import Actor, Attachment, Case
from integrity.context import provide_service_context
from integrity.errors import Gone
from integrity.preservation import fixity, retention
from integrity.preservation.tables import ShredRequest
from integrity.publication.renditions import stored_rows
from integrity.publication.tables import PublishedFile, Rendition
from integrity.settings import Settings
from tests import samples
from tests.cases.test_intake import file_case, upload
from tests.factories import AccountFactory, Caller, run_integrity
from tests.preservation.test_retention import LATER, Hold, backed_up, redacted_copy
from tests.publication.factories import Publisher
from tests.publication.test_publishing import act


async def rejected_case(accounts: AccountFactory, **changes: Any) -> tuple[dict[str, Any], Caller]:
    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    case = await file_case(member, **changes)
    assert (await member.post(f"/api/v1/cases/{case['id']}/submit")).status_code == 200
    assert (await act(reviewer, case["id"], "reject", reason="Van nadležnosti")).status_code == 200
    return case, reviewer


async def test_a_request_to_shred_lapses_when_the_case_moves_on_or_it_waits_too_long(
    accounts: AccountFactory,
) -> None:
    case, _ = await rejected_case(accounts)
    first, second = await accounts.as_role("editor"), await accounts.as_role("editor")
    address = f"/api/v1/cases/{case['id']}/shredding"
    asked = (await first.post(address, json={"reason": "Brisanje."})).json()
    # The case moved on (here: its status changed) before the second editor came to it.
    await Case.update({Case.status: "withdrawn"}).where(Case.id == uuid.UUID(case["id"]))
    stale = await second.post(f"{address}/{asked['id']}/confirm")
    assert (stale.status_code, stale.json()["code"]) == (409, "shred_request_stale")
    assert not await ShredRequest.exists().where(ShredRequest.id == uuid.UUID(asked["id"]))
    assert await Case.exists().where(Case.id == uuid.UUID(case["id"]))
    # Asked again, and left longer than a request waits.
    asked = (await first.post(address, json={"reason": "Brisanje."})).json()
    long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=retention.REQUEST_DAYS + 1)
    await ShredRequest.update({ShredRequest.created_at: long_ago}).where(
        ShredRequest.id == uuid.UUID(asked["id"])
    )
    lapsed = await second.post(f"{address}/{asked['id']}/confirm")
    assert (lapsed.status_code, lapsed.json()["code"]) == (409, "shred_request_stale")
    assert await Case.exists().where(Case.id == uuid.UUID(case["id"]))
    # A fresh request on the case as it is now is confirmed.
    asked = (await first.post(address, json={"reason": "Brisanje."})).json()
    done = await second.post(f"{address}/{asked['id']}/confirm")
    assert done.status_code == 200 and done.json()["status"] == "shredded"


async def test_a_copy_finished_after_its_original_was_shredded_is_refused_and_leaves_nothing(
    accounts: AccountFactory, app: Litestar, settings: Settings
) -> None:
    ctx = provide_service_context(app.state)
    publisher = Publisher(app)
    published = await publisher.publish(files=[samples.png(), samples.png()])
    original = await Attachment.select().where(Attachment.case == published.case_id).first()
    assert original is not None
    # A takedown withdrew the second published copy since: the public no longer gets it.
    withdrawn_copy = await Rendition.select().where(Rendition.id == published.rendition_ids[1]).first()
    assert withdrawn_copy is not None
    await PublishedFile.update({PublishedFile.withdrawn_at: datetime.datetime.now(datetime.UTC)}).where(
        PublishedFile.rendition == withdrawn_copy["id"]
    )
    editor = await publisher.member("editor")
    objects_before = sum(1 for path in (settings.data_dir / "vault").rglob("*") if path.is_file())

    assert await retention.shred_originals(ctx, published.case_id, reason="request") == 2
    # The withdrawn copy went with its original: its key destroyed, its object removed, its row
    # kept for the published record that names it. The copy the public gets stays.
    emptied = await Rendition.select().where(Rendition.id == withdrawn_copy["id"]).first()
    assert emptied is not None and bytes(emptied["wrapped_key"]) == b""
    assert not await ctx.vault.exists(backed_up([withdrawn_copy])[0])
    kept = await Rendition.select().where(Rendition.id == published.rendition_ids[0]).first()
    assert kept is not None and bytes(kept["wrapped_key"])

    # A redaction that was being made from the original (it read the row before the shredding)
    # is refused when it is stored, and no row or object is left of it.
    copies_before = await Rendition.count()
    with pytest.raises(Gone) as refused:
        await redacted_copy(ctx, editor.id, original, samples.png(b"late copy"))
    assert refused.value.code == "file_shredded"
    assert await Rendition.count() == copies_before
    objects_after = sum(1 for path in (settings.data_dir / "vault").rglob("*") if path.is_file())
    assert objects_after == objects_before - 3  # two originals and the withdrawn copy; nothing new
    assert run_integrity(settings, "vault", "verify").returncode == 0
    assert run_integrity(settings, "custody", "verify").returncode == 0


async def test_one_case_the_job_cannot_shred_does_not_stop_the_others(
    accounts: AccountFactory, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = provide_service_context(app.state)
    case, _ = await rejected_case(accounts)
    real = await retention.due_cases(ctx, LATER + datetime.timedelta(days=400))
    assert [due.case_id for due in real] == [uuid.UUID(case["id"])]
    # A case found due and then shredded by two editors before the job reached it (a race the
    # test cannot time, so the list the job works through is given).
    vanished = retention.Due(case_id=uuid.uuid4(), status="rejected", since=real[0].since)

    async def found(_ctx: object, _on: object) -> list[retention.Due]:
        return [vanished, *real]

    monkeypatch.setattr(retention, "due_cases", found)
    assert await retention.shred_due(ctx, LATER + datetime.timedelta(days=400)) == 1
    assert not await Case.exists().where(Case.id == uuid.UUID(case["id"]))


async def test_the_checks_over_the_store_pass_over_a_case_shredded_while_they_run(
    accounts: AccountFactory, app: Litestar
) -> None:
    ctx = provide_service_context(app.state)
    member = await accounts.as_role("member")
    cases = [await file_case(member) for _ in range(2)]
    for each in cases:
        assert (await upload(member, each["id"], [("a.png", samples.png())])).status_code == 201
    rows = stored_rows(ctx)
    _, first_case, _, _ = await anext(rows)
    (other,) = [uuid.UUID(each["id"]) for each in cases if uuid.UUID(each["id"]) != first_case]
    # The other case is shredded while the check is on its way through the store.
    await Case.update({Case.status: "withdrawn"}).where(Case.id == other)
    await retention.shred_case(ctx, other, reason="request")
    rest = [row async for row in rows]
    assert all(case_id != other for _, case_id, _, _ in rest)


async def test_the_shared_record_of_someone_only_a_shredded_case_named_is_forgotten(
    accounts: AccountFactory, app: Litestar
) -> None:
    ctx = provide_service_context(app.state)
    named = [{"name": "Direktor Izmišljenog Preduzeća", "kind": "person", "role": "alleged_perpetrator"}]
    case, reviewer = await rejected_case(accounts, actors=named)
    other, other_reviewer = await rejected_case(accounts, actors=named)
    for each, who in ((case, reviewer), (other, other_reviewer)):
        actor = each["actors"][0]
        linked = await who.post(
            f"/api/v1/cases/{each['id']}/actors/{actor['actor_id']}/link", json={"name": actor["name"]}
        )
        assert linked.status_code == 200, linked.text
    shared = await Actor.select(Actor.id).where(Actor.name == named[0]["name"])
    assert len(shared) == 1  # one record, named by both cases

    await retention.shred_case(ctx, uuid.UUID(case["id"]), reason="request")
    assert await Actor.exists().where(Actor.name == named[0]["name"])  # the other case names it
    await retention.shred_case(ctx, uuid.UUID(other["id"]), reason="request")
    assert not await Actor.exists().where(Actor.name == named[0]["name"])


async def test_a_hold_stops_a_member_deleting_a_file_not_yet_filed(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    case = await file_case(member)
    assert (await member.post(f"/api/v1/cases/{case['id']}/submit")).status_code == 200
    await act(reviewer, case["id"], "start_review")
    asked = await act(reviewer, case["id"], "request_info", reason="Pošaljite ugovor.")
    assert asked.status_code == 200, asked.text
    added = await upload(member, case["id"], [("ugovor.pdf", samples.pdf("Ugovor"))])
    assert added.status_code == 201, added.text
    file_id = added.json()[0]["id"]
    hold = Hold(await accounts.as_role("editor"), await accounts.as_role("editor"), case["id"])
    await hold.place("Predmet ide sudu.")
    refused = await member.delete(f"/api/v1/cases/{case['id']}/attachments/{file_id}")
    assert (refused.status_code, refused.json()["code"]) == (409, "legal_hold")
    assert await Attachment.exists().where(Attachment.id == uuid.UUID(file_id))
    await hold.release()
    assert (await member.delete(f"/api/v1/cases/{case['id']}/attachments/{file_id}")).status_code == 204


async def test_a_file_shredded_while_the_fixity_check_runs_is_no_alarm(
    accounts: AccountFactory, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = provide_service_context(app.state)
    member = await accounts.as_role("member")
    case = await file_case(member)
    assert (await upload(member, case["id"], [("a.png", samples.png())])).status_code == 201
    # The check read the rows, then the case was shredded before it reached its file (a race the
    # test cannot time, so the rows the check goes through are the ones read before).
    read_before = [row async for row in stored_rows(ctx)]
    await Case.update({Case.status: "withdrawn"}).where(Case.id == uuid.UUID(case["id"]))
    await retention.shred_case(ctx, uuid.UUID(case["id"]), reason="request")

    async def rows(_ctx: object) -> AsyncIterator[tuple[Any, ...]]:
        for row in read_before:
            yield row

    monkeypatch.setattr(fixity, "stored_rows", rows)
    report = await fixity.verify(ctx)
    assert report.ok and report.checked == 0
    # A file that is really gone, its row still there, is an alarm.
    other = await file_case(member)
    assert (await upload(member, other["id"], [("b.png", samples.png())])).status_code == 201
    (blob,) = backed_up(await Attachment.select().where(Attachment.case == uuid.UUID(other["id"])))
    await ctx.vault.delete(blob)
    monkeypatch.undo()
    report = await fixity.verify(ctx)
    assert [failure.problem for failure in report.failures] == ["missing"]
