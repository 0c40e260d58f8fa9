"""The notifications page and the unread count every page shows in its header."""

from __future__ import annotations

from tests.factories import AccountFactory
from tests.review.test_service import act, submitted
from tests.web.helpers import HTML, post_form, visible_text


async def test_a_member_sees_the_request_on_every_page_and_on_the_notifications_page(
    accounts: AccountFactory,
) -> None:
    reviewer = await accounts.as_role("reviewer")
    member, case = await submitted(accounts)
    assert (await act(reviewer, case["id"], "start_review")).status_code == 200
    asked = await reviewer.post(
        f"/api/v1/cases/{case['id']}/comments", json={"kind": "request", "body": "Pošaljite ugovor."}
    )
    assert asked.status_code == 201

    home = visible_text((await member.get("/app/?lang=en", headers=HTML)).text)
    assert "Notifications 1 unread" in home
    listed = await member.get("/app/notifications?lang=en", headers=HTML)
    text = visible_text(listed.text)
    assert listed.status_code == 200 and "1 unread" in text
    assert f"The review team asks for more information: {case['reference']}" in text
    assert f'href="/app/cases/{case["id"]}"' in listed.text
    serbian = visible_text((await member.get("/app/notifications?lang=sr-Latn", headers=HTML)).text)
    assert f"Tim za proveru traži još informacija: {case['reference']}" in serbian
    # The reviewer's own list holds the new submission, not the member's request.
    theirs = visible_text((await reviewer.get("/app/notifications?lang=en", headers=HTML)).text)
    assert "New submission to triage" in theirs and "asks for more information" not in theirs

    notice = (await member.get("/api/v1/me/notifications")).json()["items"][0]
    read = await post_form(member, f"/app/notifications/{notice['id']}/read", {})
    assert read.status_code == 200 and (await member.get("/api/v1/me/notifications")).json()["unread"] == 0
    assert "unread" not in visible_text((await member.get("/app/?lang=en", headers=HTML)).text)
    cleared = await post_form(reviewer, "/app/notifications/read", {})
    assert (
        cleared.status_code == 200 and (await reviewer.get("/api/v1/me/notifications")).json()["unread"] == 0
    )
    # Another member cannot mark the member's notification.
    other = await accounts.as_role("member")
    refused = await post_form(other, f"/app/notifications/{notice['id']}/read", {})
    assert refused.status_code == 404
