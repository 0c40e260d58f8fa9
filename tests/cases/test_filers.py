"""A database dump does not say who filed which case (``integrity.cases.filers``), while "my cases",
access checks, answers and notifications keep working for the member who filed it."""

from __future__ import annotations

from typing import Any

from integrity.cases import filers
from integrity.cases.tables import Attachment, Case, Comment, Transition
from integrity.context import provide_service_context
from integrity.notifications.tables import Notification
from integrity.tables import all_tables
from tests import samples
from tests.cases.test_intake import file_case, upload
from tests.factories import AccountFactory, Caller
from tests.review.test_service import act


async def rows_of_every_table() -> list[tuple[str, str]]:
    """Every row of every table, as a dump would show it: (table, the row's values)."""
    rows = []
    for table in all_tables():
        for row in await table.select():
            rows.append((table._meta.tablename, " ".join(repr(value) for value in row.values())))
    return rows


async def case_with_a_whole_exchange(accounts: AccountFactory) -> tuple[Caller, Caller, dict[str, Any]]:
    """A member files a case with a file; the reviewer asks for more; the member answers with a
    note and a file and sends it back: every kind of row a submitter leaves behind."""
    member = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    case = await file_case(member)
    await upload(member, case["id"], [("izvestaj.txt", samples.text("original"))])
    assert (await member.post(f"/api/v1/cases/{case['id']}/submit")).status_code == 200
    assert (await act(reviewer, case["id"], "start_review")).status_code == 200
    asked = await reviewer.post(
        f"/api/v1/cases/{case['id']}/comments", json={"kind": "request", "body": "Pošaljite ugovor."}
    )
    assert asked.status_code == 201, asked.text
    answer = await member.post(
        f"/api/v1/cases/{case['id']}/comments", json={"kind": "answer", "body": "U prilogu."}
    )
    assert answer.status_code == 201, answer.text
    assert (await upload(member, case["id"], [("ugovor.pdf", samples.pdf("Ugovor"))])).status_code == 201
    assert (await act(member, case["id"], "provide_info")).status_code == 200
    return member, reviewer, case


async def test_a_database_dump_does_not_say_who_filed_which_case(accounts: AccountFactory) -> None:
    member, reviewer, case = await case_with_a_whole_exchange(accounts)
    view = (await reviewer.get(f"/api/v1/cases/{case['id']}")).json()
    # What names the case in the dump: its id, its reference, its files, its comments.
    case_marks = {
        case["id"],
        case["reference"],
        *(a["id"] for a in view["attachments"]),
        *(c["id"] for c in view["comments"]),
    }
    who = {str(member.member.id), member.member.email, member.member.display_name}
    rows = await rows_of_every_table()
    naming_the_case = [(table, row) for table, row in rows if any(mark in row for mark in case_marks)]
    assert {table for table, _ in naming_the_case} >= {
        "case_file",
        "attachment",
        "case_comment",
        "case_transition",
        "notification",
    }
    for table, row in naming_the_case:
        for mark in who:
            assert mark not in row, f"a {table} row names the case and its submitter"
    # The member's own rows (their account, their session) name no case.
    for table, row in rows:
        if str(member.member.id) in row:
            assert not any(mark in row for mark in case_marks), table

    # And the running platform still knows: "my cases", the answer and the steps as the member's
    # own, the notification, the team's view of who filed it.
    mine = (await member.get("/api/v1/cases")).json()
    assert [c["id"] for c in mine["items"]] == [case["id"]]
    shown = (await member.get(f"/api/v1/cases/{case['id']}")).json()
    answer = next(c for c in shown["comments"] if c["kind"] == "answer")
    assert answer["by_me"] and answer["from_submitter"]
    assert [t["by_me"] for t in shown["transitions"]] == [True, False, False, True]
    notices = (await member.get("/api/v1/me/notifications")).json()
    assert [(n["kind"], n["reference"]) for n in notices["items"]] == [("info_requested", case["reference"])]
    marked = await member.post(f"/api/v1/me/notifications/{notices['items'][0]['id']}/read")
    assert marked.status_code in {200, 204}, marked.text
    assert (await member.get("/api/v1/me/notifications")).json()["unread"] == 0
    assert view["submitter"]["id"] == str(member.member.id)
    team_answer = next(c for c in view["comments"] if c["kind"] == "answer")
    assert team_answer["author_name"] == member.member.display_name and not team_answer["by_me"]
    # Another member with the same role is no submitter of it.
    other = await accounts.as_role("member")
    assert (await other.get(f"/api/v1/cases/{case['id']}")).status_code == 404
    assert (await other.get("/api/v1/me/notifications")).json()["items"] == []


async def test_cases_filed_before_are_moved_over_at_start(accounts: AccountFactory) -> None:
    member, reviewer, case = await case_with_a_whole_exchange(accounts)
    case_id = case["id"]
    # As an older platform stored it: the member's id in clear, no tag, no sealed id.
    member_id = member.member.id
    await Case.update(
        {Case.submitter: member_id, Case.submitter_tag: None, Case.submitter_sealed: None}
    ).where(Case.id == case_id)
    await Attachment.update({Attachment.uploader: member_id}).where(Attachment.case == case_id)
    await Comment.update({Comment.author: member_id, Comment.by_submitter: False}).where(
        Comment.by_submitter == True  # noqa: E712
    )
    await Transition.update({Transition.actor: member_id, Transition.by_submitter: False}).where(
        Transition.by_submitter == True  # noqa: E712
    )
    await Notification.update(
        {Notification.member: member_id, Notification.member_tag: None, Notification.member_sealed: None}
    ).where(Notification.member_tag.is_not_null())
    # Without the move, the platform cannot tell the member filed it.
    assert (await member.get(f"/api/v1/cases/{case_id}")).status_code == 404

    ctx = provide_service_context(accounts.app.state)
    assert await filers.backfill(ctx) == 1
    assert await filers.backfill(ctx) == 0
    rows = await rows_of_every_table()
    for table, row in rows:
        if case_id in row or case["reference"] in row:
            assert str(member_id) not in row, table
    shown = (await member.get(f"/api/v1/cases/{case_id}")).json()
    assert next(c for c in shown["comments"] if c["kind"] == "answer")["by_me"]
    assert [t["by_me"] for t in shown["transitions"]] == [True, False, False, True]
    assert len((await member.get("/api/v1/me/notifications")).json()["items"]) == 1
    assert (await reviewer.get(f"/api/v1/cases/{case_id}")).json()["submitter"]["id"] == str(member_id)
