"""A member asks to be forgotten; two admins confirm; their unpublished cases are shredded and
their account anonymised, while a published case stays as the public read it. The refusals: the
member confirming their own, one admin twice, a case under legal hold stopping it."""

from __future__ import annotations

import datetime
import uuid

from integrity.accounts.tables import Invitation, Member
from integrity.cases.tables import Case, FormDraft
from integrity.custody.tables import CustodyEntry
from integrity.preservation.tables import ShreddedCase
from integrity.publication.tables import PublicCase
from tests.cases.test_autosave import PARTIAL, _autosave
from tests.cases.test_intake import file_case
from tests.factories import AccountFactory
from tests.publication.test_publishing import act


async def test_a_member_is_forgotten_after_two_admins_confirm(accounts: AccountFactory) -> None:
    # A published case of theirs, and two unpublished ones (a draft and one in review).
    member = await accounts.as_role("member")
    reviewer, editor = await accounts.as_role("reviewer"), await accounts.as_role("editor")
    published = await file_case(member)
    assert (await member.post(f"/api/v1/cases/{published['id']}/submit")).status_code == 200
    await act(reviewer, published["id"], "start_review")
    assert (await act(reviewer, published["id"], "verify")).status_code == 200
    body = {
        "public_title": "Javni naslov",
        "public_summary": "Sažetak.",
        "public_body": "Javni tekst slučaja.",
        "attachments": [],
    }
    saved = await reviewer.put(f"/api/v1/cases/{published['id']}/publication", json=body)
    assert saved.status_code == 200, saved.text
    assert (await act(editor, published["id"], "approve")).status_code == 200
    assert (await act(editor, published["id"], "publish")).status_code == 200
    member_id = member.member.id  # type: ignore[union-attr]
    draft_case = await file_case(member)
    in_review = await file_case(member)
    assert (await member.post(f"/api/v1/cases/{in_review['id']}/submit")).status_code == 200

    # A case they were writing and never filed (saved as they typed), and the invitation that
    # brought them in, which names their address.
    member_email = (await Member.select(Member.email).where(Member.id == member_id).first())["email"]
    writing = await _autosave(member, "/app/cases/new/autosave", PARTIAL)
    assert writing.status_code == 200, writing.text
    assert await FormDraft.count() == 1
    await Invitation.insert(
        Invitation(
            email=member_email,
            token_hash=uuid.uuid4().hex * 2,
            expires_at=datetime.datetime.now(datetime.UTC),
        )
    )

    asked = await member.post("/api/v1/me/erasure")
    assert asked.status_code == 201 and asked.json()["status"] == "pending"
    again = await member.post("/api/v1/me/erasure")
    assert (again.status_code, again.json()["code"]) == (409, "erasure_pending")
    erasure = f"/api/v1/erasures/{asked.json()['id']}/confirm"
    assert (await member.post(erasure)).status_code == 403
    assert (await editor.post(erasure)).status_code == 403
    first, second = await accounts.as_role("admin"), await accounts.as_role("admin")
    assert [e["id"] for e in (await first.get("/api/v1/erasures")).json()] == [asked.json()["id"]]
    assert (await first.post(erasure)).json()["status"] == "confirmed"
    twice = await first.post(erasure)
    assert (twice.status_code, twice.json()["code"]) == (409, "four_eyes_erasure")
    # A hold on one of their cases stops the erasure until it is released.
    other_editor = await accounts.as_role("editor")
    holds = f"/api/v1/cases/{in_review['id']}/holds"
    hold = (await editor.post(holds, json={"reason": "Sudski postupak."})).json()
    await other_editor.post(f"{holds}/{hold['id']}/confirm")
    stopped = await second.post(erasure)
    assert (stopped.status_code, stopped.json()["code"]) == (409, "legal_hold")
    assert await Case.exists().where(Case.id == uuid.UUID(draft_case["id"]))  # nothing done
    await editor.post(f"{holds}/{hold['id']}/release")
    await other_editor.post(f"{holds}/{hold['id']}/confirm")
    done = await second.post(erasure)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["shredded"]) == ("done", 2)

    for gone in (draft_case, in_review):
        assert not await Case.exists().where(Case.id == uuid.UUID(gone["id"]))
        assert await ShreddedCase.exists().where(ShreddedCase.case_id == uuid.UUID(gone["id"]))
    # The published case stays, as the public reads it.
    assert await PublicCase.exists().where(PublicCase.case == uuid.UUID(published["id"]))
    anonymous = accounts.anonymous()
    assert (await anonymous.get("/api/v1/public/cases")).json()["total"] >= 1
    # The account: no e-mail, no name, no way in.
    erased = await Member.select().where(Member.id == member_id).first()
    assert erased["email"].endswith("@erased.invalid") and erased["display_name"] == "Erased member"
    assert not erased["is_active"] and erased["totp_secret_sealed"] is None
    assert erased["profession"] == "other"
    assert await FormDraft.count() == 0
    assert not await Invitation.exists().where(Invitation.email == member_email)
    assert (await member.get("/api/v1/me")).status_code == 401
    actions = {row["action"] for row in await CustodyEntry.select(CustodyEntry.action)}
    assert {
        "member.erasure_requested",
        "member.erasure_confirmed",
        "member.erased",
        "case.shredded",
    } <= actions
