"""The review team's pages through the test client: the queue and its filters, the case page's forms
(notes, requests and answers, steps with reasons, conflicts, assignment), the publication draft with
the leak check, the redaction tool without JavaScript, and the preview with approval and publication."""

from __future__ import annotations

import dataclasses
import re

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests import samples
from tests.factories import AccountFactory, Caller, files_read
from tests.web.helpers import (
    CASE_FIELDS,
    HTML,
    case_id_of,
    file_case,
    html_lang,
    post_form,
    serbian_msgids,
    visible_text,
)


async def submitted_case(member: Caller, files: tuple[tuple[str, bytes], ...] | None = None) -> str:
    if files is None:
        files = (("evidence.png", samples.png(width=40, height=20)),)
    filed = await file_case(member, files=files)
    case_id = case_id_of(filed)
    done = await post_form(member, f"/app/cases/{case_id}/submit", {}, follow=False)
    assert done.status_code == 303, done.text
    return case_id


async def post_en(caller: Caller, url: str, fields: dict[str, str]) -> httpx.Response:
    """Post a form; after a redirect, show where it leads in English."""
    response = await post_form(caller, url, fields, follow=False)
    if response.status_code != 303:
        return response
    target = response.headers["location"]
    path, _, fragment = target.partition("#")
    return await caller.get(path + ("&" if "?" in path else "?") + "lang=en", headers=HTML)


def csrf_fields(response: httpx.Response) -> int:
    return response.text.count('name="_csrf_token"')


def file_id_of(page: httpx.Response) -> str:
    match = re.search(r"/files/([0-9a-f-]{36})/redact", page.text)
    assert match, "no redaction link"
    return match.group(1)


async def test_a_member_cannot_see_the_queue_and_the_team_can_filter_it(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    case_id = await submitted_case(member)
    refused = await member.get("/app/queue?lang=en", headers=HTML)
    assert refused.status_code == 403
    assert "Your role does not allow this." in refused.text and "<form" in refused.text
    admin = await accounts.as_role("admin")
    assert (await admin.get("/app/queue", headers=HTML)).status_code == 403

    queue = await reviewer.get("/app/queue?lang=en", headers=HTML)
    assert queue.status_code == 200
    assert f"/app/cases/{case_id}" in queue.text and "1 case" in visible_text(queue.text)
    for query in (
        "status=in_review",
        "municipality=beograd-vracar",
        "category=media_capture",
        "assigned=1",
        "q=nepostojece",
    ):
        filtered = await reviewer.get(f"/app/queue?lang=en&{query}", headers=HTML)
        assert filtered.status_code == 200 and case_id not in filtered.text, query
    for query in ("status=submitted", "municipality=cacak", "category=procurement_public_money", "q=skole"):
        filtered = await reviewer.get(f"/app/queue?{query}", headers=HTML)
        assert case_id in filtered.text, query


async def test_the_review_team_takes_steps_writes_notes_and_asks_the_member(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    case_id = await submitted_case(member)
    url = f"/app/cases/{case_id}"

    page = await reviewer.get(url + "?lang=en", headers=HTML)
    text = visible_text(page.text)
    assert "Start the review" in text and "Reject the case" in text
    assert "Declare a conflict of interest" in text and "Internal note" in text
    assert csrf_fields(page) >= 4

    started = await post_en(reviewer, url + "/transitions?lang=en", {"action": "start_review"})
    assert started.status_code == 200 and "Ask the member for information" in started.text
    assert "The review has started: the case is assigned to you." in visible_text(started.text)
    # A step that needs a reason is refused without one, with the message on the page.
    refused = await post_form(reviewer, url + "/transitions?lang=en", {"action": "reject", "reason": ""})
    assert refused.status_code == 422 and "Reject needs a reason." in visible_text(refused.text)
    noted = await post_form(
        reviewer, url + "/comments", {"kind": "note", "body": "Provera kod opštine u toku."}
    )
    assert "Provera kod opštine u toku." in noted.text
    asked = await post_form(
        reviewer, url + "/transitions", {"action": "request_info", "reason": "Pošaljite kopiju ugovora."}
    )
    assert asked.status_code == 200 and "Pošaljite kopiju ugovora." in asked.text

    # The member sees the request, answers it, adds a file and provides the information; never the note.
    mine = await member.get(url + "?lang=en", headers=HTML)
    text = visible_text(mine.text)
    assert "The review team needs more information" in text and "Pošaljite kopiju ugovora." in text
    assert "Provera kod opštine" not in mine.text and "Internal note" not in text
    answered = await post_form(member, url + "/comments", {"kind": "answer", "body": "Ugovor je u prilogu."})
    assert "Ugovor je u prilogu." in answered.text
    provided = await post_form(member, url + "/transitions", {"action": "provide_info"})
    assert provided.status_code == 200 and "Provera kod opštine" not in provided.text
    # A member may not write notes: a friendly page, not a stack trace.
    refused = await post_form(member, url + "/comments?lang=en", {"kind": "note", "body": "x"})
    assert refused.status_code == 403 and "<html" in refused.text

    verified = await post_form(reviewer, url + "/transitions?lang=en", {"action": "verify"})
    assert "status status-verified" in verified.text


async def test_editors_assign_and_reviewers_declare_conflicts(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    member = await accounts.as_role("member")
    reviewer_member = await accounts.create("reviewer", display_name="Rada Recenzentkinja")
    reviewer = await accounts.caller(reviewer_member)
    editor = await accounts.as_role("editor")
    case_id = await submitted_case(member)
    url = f"/app/cases/{case_id}"
    page = await editor.get(url, headers=HTML)
    assert 'name="reviewer_id"' in page.text and "Rada Recenzentkinja" in page.text
    assigned = await post_form(editor, url + "/assignment", {"reviewer_id": str(reviewer_member.id)})
    assert assigned.status_code == 200
    queue = await reviewer.get("/app/queue?assigned=1", headers=HTML)
    assert case_id in queue.text
    stepped_away = await post_en(reviewer, url + "/conflicts?lang=en", {})
    assert "You declared a conflict of interest: the case is no longer shown to you." in stepped_away.text
    assert case_id not in stepped_away.text
    for path in ("", "/publication/preview", "/publication"):
        assert (await reviewer.get(url + path + "?lang=en", headers=HTML)).status_code == 404, path
    refused = await post_form(reviewer, url + "/transitions?lang=en", {"action": "start_review"})
    assert refused.status_code == 404

    # The editor records a conflict for another member of the team on the case page.
    other_member = await accounts.create("reviewer", display_name="Zora Druga")
    other = await accounts.caller(other_member)
    page = await editor.get(url + "?lang=en", headers=HTML)
    assert "Record a conflict of interest for another member of the team" in page.text
    recorded = await post_en(editor, url + "/conflicts?lang=en", {"member_id": str(other_member.id)})
    # Back on the case page, which no longer offers her for assignment or for another conflict.
    assert recorded.status_code == 200 and "Zora Druga" not in recorded.text
    assert (await other.get(url, headers=HTML)).status_code == 404


async def test_the_assignment_form_offers_only_whom_the_service_would_accept(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    """The form used to offer a reviewer who had declared a conflict, whom assignment then refused."""
    member = await accounts.as_role("member")
    conflicted_member = await accounts.create("reviewer", display_name="Vera Povučena")
    conflicted = await accounts.caller(conflicted_member)
    await accounts.create("reviewer", display_name="Mira Slobodna")
    editor = await accounts.as_role("editor")
    case_id = await submitted_case(member)
    url = f"/app/cases/{case_id}"
    before = await editor.get(url, headers=HTML)
    assert "Vera Povučena" in before.text and "Mira Slobodna" in before.text
    await post_en(conflicted, url + "/conflicts?lang=en", {})
    after = await editor.get(url, headers=HTML)
    assert 'name="reviewer_id"' in after.text and "Mira Slobodna" in after.text
    assert "Vera Povučena" not in after.text
    refused = await post_form(editor, url + "/assignment", {"reviewer_id": str(conflicted_member.id)})
    assert refused.status_code == 409


def reopened_value(html: str, row: int, name: str) -> str:
    """The value of box `row`'s `name` field in the redaction tool's form."""
    return re.search(rf'name="box-{row}-{name}"[^>]*value="([^"]*)"', html).group(1)


async def test_publication_draft_redaction_preview_approval_and_publication(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    editor = await accounts.as_role("editor")
    case_id = await submitted_case(member, files=(("ugovor.pdf", samples.pdf("Ugovor o nabavci")),))
    url = f"/app/cases/{case_id}"
    await post_form(reviewer, url + "/transitions", {"action": "start_review"})
    # Unlinked, the institution is not offered for the public version yet; the page says why.
    unlinked = await reviewer.get(url + "/publication?lang=en", headers=HTML)
    assert 'name="public_actor"' not in unlinked.text
    assert "Not offered until they are linked to a shared record" in visible_text(unlinked.text)
    case_page = await reviewer.get(url + "?lang=en", headers=HTML)
    for actor_id in set(
        re.findall(r'action="/app/cases/[0-9a-f-]{36}/actors/([0-9a-f-]{36})/link"', case_page.text)
    ):
        # Without a name the link is refused, and the other names typed are still there.
        refused = await post_form(
            reviewer,
            f"{url}/actors/{actor_id}/link?lang=en",
            {"shared_actor_id": "new", "name": " ", "aliases": "Uprava grada, OU Čačak"},
            follow=False,
        )
        assert refused.status_code == 422 and 'value="Uprava grada, OU Čačak"' in refused.text
        linked = await post_form(
            reviewer,
            f"{url}/actors/{actor_id}/link",
            {"shared_actor_id": "new", "name": "Opštinska uprava Čačak"},
        )
        assert linked.status_code == 200, linked.text

    draft = await reviewer.get(url + "/publication?lang=en", headers=HTML)
    assert draft.status_code == 200 and csrf_fields(draft) >= 2
    # Each file is told apart by more than its name (two may share one): when, and its hash.
    filed = (await reviewer.get(f"/api/v1/cases/{case_id}")).json()["attachments"][0]
    assert f"<code>{filed['sha256'][:12]}</code>" in draft.text and "uploaded" in draft.text
    # A first draft starts from the narrative; the protected actor is not offered.
    assert "Ugovor je dobio gradonačelnikov brat." in draft.text
    assert "Opštinska uprava Čačak" in draft.text and 'value="Petar Petrović"' not in draft.text
    assert "Nothing has been saved yet." in draft.text
    # The incident date may be published less precisely: the case's own precision and coarser ones.
    assert 'name="incident_date_precision"' in draft.text and '<option value="year"' in draft.text

    attachment_id = file_id_of(await reviewer.get(url, headers=HTML))
    actor_id = re.search(r'name="public_actor" type="checkbox" value="([0-9a-f-]{36})"', draft.text).group(1)
    fields = {
        "public_title": "Tender za školu",
        "public_summary": "Ugovor je dobio Pera, brat gradonačelnika.",
        "public_body": "Ugovor je dobio gradonačelnikov brat.",
        "public_actor": actor_id,
        f"decision-{attachment_id}": "publish_redacted",
    }
    saved = await post_form(reviewer, url + "/publication?lang=en", fields)
    text = visible_text(saved.text)
    assert saved.status_code == 200 and "The draft was saved." in text
    assert "A protected name was found 1 time" in text and "the summary" in text
    assert "Pera" not in re.search(r'<q class="excerpt">(.*?)</q>', saved.text).group(1)
    assert "Make a redacted copy of ugovor.pdf" in text

    tool = await reviewer.get(f"{url}/files/{attachment_id}/redact?lang=en", headers=HTML)
    # The page fills the width and zooms without JavaScript (200 %, 300 %, in a scrolling frame).
    assert 'class="redact-preview zoom-1"' in tool.text and "zoom=2" in tool.text
    zoomed = await reviewer.get(f"{url}/files/{attachment_id}/redact?zoom=3&lang=en", headers=HTML)
    assert 'class="redact-preview zoom-3"' in zoomed.text
    assert tool.status_code == 200
    assert f"/api/v1/cases/{case_id}/attachments/{attachment_id}/pages/1.png" in tool.text
    assert 'name="box-0-x"' in tool.text and 'name="box-2-height"' in tool.text
    more = await post_form(reviewer, f"{url}/files/{attachment_id}/redact", {"do": "more", "box-0-x": "5"})
    assert 'name="box-5-x"' in more.text
    wrong = await post_form(
        reviewer,
        f"{url}/files/{attachment_id}/redact?lang=en",
        {
            "do": "create",
            "box-0-page": "1",
            "box-0-x": "80",
            "box-0-y": "0",
            "box-0-width": "40",
            "box-0-height": "5",
        },
    )
    assert wrong.status_code == 422 and "The box must lie within the page" in wrong.text
    made = await post_form(
        reviewer,
        f"{url}/files/{attachment_id}/redact?lang=en",
        {
            "do": "create",
            "box-0-page": "1",
            "box-0-x": "10",
            "box-0-y": "10",
            "box-0-width": "50",
            "box-0-height": "20",
        },
    )
    assert made.status_code == 201 and "Redacted copy created" in made.text
    sha = re.search(r'<code class="rendition-sha256">([0-9a-f]{64})</code>', made.text).group(1)
    link = re.search(r'href="(/api/v1/cases/[^"]+/renditions/[^"]+/content)"', made.text).group(1)
    download = await reviewer.get(link)
    assert download.status_code == 200 and download.content.startswith(b"%PDF")

    # Reopened, the tool starts from the copy's boxes; a box ticked "Remove" is left out of the next.
    reopened = await reviewer.get(f"{url}/files/{attachment_id}/redact?lang=en", headers=HTML)
    assert "The boxes of the current redacted copy are loaded" in reopened.text
    assert [reopened_value(reopened.text, 0, name) for name in ("x", "y", "width", "height")] == [
        "10",
        "10",
        "50",
        "20",
    ]
    replaced = await post_form(
        reviewer,
        f"{url}/files/{attachment_id}/redact?lang=en",
        {
            "do": "create",
            "box-0-page": "1",
            "box-0-x": "10",
            "box-0-y": "10",
            "box-0-width": "50",
            "box-0-height": "20",
            "box-0-remove": "1",
            "box-1-page": "1",
            "box-1-x": "5",
            "box-1-y": "5",
            "box-1-width": "90",
            "box-1-height": "30",
        },
    )
    assert replaced.status_code == 201 and "Redacted copy created" in replaced.text
    again = await reviewer.get(f"{url}/files/{attachment_id}/redact?lang=en", headers=HTML)
    assert [reopened_value(again.text, 0, name) for name in ("x", "y", "width", "height")] == [
        "5",
        "5",
        "90",
        "30",
    ]
    assert reopened_value(again.text, 1, "x") == ""
    sha = re.search(r'<code class="rendition-sha256">([0-9a-f]{64})</code>', replaced.text).group(1)

    fields["public_summary"] = "Ugovor je dobio brat gradonačelnika."
    saved = await post_form(reviewer, url + "/publication?lang=en", fields)
    text = visible_text(saved.text)
    # The copy is read for names in the background: the page says so, and how far it got.
    assert "being read for protected names" in text and "of 1 pages read" in text
    assert "Wait until ugovor.pdf has been read for protected names." in text
    assert "Reload the page to see the result." in text
    await files_read(reviewer, case_id)
    reloaded = await reviewer.get(url + "/publication?lang=en", headers=HTML)
    text = visible_text(reloaded.text)
    assert "No protected name was found" in text and "The draft is complete" in text

    await post_form(reviewer, url + "/transitions", {"action": "verify"})
    preview = await editor.get(url + "/publication/preview?lang=en", headers=HTML)
    assert preview.status_code == 200 and "Tender za školu" in preview.text and sha in preview.text
    assert "Approve for publication" in preview.text
    approved = await post_form(editor, url + "/transitions", {"action": "approve", "return_to": "preview"})
    assert approved.status_code == 200 and "/publication/preview" in str(approved.url)
    published = await post_en(
        editor, url + "/transitions?lang=en", {"action": "publish", "return_to": "preview"}
    )
    assert published.status_code == 200 and "Propose retracting the publication" in published.text
    # The step is confirmed, with the public page; the preview is now what the public reads.
    text = visible_text(published.text)
    assert "Published: the public can read it now. The public page of IN-" in text
    assert re.search(r'href="/cases/IN-\d{4}-\d{4}"', published.text)
    assert "exactly as the public reads it now: revision 1" in text and "revision 2" not in text
    refused = await post_form(
        editor, url + "/transitions?lang=en", {"action": "correct", "reason": "", "return_to": "preview"}
    )
    assert refused.status_code == 422 and "That step was not taken" in refused.text
    assert (await client.get("/api/v1/public/cases")).json()["total"] == 1

    # A retraction: one editor proposes it (ticking the box that says what it does: without it,
    # nothing happens), the page says it waits for another, who confirms it.
    unticked = await post_form(
        editor,
        url + "/transitions?lang=en",
        {"action": "retract", "reason": "Izvor je povukao izjavu.", "return_to": "preview"},
    )
    assert unticked.status_code == 422 and "Tick the box to confirm what this does." in visible_text(
        unticked.text
    )
    proposed = await post_en(
        editor,
        url + "/transitions?lang=en",
        {"action": "retract", "reason": "Izvor je povukao izjavu.", "return_to": "preview", "confirm": "1"},
    )
    text = visible_text(proposed.text)
    assert "Retracting the publication was proposed on" in text and "Izvor je povukao izjavu." in text
    assert "Confirm the retraction" not in text  # not by the editor who proposed it
    second = await accounts.as_role("editor")
    preview = await second.get(url + "/publication/preview?lang=en", headers=HTML)
    assert "Confirm the retraction" in visible_text(preview.text)
    confirmed = await post_en(
        second,
        url + "/transitions?lang=en",
        {"action": "confirm_retraction", "return_to": "preview", "confirm": "1"},
    )
    assert confirmed.status_code == 200 and "Retraction proposed" not in visible_text(confirmed.text)
    shown = (await client.get("/api/v1/public/cases")).json()["items"][0]
    assert shown["status"] == "retracted"


async def test_a_member_cannot_open_the_publication_pages(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    member = await accounts.as_role("member")
    case_id = await submitted_case(member)
    for suffix in ("/publication", "/publication/preview"):
        refused = await member.get(f"/app/cases/{case_id}{suffix}", headers=HTML)
        assert refused.status_code == 403 and "<html" in refused.text


def test_case_fields_still_name_a_protected_actor() -> None:
    assert ("actor-0-protect", "1") in CASE_FIELDS


def test_the_workflow_refusals_reach_the_pages_in_their_language() -> None:
    import uuid

    from integrity.cases import workflow
    from integrity.security.guards import Principal
    from integrity.security.roles import EDITOR
    from integrity.web import labels

    editor = Principal(
        id=uuid.uuid4(),
        email="editor@example.org",
        display_name="Urednica",
        profession="journalist",
        role=EDITOR,
        totp_enabled=True,
        via="session",
        credential_id=uuid.uuid4(),
        filer_tag="f" * 64,
    )
    row = {"submitter_tag": editor.filer_tag, "verified_by": editor.id, "status": "verified"}
    facts = workflow.CaseFacts(conflicted=frozenset({editor.id}), publication_problem="files: 1 undecided")
    facts = dataclasses.replace(facts, draft_changed_by=editor.id, proposal=("correction", editor.id))
    rules = (
        workflow.not_own_case,
        workflow.no_conflict,
        workflow.four_eyes,
        workflow.draft_complete,
        workflow.not_last_draft_editor,
        workflow.confirms_correction,
        workflow.confirms_retraction,
    )
    for rule in rules:
        refusal = rule(editor, row, facts)
        assert refusal is not None and refusal.code in labels.MESSAGES_BY_CODE, rule
        assert labels.translate_problem("sr-Latn", refusal) != labels.translate_problem("en", refusal)


@pytest.mark.parametrize("lang", ["sr-Latn", "sr-Cyrl", "en"])
async def test_the_new_pages_render_in_every_language(
    client: AsyncTestClient[Litestar], app: Litestar, accounts: AccountFactory, lang: str
) -> None:
    from tests.publication.factories import Publisher

    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    case_id = await submitted_case(member, files=(("ugovor.pdf", samples.pdf("Ugovor")),))
    url = f"/app/cases/{case_id}"
    await post_form(reviewer, url + "/transitions", {"action": "start_review"})
    await post_form(reviewer, url + "/transitions", {"action": "request_info", "reason": "Pošaljite ugovor."})
    attachment_id = file_id_of(await reviewer.get(url, headers=HTML))
    published = await Publisher(app).publish(
        shared_actors=[("Opština Jezik", "institution")], files=[samples.png()]
    )
    anonymous = accounts.anonymous()
    pages = [
        (reviewer, "/app/queue"),
        (reviewer, url),
        (member, url),
        (reviewer, url + "/publication"),
        (reviewer, url + "/publication/preview"),
        (reviewer, f"{url}/files/{attachment_id}/redact"),
        (anonymous, "/"),
        (anonymous, "/?q=opstina&year=2025"),
        (anonymous, f"/cases/{published.reference}"),
        (anonymous, f"/actors/{published.actor_ids['Opština Jezik']}"),
        (anonymous, "/stats"),
        (anonymous, "/about"),
        (anonymous, "/verify"),
        (anonymous, f"/verify?sha256={'0' * 64}"),
    ]
    english = serbian_msgids() if lang != "en" else []
    for caller, page_url in pages:
        separator = "&" if "?" in page_url else "?"
        response = await caller.get(f"{page_url}{separator}lang={lang}", headers=HTML)
        assert response.status_code == 200, (page_url, response.status_code)
        assert html_lang(response) == lang, page_url
        text = visible_text(response.text)
        left = [msgid for msgid in english if msgid in text]
        assert not left, f"{page_url} in {lang} still says: {left}"
        if lang == "sr-Cyrl":
            assert "Slučajevi" not in text and "Sledeći koraci" not in text


async def test_the_queue_shows_what_waits_for_me_sorted_with_waiting_time(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    editor = await accounts.as_role("editor")
    first = await submitted_case(member)
    second = await submitted_case(member)
    await post_form(reviewer, f"/app/cases/{first}/transitions", {"action": "start_review"})
    await post_form(reviewer, f"/app/cases/{first}/transitions", {"action": "verify"})

    page = await editor.get("/app/queue?waiting=1&lang=en", headers=HTML)
    text = visible_text(page.text)
    assert page.status_code == 200 and "Waiting for me (2)" in text
    assert "to approve" in text and "to triage" in text and "Waiting" in text
    assert f"/app/cases/{first}" in page.text and f"/app/cases/{second}" in page.text
    # The reviewer who verified it has nothing to approve; the queue can be sorted.
    theirs = visible_text((await reviewer.get("/app/queue?waiting=1&lang=en", headers=HTML)).text)
    assert "to approve" not in theirs and "Waiting for me (1)" in theirs
    oldest = (await editor.get("/app/queue?sort=oldest&lang=en", headers=HTML)).text
    assert oldest.index(f"/app/cases/{first}") < oldest.index(f"/app/cases/{second}")
    newest = (await editor.get("/app/queue?sort=newest&lang=en", headers=HTML)).text
    assert newest.index(f"/app/cases/{second}") < newest.index(f"/app/cases/{first}")


async def test_the_member_answers_with_text_and_files_and_gets_a_receipt_that_verifies(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    import hashlib
    import json

    from tests.web.helpers import NO_HEADER, multipart_form

    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    case_id = await submitted_case(member)
    url = f"/app/cases/{case_id}"
    await post_form(reviewer, url + "/transitions", {"action": "start_review"})
    await post_form(reviewer, url + "/transitions", {"action": "request_info", "reason": "Pošaljite ugovor."})

    page = await member.get(url + "?lang=en", headers=HTML)
    assert 'action="/app/cases/' in page.text and "/answer" in page.text
    assert "Send the information to the review team" not in visible_text(page.text)  # one step, not two

    async def answer(text: str, files: list[tuple[str, bytes]]) -> httpx.Response:
        body, content_type = multipart_form([("answer", text)], files, csrf=member.csrf_token)
        response = await member.post(
            url + "/answer?lang=en",
            content=body,
            headers={"content-type": content_type, **HTML, **NO_HEADER},
            follow_redirects=False,
        )
        if response.status_code != 303:
            return response
        target = response.headers["location"].partition("#")[0]
        return await member.get(target + "&lang=en", headers=HTML)

    # An empty answer is refused, and nothing is stored or sent.
    empty = await answer("   ", [("ugovor.pdf", samples.pdf("Ugovor"))])
    assert empty.status_code == 422 and "Write your answer" in visible_text(empty.text)
    view = (await member.get(f"/api/v1/cases/{case_id}")).json()
    assert view["status"] == "needs_info" and len(view["attachments"]) == 1
    # A refused file keeps the text, and sends nothing.
    refused = await answer("Ugovor je u prilogu.", [("program.exe", b"MZ" + bytes(64))])
    assert refused.status_code == 415 and "Ugovor je u prilogu." in refused.text
    # The browser did not keep the chosen file: the page says to choose it again.
    assert "The files were not kept: choose them again." in visible_text(refused.text)
    assert (await member.get(f"/api/v1/cases/{case_id}")).json()["status"] == "needs_info"

    contract = samples.pdf("Ugovor o nabavci")
    sent = await answer("Ugovor je u prilogu.", [("ugovor.pdf", contract)])
    assert sent.status_code == 200 and str(sent.url).split("?")[0].endswith(f"{case_id}/receipt")
    text = visible_text(sent.text)
    assert "Your answer was sent to the review team" in text and "ugovor.pdf" in text
    assert (await member.get(f"/api/v1/cases/{case_id}")).json()["status"] == "in_review"

    receipts = (await member.get(f"/api/v1/cases/{case_id}/receipts")).json()
    assert len(receipts) == 2
    supplement = json.loads(receipts[1]["payload"])
    assert supplement["kind"] == "supplement"
    assert [f["sha256"] for f in supplement["files"]] == [hashlib.sha256(contract).hexdigest()]
    assert supplement["answers"] == [{"sha256": hashlib.sha256(b"Ugovor je u prilogu.").hexdigest()}]
    # The downloaded receipt verifies on /verify like the first one.
    download = await member.get(url + "/receipts/1")
    assert download.status_code == 200 and "answer-1" in download.headers["content-disposition"]
    await client.get("/verify")
    token = client.cookies.get("csrftoken")
    checked = await client.post(
        "/verify/receipt?lang=en",
        data={"_csrf_token": token, "receipt": download.text},
        headers={**HTML, **NO_HEADER, "cookie": f"csrftoken={token}"},
    )
    assert checked.status_code == 200 and "The signature is valid" in checked.text
    assert (await member.get(url + "/receipts/2")).status_code == 404
