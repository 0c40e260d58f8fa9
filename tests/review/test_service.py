"""The review workflow through the API: the whole path, and one test for each rule."""

from __future__ import annotations

from typing import Any

import pytest

from integrity.cases.tables import Attachment
from integrity.custody.tables import CustodyEntry
from tests import samples
from tests.cases.test_intake import file_case, upload
from tests.factories import AccountFactory, Caller


async def act(caller: Caller, case_id: str, action: str, reason: str | None = None) -> Any:
    body: dict[str, Any] = {"action": action}
    if reason is not None:
        body["reason"] = reason
    return await caller.post(f"/api/v1/cases/{case_id}/transitions", json=body)


async def withhold_everything(caller: Caller, case_id: str) -> None:
    """A complete publication draft that publishes no file, so approval can be tested."""
    view = (await caller.get(f"/api/v1/cases/{case_id}")).json()
    response = await caller.put(
        f"/api/v1/cases/{case_id}/publication",
        json={
            "public_title": "Javni naslov",
            "public_summary": "Kratak javni opis.",
            "public_body": "Javni tekst slučaja.",
            "attachments": [{"attachment_id": a["id"], "decision": "withhold"} for a in view["attachments"]],
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["missing"] == []


async def submitted(
    accounts: AccountFactory, submitter: Caller | None = None
) -> tuple[Caller, dict[str, Any]]:
    member = submitter or await accounts.as_role("member")
    case = await file_case(member)
    await upload(member, case["id"], [("izvestaj.txt", samples.text("original"))])
    response = await member.post(f"/api/v1/cases/{case['id']}/submit")
    assert response.status_code == 200, response.text
    return member, response.json()["case"]


async def test_the_whole_path_from_submission_to_approval(accounts: AccountFactory) -> None:
    member, case = await submitted(accounts)
    reviewer = await accounts.as_role("reviewer")
    editor = await accounts.as_role("editor")
    case_id = case["id"]

    started = await act(reviewer, case_id, "start_review")
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "in_review"
    assert started.json()["assigned_reviewer_id"] == str(reviewer.member.id)

    asked = await reviewer.post(
        f"/api/v1/cases/{case_id}/comments", json={"kind": "request", "body": "Pošaljite ugovor."}
    )
    assert asked.status_code == 201, asked.text
    view = (await member.get(f"/api/v1/cases/{case_id}")).json()
    assert view["status"] == "needs_info"
    assert [c["body"] for c in view["comments"]] == ["Pošaljite ugovor."]
    assert view["comments"][0]["author_name"] is None  # the team stays unnamed to the submitter
    assert "provide_info" in view["actions"] and "add_attachments" in view["actions"]

    answer = await member.post(
        f"/api/v1/cases/{case_id}/comments", json={"kind": "answer", "body": "U prilogu."}
    )
    assert answer.status_code == 201, answer.text
    added = await upload(member, case_id, [("ugovor.pdf", samples.pdf("Ugovor"))])
    assert added.status_code == 201, added.text
    provided = await act(member, case_id, "provide_info")
    assert provided.status_code == 200, provided.text
    assert provided.json()["status"] == "in_review"
    assert await Attachment.count().where(Attachment.frozen == False) == 0  # noqa: E712
    # Answers are filed material now: frozen like the originals.
    late = await member.delete(f"/api/v1/cases/{case_id}/attachments/{added.json()[0]['id']}")
    assert late.status_code == 409

    verified = await act(reviewer, case_id, "verify")
    assert verified.status_code == 200 and verified.json()["status"] == "verified"
    assert "approve" in (await editor.get(f"/api/v1/cases/{case_id}")).json()["actions"]
    incomplete = await act(editor, case_id, "approve")
    assert incomplete.status_code == 409 and "publication draft" in incomplete.json()["detail"]
    await withhold_everything(reviewer, case_id)
    approved = await act(editor, case_id, "approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"

    history = [(t["action"], t["to_status"]) for t in approved.json()["transitions"]]
    assert history == [
        ("submit", "submitted"),
        ("start_review", "in_review"),
        ("request_info", "needs_info"),
        ("provide_info", "in_review"),
        ("verify", "verified"),
        ("approve", "approved"),
    ]
    actions = [
        row["action"] for row in await CustodyEntry.select(CustodyEntry.action).order_by(CustodyEntry.seq)
    ]
    for expected in (
        "case.start_review",
        "case.request_info",
        "comment.added",
        "case.provide_info",
        "case.verify",
        "case.approve",
    ):
        assert expected in actions


async def test_nobody_reviews_their_own_case(accounts: AccountFactory) -> None:
    reviewer = await accounts.as_role("reviewer")
    _, case = await submitted(accounts, submitter=reviewer)
    response = await act(reviewer, case["id"], "start_review")
    assert response.status_code == 409
    assert "filed" in response.json()["detail"]
    assert "start_review" not in (await reviewer.get(f"/api/v1/cases/{case['id']}")).json()["actions"]


async def test_members_may_never_take_review_actions(accounts: AccountFactory) -> None:
    member, case = await submitted(accounts)
    for action in ("start_review", "verify", "approve", "reject", "reopen"):
        response = await act(member, case["id"], action, reason="x")
        assert response.status_code == 403, (action, response.text)


async def test_a_declared_conflict_stops_review_and_unassigns(accounts: AccountFactory) -> None:
    _, case = await submitted(accounts)
    reviewer = await accounts.as_role("reviewer")
    assert (await act(reviewer, case["id"], "start_review")).status_code == 200
    declared = await reviewer.post(f"/api/v1/cases/{case['id']}/conflicts")
    assert declared.status_code == 201
    # Need-to-know: from now on the case is out of their sight, like a case they may not see.
    url = f"/api/v1/cases/{case['id']}"
    file_id = (await editor_view(accounts, case["id"]))["attachments"][0]["id"]
    for path in (url, f"{url}/attachments/{file_id}/content", f"{url}/receipt", f"{url}/publication"):
        answer = await reviewer.get(path)
        assert answer.status_code == 404 and answer.json()["code"] == "case_not_found", path
    noted = await reviewer.post(f"{url}/comments", json={"kind": "note", "body": "Interna beleška."})
    assert noted.status_code == 404
    assert (await act(reviewer, case["id"], "verify")).status_code == 404
    assert (await reviewer.post(f"{url}/conflicts")).status_code == 404
    assert case["id"] not in {c["id"] for c in (await reviewer.get("/api/v1/cases")).json()["items"]}
    # It was unassigned; the rest of the team still works on it.
    assert (await editor_view(accounts, case["id"]))["assigned_reviewer_id"] is None
    member = await accounts.as_role("member")
    assert (await member.post(f"{url}/conflicts")).status_code == 404


async def editor_view(accounts: AccountFactory, case_id: str) -> Any:
    editor = await accounts.as_role("editor")
    answer = await editor.get(f"/api/v1/cases/{case_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_an_editor_records_another_members_conflict_and_only_an_editor_may(
    accounts: AccountFactory,
) -> None:
    _, case = await submitted(accounts)
    url = f"/api/v1/cases/{case['id']}"
    reviewer = await accounts.as_role("reviewer")
    other = await accounts.as_role("reviewer")
    editor = await accounts.as_role("editor")
    refused = await reviewer.post(f"{url}/conflicts", json={"member_id": str(other.member.id)})
    assert refused.status_code == 403 and refused.json()["code"] == "conflict_editor_only"
    member = await accounts.as_role("member")
    not_team = await editor.post(f"{url}/conflicts", json={"member_id": str(member.member.id)})
    assert not_team.status_code == 422 and not_team.json()["code"] == "conflict_not_team"
    assert (await other.get(url)).status_code == 200
    recorded = await editor.post(f"{url}/conflicts", json={"member_id": str(other.member.id)})
    assert recorded.status_code == 201 and recorded.json()["member_id"] == str(other.member.id)
    assert (await other.get(url)).status_code == 404
    assert (await editor.get(url)).status_code == 200 and (await reviewer.get(url)).status_code == 200
    entry = await CustodyEntry.select().where(CustodyEntry.action == "conflict.recorded").first()
    assert entry is not None and str(other.member.id) not in entry["details"]
    again = await editor.post(f"{url}/conflicts", json={"member_id": str(other.member.id)})
    assert again.status_code == 409


async def test_approval_needs_a_second_editor(accounts: AccountFactory) -> None:
    _, case = await submitted(accounts)
    editor = await accounts.as_role("editor")
    reviewer = await accounts.as_role("reviewer")
    await act(editor, case["id"], "start_review")
    await act(editor, case["id"], "verify")
    await withhold_everything(editor, case["id"])
    assert (await act(reviewer, case["id"], "approve")).status_code == 403
    same = await act(editor, case["id"], "approve")
    assert same.status_code == 409 and "four eyes" in same.json()["detail"]
    other = await accounts.as_role("editor")
    assert (await act(other, case["id"], "approve")).status_code == 200


@pytest.mark.parametrize("action", ["reject", "send_back"])
async def test_reject_and_send_back_need_a_reason(accounts: AccountFactory, action: str) -> None:
    _, case = await submitted(accounts)
    reviewer = await accounts.as_role("reviewer")
    editor = await accounts.as_role("editor")
    await act(reviewer, case["id"], "start_review")
    if action == "send_back":
        await act(reviewer, case["id"], "verify")
    caller = editor if action == "send_back" else reviewer
    missing = await act(caller, case["id"], action)
    assert missing.status_code == 422 and "reason" in missing.json()["detail"]
    done = await act(caller, case["id"], action, reason="Nedostaju dokazi.")
    assert done.status_code == 200
    assert done.json()["transitions"][-1]["reason"] == "Nedostaju dokazi."


async def test_send_back_reasons_stay_inside_the_team(accounts: AccountFactory) -> None:
    member, case = await submitted(accounts)
    reviewer = await accounts.as_role("reviewer")
    editor = await accounts.as_role("editor")
    await act(reviewer, case["id"], "start_review")
    await act(reviewer, case["id"], "verify")
    await act(editor, case["id"], "send_back", reason="Interna primedba")
    seen = (await member.get(f"/api/v1/cases/{case['id']}")).json()
    assert seen["transitions"][-1]["action"] == "send_back" and seen["transitions"][-1]["reason"] is None
    assert "Interna primedba" not in str(seen)


async def test_only_the_submitter_withdraws_and_only_before_verification(accounts: AccountFactory) -> None:
    member, case = await submitted(accounts)
    reviewer = await accounts.as_role("reviewer")
    assert (await act(reviewer, case["id"], "withdraw")).status_code == 403
    await act(reviewer, case["id"], "start_review")
    await act(reviewer, case["id"], "verify")
    assert (await act(member, case["id"], "withdraw")).status_code == 409
    _, fresh = await submitted(accounts, submitter=member)
    withdrawn = await act(member, fresh["id"], "withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


async def test_reopen_is_an_editors(accounts: AccountFactory) -> None:
    _, case = await submitted(accounts)
    reviewer = await accounts.as_role("reviewer")
    editor = await accounts.as_role("editor")
    assert (await act(reviewer, case["id"], "reject", reason="Van nadležnosti")).status_code == 200
    assert (await act(reviewer, case["id"], "reopen")).status_code == 403
    reopened = await act(editor, case["id"], "reopen")
    assert reopened.status_code == 200 and reopened.json()["status"] == "in_review"


async def test_actions_outside_the_table_are_refused(accounts: AccountFactory) -> None:
    member, case = await submitted(accounts)
    editor = await accounts.as_role("editor")
    assert (await act(editor, case["id"], "publish")).status_code == 409
    assert (await act(editor, case["id"], "verify")).status_code == 409  # not in review yet
    unknown = await act(editor, case["id"], "teleport")
    assert unknown.status_code == 422
    assert (await act(member, case["id"], "submit")).status_code == 409


async def test_notes_are_for_the_team_and_answers_for_the_submitter(accounts: AccountFactory) -> None:
    member, case = await submitted(accounts)
    reviewer = await accounts.as_role("reviewer")
    note = await reviewer.post(
        f"/api/v1/cases/{case['id']}/comments", json={"kind": "note", "body": "Proveriti izvor."}
    )
    assert note.status_code == 201
    assert "Proveriti izvor." not in str((await member.get(f"/api/v1/cases/{case['id']}")).json())
    team_view = (await reviewer.get(f"/api/v1/cases/{case['id']}")).json()
    assert team_view["comments"][0]["body"] == "Proveriti izvor."
    assert team_view["comments"][0]["author_name"] == reviewer.member.display_name
    # The submitter writes no notes, and answers only when asked.
    assert (
        await member.post(f"/api/v1/cases/{case['id']}/comments", json={"kind": "note", "body": "x"})
    ).status_code == 403
    early = await member.post(f"/api/v1/cases/{case['id']}/comments", json={"kind": "answer", "body": "x"})
    assert early.status_code == 409
    assert (
        await reviewer.post(f"/api/v1/cases/{case['id']}/comments", json={"kind": "answer", "body": "x"})
    ).status_code == 403
    empty = await reviewer.post(f"/api/v1/cases/{case['id']}/comments", json={"kind": "note", "body": "  "})
    assert empty.status_code == 422


async def test_notifications_tell_each_person_what_needs_them(accounts: AccountFactory) -> None:
    reviewer = await accounts.as_role("reviewer")
    editor = await accounts.as_role("editor")
    member, case = await submitted(accounts)
    inbox = (await reviewer.get("/api/v1/me/notifications")).json()
    assert [(n["kind"], n["reference"]) for n in inbox["items"]] == [("new_submission", case["reference"])]
    assert inbox["unread"] == 1 and case["title"] not in str(inbox)

    await act(reviewer, case["id"], "start_review")
    await act(reviewer, case["id"], "request_info", reason="Treba nam još.")
    mine = (await member.get("/api/v1/me/notifications")).json()
    assert mine["items"][0]["kind"] == "info_requested"
    await member.post(f"/api/v1/me/notifications/{mine['items'][0]['id']}/read")
    assert (await member.get("/api/v1/me/notifications")).json()["unread"] == 0
    assert (await reviewer.post(f"/api/v1/me/notifications/{mine['items'][0]['id']}/read")).status_code == 404

    await member.post(f"/api/v1/cases/{case['id']}/comments", json={"kind": "answer", "body": "Evo."})
    await act(member, case["id"], "provide_info")
    assert (await reviewer.get("/api/v1/me/notifications", params={"unread": True})).json()["items"][0][
        "kind"
    ] == "info_provided"
    await act(reviewer, case["id"], "verify")
    assert (await editor.get("/api/v1/me/notifications")).json()["items"][0]["kind"] == "ready_to_approve"


async def test_editors_assign_cases(accounts: AccountFactory) -> None:
    member, case = await submitted(accounts)
    reviewer = await accounts.as_role("reviewer")
    editor = await accounts.as_role("editor")
    other = await accounts.as_role("reviewer")
    assigned = await editor.post(
        f"/api/v1/cases/{case['id']}/assignment", json={"reviewer_id": str(reviewer.member.id)}
    )
    assert assigned.status_code == 200 and assigned.json()["assigned_reviewer_id"] == str(reviewer.member.id)
    assert (await reviewer.get("/api/v1/cases", params={"assigned_to_me": True})).json()["total"] == 1
    assert (await other.get("/api/v1/cases", params={"assigned_to_me": True})).json()["total"] == 0
    refused = await reviewer.post(
        f"/api/v1/cases/{case['id']}/assignment", json={"reviewer_id": str(other.member.id)}
    )
    assert refused.status_code == 403
    to_member = await editor.post(
        f"/api/v1/cases/{case['id']}/assignment", json={"reviewer_id": str(member.member.id)}
    )
    assert to_member.status_code == 422
    await other.post(f"/api/v1/cases/{case['id']}/conflicts")
    conflicted = await editor.post(
        f"/api/v1/cases/{case['id']}/assignment", json={"reviewer_id": str(other.member.id)}
    )
    assert conflicted.status_code == 409


async def test_the_submitter_cannot_be_assigned_their_own_case(accounts: AccountFactory) -> None:
    filer = await accounts.as_role("reviewer")
    _, case = await submitted(accounts, filer)
    editor = await accounts.as_role("editor")
    refused = await editor.post(
        f"/api/v1/cases/{case['id']}/assignment", json={"reviewer_id": str(filer.member.id)}
    )
    assert refused.status_code == 409 and refused.json()["code"] == "assignee_is_submitter"


async def test_each_team_member_sees_what_waits_for_them_and_lists_sort(accounts: AccountFactory) -> None:
    reviewer = await accounts.as_role("reviewer")
    colleague = await accounts.as_role("reviewer")
    editor = await accounts.as_role("editor")
    _, fresh = await submitted(accounts)
    _, mine = await submitted(accounts)
    _, verified = await submitted(accounts)
    assert (await act(reviewer, mine["id"], "start_review")).status_code == 200
    assert (await act(colleague, verified["id"], "start_review")).status_code == 200
    assert (await act(colleague, verified["id"], "verify")).status_code == 200

    async def waiting(caller: Caller) -> dict[str, str]:
        page = (await caller.get("/api/v1/cases", params={"waiting_for_me": "true"})).json()
        return {item["id"]: item["waiting"] for item in page["items"]}

    assert await waiting(reviewer) == {fresh["id"]: "triage", mine["id"]: "review"}
    assert await waiting(colleague) == {fresh["id"]: "triage"}
    assert await waiting(editor) == {fresh["id"]: "triage", verified["id"]: "approve"}
    # A conflict of interest takes a case off the list too.
    assert (await editor.post(f"/api/v1/cases/{verified['id']}/conflicts")).status_code == 201
    assert await waiting(editor) == {fresh["id"]: "triage"}
    member = await accounts.as_role("member")
    assert (await member.get("/api/v1/cases", params={"waiting_for_me": "true"})).json()["items"] == []

    # Sorting: filed order either way; by the last change, the case just verified comes first.
    def order(caller_page: Any) -> list[str]:
        return [item["id"] for item in caller_page.json()["items"]]

    newest = order(await reviewer.get("/api/v1/cases"))
    oldest = order(await reviewer.get("/api/v1/cases", params={"sort": "oldest"}))
    assert newest == [verified["id"], mine["id"], fresh["id"]] and oldest == newest[::-1]
    changed = order(await reviewer.get("/api/v1/cases", params={"sort": "changed"}))
    assert changed[0] == verified["id"]
    longest = order(await reviewer.get("/api/v1/cases", params={"sort": "waiting"}))
    assert longest[-1] == verified["id"]
    bad = await reviewer.get("/api/v1/cases", params={"sort": "sideways"})
    assert bad.status_code in {400, 422} and bad.json()["code"]


async def test_the_information_is_not_sent_back_without_an_answer(accounts: AccountFactory) -> None:
    member, case = await submitted(accounts)
    reviewer = await accounts.as_role("reviewer")
    assert (await act(reviewer, case["id"], "start_review")).status_code == 200
    asked = await reviewer.post(
        f"/api/v1/cases/{case['id']}/comments", json={"kind": "request", "body": "Pošaljite ugovor."}
    )
    assert asked.status_code == 201
    empty = await act(member, case["id"], "provide_info")
    assert empty.status_code == 409 and empty.json()["code"] == "answer_missing"
    assert (await member.get(f"/api/v1/cases/{case['id']}")).json()["status"] == "needs_info"
