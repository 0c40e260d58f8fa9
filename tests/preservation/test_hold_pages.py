"""The legal holds page without JavaScript: one editor asks, the same editor cannot confirm,
another does; the release the same way; in Serbian too; reviewers do not get the page."""

from __future__ import annotations

import re
import uuid

from integrity.cases.tables import Case
from integrity.preservation import holds
from tests.factories import AccountFactory, Caller
from tests.publication.test_publishing import act, verified_case
from tests.web.helpers import HTML, post_form, visible_text


async def shown(caller: Caller, response_location: str) -> str:
    return visible_text((await caller.get(response_location.split("#")[0] + "&lang=en", headers=HTML)).text)


async def test_two_editors_place_and_release_a_hold_on_the_page(accounts: AccountFactory) -> None:
    case, reviewer, editor, _ = await verified_case(accounts)
    address = f"/app/cases/{case['id']}/holds"
    assert f'href="{address}"' in (await editor.get(f"/app/cases/{case['id']}", headers=HTML)).text
    assert "The case has never been held." in visible_text(
        (await editor.get(f"{address}?lang=en", headers=HTML)).text
    )
    empty = await post_form(editor, f"{address}?lang=en", {"reason": "  "}, follow=False)
    assert empty.status_code == 422
    asked = await post_form(editor, address, {"reason": "Predmet ide sudu."}, follow=False)
    assert asked.status_code == 303
    text = await shown(editor, asked.headers["location"])
    assert "it holds once another editor confirms it" in text and "Another editor confirms it." in text
    hold_id = re.search(r"#hold-([0-9a-f-]{36})", asked.headers["location"]).group(1)  # type: ignore[union-attr]
    own = await post_form(editor, f"{address}/{hold_id}/confirm?lang=en", {}, follow=False)
    assert own.status_code == 409 and "you asked for it" in visible_text(own.text)

    second = await accounts.as_role("editor")
    confirmed = await post_form(second, f"{address}/{hold_id}/confirm", {}, follow=False)
    assert "Holding" in await shown(second, confirmed.headers["location"])
    assert await holds.is_held(uuid.UUID(case["id"]))
    release = await post_form(second, f"{address}/{hold_id}/release", {}, follow=False)
    assert "its release waits for a second editor" in await shown(second, release.headers["location"])
    lifted = await post_form(editor, f"{address}/{hold_id}/confirm", {}, follow=False)
    assert "Released" in await shown(editor, lifted.headers["location"])
    assert not await holds.is_held(uuid.UUID(case["id"]))
    serbian = visible_text((await editor.get(f"{address}?lang=sr-Latn", headers=HTML)).text)
    assert "Ukinuto" in serbian and "Predmet ide sudu." in serbian
    assert (await reviewer.get(address, headers=HTML)).status_code == 403


async def test_two_editors_shred_a_rejected_case_on_the_page(accounts: AccountFactory) -> None:
    case, reviewer, editor, _ = await verified_case(accounts)
    address = f"/app/cases/{case['id']}/holds"
    # Not offered while the case is open.
    assert "Shred the case before its time" not in (await editor.get(f"{address}?lang=en", headers=HTML)).text
    rejected = await act(reviewer, case["id"], "reject", reason="Van nadležnosti")
    assert rejected.status_code == 200, rejected.text
    page = visible_text((await editor.get(f"{address}?lang=en", headers=HTML)).text)
    assert "Shred the case before its time" in page
    asked = await post_form(
        editor, f"/app/cases/{case['id']}/shredding", {"shred_reason": "Prijavilac traži."}, follow=False
    )
    assert asked.status_code == 303
    text = await shown(editor, asked.headers["location"])
    assert "it is done once another editor confirms it" in text and "Prijavilac traži." in text
    request_id = re.search(r"#shred-([0-9a-f-]{36})", asked.headers["location"]).group(1)  # type: ignore[union-attr]
    confirm = f"/app/cases/{case['id']}/shredding/{request_id}/confirm"
    own = await post_form(editor, confirm + "?lang=en", {}, follow=False)
    assert own.status_code == 409
    second = await accounts.as_role("editor")
    done = await post_form(second, confirm, {}, follow=False)
    assert done.status_code == 303 and done.headers["location"] == "/app/queue"
    assert not await Case.exists().where(Case.id == uuid.UUID(case["id"]))
    assert (await second.get(address, headers=HTML)).status_code == 404
