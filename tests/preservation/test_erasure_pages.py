"""The erasure pages without JavaScript: a member asks on their page, the request shows as
waiting; two admins confirm on theirs (the same admin twice is refused); the member's unpublished
case is gone and their session with it."""

from __future__ import annotations

import uuid

from integrity.cases.tables import Case
from tests.cases.test_intake import file_case
from tests.factories import AccountFactory
from tests.web.helpers import HTML, post_form, visible_text


async def test_a_member_asks_on_their_page_and_two_admins_confirm_on_theirs(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    case = await file_case(member)
    home = await member.get("/app/?lang=en", headers=HTML)
    assert 'href="/app/erasure"' in home.text
    page = visible_text((await member.get("/app/erasure?lang=en", headers=HTML)).text)
    assert "every case you filed that was never published is shredded" in page
    asked = await post_form(member, "/app/erasure", {"understood": "1"}, follow=False)
    assert asked.status_code == 303
    waiting = visible_text((await member.get(asked.headers["location"] + "&lang=en", headers=HTML)).text)
    assert "Your erasure is asked for" in waiting and "Your request waits for two admins." in waiting
    again = await post_form(member, "/app/erasure?lang=en", {"understood": "1"}, follow=False)
    assert again.status_code == 409 and "already asked for" in visible_text(again.text)

    first, second = await accounts.as_role("admin"), await accounts.as_role("admin")
    listed = await first.get("/app/admin/erasures?lang=en", headers=HTML)
    action = listed.text.split('action="/app/admin/erasures/')[1].split('"')[0]
    action = "/app/admin/erasures/" + action
    assert action.startswith("/app/admin/erasures/") and action.endswith("/confirm")
    confirmed = await post_form(first, action, {}, follow=False)
    shown = visible_text((await first.get(confirmed.headers["location"] + "&lang=en", headers=HTML)).text)
    assert "Confirmed once: waiting for a second admin" in shown
    twice = await post_form(first, action + "?lang=en", {}, follow=False)
    assert twice.status_code == 409 and "Another admin confirms this erasure." in visible_text(twice.text)
    done = await post_form(second, action, {}, follow=False)
    finished = visible_text((await second.get(done.headers["location"] + "&lang=en", headers=HTML)).text)
    assert "The member is erased" in finished and "No member has asked to be forgotten." in finished
    assert not await Case.exists().where(Case.id == uuid.UUID(case["id"]))
    # Their session went with the account: the page asks them to log in again.
    after = await member.get("/app/erasure?lang=en", headers=HTML)
    assert "Your request waits" not in after.text and "Log in" in visible_text(after.text)
