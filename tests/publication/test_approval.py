"""Approval pins what the approving editor saw: a redaction that finishes after approval is refused
and the approved copy is what is published; whoever last changed the draft cannot approve it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar

from integrity.accounts.members import principal_from
from integrity.accounts.tables import Member
from integrity.cases.tables import Transition
from integrity.context import ServiceContext
from integrity.custody.tables import CustodyEntry
from integrity.errors import WrongState
from integrity.publication import copies
from integrity.publication.schemas import BoxIn
from integrity.publication.tables import (
    PublicationDraft,
    PublicChangeProposal,
    PublishedFile,
    PublishedRevision,
)
from integrity.review import service as review
from tests.factories import AccountFactory, files_read
from tests.publication.test_publishing import act, draft, redact_files, verified_case
from tests.web.helpers import HTML, post_form, visible_text


async def approvable_case(accounts: AccountFactory) -> tuple[dict[str, Any], Any, Any, list[dict[str, Any]]]:
    case, reviewer, editor, files = await verified_case(accounts)
    await redact_files(reviewer, case["id"], files)
    await reviewer.put(f"/api/v1/cases/{case['id']}/publication", json=draft(files, "Ugovor je nameštena."))
    assert (await files_read(reviewer, case["id"]))["leak_check"]["ok"]
    return case, reviewer, editor, files


async def test_whoever_last_changed_the_draft_cannot_approve_it(accounts: AccountFactory) -> None:
    case, _, editor, files = await approvable_case(accounts)
    # The editor rewrites the text after verification: another editor must approve it.
    await editor.put(
        f"/api/v1/cases/{case['id']}/publication", json=draft(files, "Ugovor je nameštena, ali.")
    )
    await files_read(editor, case["id"])
    refused = await act(editor, case["id"], "approve")
    assert refused.status_code == 409 and refused.json()["code"] == "four_eyes_draft"
    approved = await act(await accounts.as_role("editor"), case["id"], "approve")
    assert approved.status_code == 200, approved.text


async def test_a_redaction_finishing_after_approval_is_refused_and_the_approved_copy_is_published(
    accounts: AccountFactory, app: Litestar, monkeypatch: pytest.MonkeyPatch
) -> None:
    case, reviewer, editor, files = await approvable_case(accounts)
    pdf = files[1]
    approved_copy = next(
        d["rendition_id"]
        for d in (await files_read(reviewer, case["id"]))["attachments"]
        if d["attachment_id"] == pdf["id"]
    )
    state = app.state
    ctx = ServiceContext(vault=state.vault, signer=state.signer, settings=state.settings)
    editor_member = await Member.objects().where(Member.id == editor.member.id).first()
    reviewer_member = await Member.objects().where(Member.id == reviewer.member.id).first()
    as_editor = principal_from(
        editor_member, via="session", credential_id=editor_member.id, signer=state.signer
    )
    as_reviewer = principal_from(
        reviewer_member, via="session", credential_id=reviewer_member.id, signer=state.signer
    )

    # The reviewer starts a second redaction (a smaller box); while its pages are being rendered,
    # the editor approves the draft as it stood.
    real_run_in_worker = copies.run_in_worker

    async def approve_meanwhile(fn: Any, *args: Any) -> Any:
        result = await real_run_in_worker(fn, *args)
        await review.transition(ctx, as_editor, uuid.UUID(case["id"]), "approve", None)
        return result

    monkeypatch.setattr(copies, "run_in_worker", approve_meanwhile)
    smaller = [BoxIn(page=1, x=0.0, y=0.05, width=0.1, height=0.01)]
    with pytest.raises(WrongState) as refused:
        await copies.create_redaction(ctx, as_reviewer, uuid.UUID(case["id"]), uuid.UUID(pdf["id"]), smaller)
    assert refused.value.code == "redaction_after_approval" and refused.value.status_code == 409
    monkeypatch.undo()

    # Nothing of the late copy remains, and what was approved is what goes out.
    after = (await files_read(reviewer, case["id"]))["attachments"]
    assert next(d["rendition_id"] for d in after if d["attachment_id"] == pdf["id"]) == approved_copy
    published = await act(editor, case["id"], "publish")
    assert published.status_code == 200, published.text
    revision = (
        await PublishedRevision.select().where(PublishedRevision.public_case.case == case["id"]).first()
    )
    public_files = await PublishedFile.select(PublishedFile.rendition).where(
        PublishedFile.revision == revision["id"]
    )
    assert approved_copy in {str(f["rendition"]) for f in public_files}


async def test_publishing_anything_but_the_approved_draft_is_refused(accounts: AccountFactory) -> None:
    """Defence in depth: the approval's digest is checked again inside the publishing transaction
    (here the draft row is changed behind the services' back, as a bug or a manual edit would)."""
    case, _, editor, _ = await approvable_case(accounts)
    assert (await act(editor, case["id"], "approve")).status_code == 200
    await PublicationDraft.update({PublicationDraft.public_actor_ids: f'["{uuid.uuid4()}"]'}).where(
        PublicationDraft.case == uuid.UUID(case["id"])
    )
    refused = await act(editor, case["id"], "publish")
    assert refused.status_code == 409 and refused.json()["code"] == "approval_stale"
    assert await PublishedRevision.count().where(PublishedRevision.public_case.case == case["id"]) == 0


async def test_a_change_after_approval_voids_it_with_a_notice_and_another_editor_approves_again(
    accounts: AccountFactory,
) -> None:
    case, reviewer, editor, files = await approvable_case(accounts)
    url = f"/api/v1/cases/{case['id']}"
    assert (await act(editor, case["id"], "approve")).status_code == 200
    # Saving the very draft that was approved changes nothing.
    same = await reviewer.put(f"{url}/publication", json=draft(files, "Ugovor je nameštena."))
    assert same.status_code == 200 and same.json()["voided"] is None
    assert (await reviewer.get(url)).json()["status"] == "approved"

    changed = await reviewer.put(f"{url}/publication", json=draft(files, "Ugovor je nameštena, kažu."))
    assert changed.status_code == 200, changed.text
    assert changed.json()["voided"] == "approval"
    assert (await reviewer.get(url)).json()["status"] == "verified"
    # What was approved is gone: nothing can be published until an editor approves the new text.
    refused = await act(editor, case["id"], "publish")
    assert refused.status_code == 409
    assert await PublishedRevision.count().where(PublishedRevision.public_case.case == case["id"]) == 0
    # The approving editor is told, and the custody log and the timeline keep it.
    notices = (await editor.get("/api/v1/me/notifications")).json()["items"]
    assert notices[0]["kind"] == "approval_voided" and case["reference"] in notices[0]["message"]
    assert await CustodyEntry.count().where(CustodyEntry.action == "case.approval_voided") == 1
    assert await Transition.exists().where(
        (Transition.case == uuid.UUID(case["id"])) & (Transition.action == "approval_voided")
    )
    await files_read(reviewer, case["id"])
    again = await act(editor, case["id"], "approve")
    assert again.status_code == 200, again.text
    assert (await act(editor, case["id"], "publish")).status_code == 200


async def test_a_change_after_a_correction_was_proposed_drops_the_proposal_and_tells_its_editor(
    accounts: AccountFactory,
) -> None:
    case, reviewer, editor, files = await approvable_case(accounts)
    url = f"/api/v1/cases/{case['id']}"
    assert (await act(editor, case["id"], "approve")).status_code == 200
    assert (await act(editor, case["id"], "publish")).status_code == 200
    second = await accounts.as_role("editor")
    await second.put(f"{url}/publication", json=draft(files, "Ugovor je nameštena, ispravljeno."))
    await files_read(second, case["id"])
    proposed = await act(editor, case["id"], "correct", "Ispravljena je jedna rečenica.")
    assert proposed.status_code == 200, proposed.text

    changed = await reviewer.put(f"{url}/publication", json=draft(files, "Nešto sasvim drugo."))
    assert changed.status_code == 200 and changed.json()["voided"] == "correction"
    assert not await PublicChangeProposal.exists().where(PublicChangeProposal.case == uuid.UUID(case["id"]))
    assert (await editor.get("/api/v1/me/notifications")).json()["items"][0]["kind"] == "proposal_voided"
    refused = await act(second, case["id"], "confirm_correction")
    assert refused.status_code == 409 and refused.json()["code"] == "no_correction_proposed"
    assert await PublishedRevision.count().where(PublishedRevision.public_case.case == case["id"]) == 1

    # A new redacted copy of a file to publish changes the draft too.
    await second.put(f"{url}/publication", json=draft(files, "Ugovor je nameštena, ispravljeno."))
    await files_read(second, case["id"])
    assert (await act(editor, case["id"], "correct", "Ispravljena je jedna rečenica.")).status_code == 200
    pdf = files[1]
    redacted = await reviewer.post(
        f"{url}/attachments/{pdf['id']}/redactions",
        json={"boxes": [{"page": 1, "x": 0.0, "y": 0.0, "width": 1.0, "height": 0.5}]},
    )
    assert redacted.status_code == 201, redacted.text
    assert not await PublicChangeProposal.exists().where(PublicChangeProposal.case == uuid.UUID(case["id"]))
    refused = await act(second, case["id"], "confirm_correction")
    assert refused.status_code == 409 and refused.json()["code"] == "no_correction_proposed"


async def test_confirming_a_correction_of_anything_but_the_proposed_draft_is_refused(
    accounts: AccountFactory,
) -> None:
    """Defence in depth, as for approval: the draft row changed behind the services' back."""
    case, _, editor, files = await approvable_case(accounts)
    url = f"/api/v1/cases/{case['id']}"
    assert (await act(editor, case["id"], "approve")).status_code == 200
    assert (await act(editor, case["id"], "publish")).status_code == 200
    second = await accounts.as_role("editor")
    await second.put(f"{url}/publication", json=draft(files, "Ugovor je nameštena, ispravljeno."))
    await files_read(second, case["id"])
    assert (await act(second, case["id"], "correct", "Ispravljena je jedna rečenica.")).status_code == 200
    await PublicationDraft.update({PublicationDraft.public_actor_ids: f'["{uuid.uuid4()}"]'}).where(
        PublicationDraft.case == uuid.UUID(case["id"])
    )
    stale = await act(await accounts.as_role("editor"), case["id"], "confirm_correction")
    assert stale.status_code == 409 and stale.json()["code"] == "proposal_stale"
    assert await PublishedRevision.count().where(PublishedRevision.public_case.case == case["id"]) == 1


async def test_the_draft_page_of_an_approved_case_warns_and_says_what_a_change_voided(
    accounts: AccountFactory,
) -> None:
    case, reviewer, editor, files = await approvable_case(accounts)
    assert (await act(editor, case["id"], "approve")).status_code == 200
    url = f"/app/cases/{case['id']}"
    case_page = await reviewer.get(url + "?lang=en", headers=HTML)
    assert f'href="{url}/publication"' in case_page.text
    page = await reviewer.get(url + "/publication?lang=en", headers=HTML)
    assert page.status_code == 200
    assert "This draft is approved. Saving a change sends the case back to verified" in visible_text(
        page.text
    )
    photo, pdf, note = files
    saved = await post_form(
        reviewer,
        url + "/publication?lang=en",
        {
            "public_title": "Nameštena nabavka javne rasvete",
            "public_summary": "Ugovor je dodeljen povezanoj firmi.",
            "public_body": "Ugovor je nameštena, sa izmenom.",
            f"decision-{photo['id']}": "publish_redacted",
            f"decision-{pdf['id']}": "publish_redacted",
            f"decision-{note['id']}": "withhold",
        },
    )
    assert saved.status_code == 200, saved.text
    assert "your change voided that approval: the case is back to verified" in visible_text(saved.text)
