"""A step that needs a second person tells the people who can take it, and the pages around it
say what is going on: editors hear of a hold, a shredding or an export waiting for them (not the
one who asked, nor one with a conflict of interest), admins of an erasure; the admins' page says
whose account an erasure is for and stops offering a confirmation to the admin who gave it; a
member can take their request back; the shredding form is not offered under a hold and keeps what
was typed when it is refused."""

from __future__ import annotations

import pyrage

from integrity.notifications.tables import Notification
from integrity.preservation.tables import ErasureRequest
from tests.factories import AccountFactory, Caller
from tests.preservation.test_retention import Hold
from tests.publication.test_publishing import act, verified_case
from tests.web.helpers import HTML, post_form, visible_text

SECOND_PERSON = ("hold_confirmation_needed", "export_approval_needed", "erasure_requested")


async def kinds_for(caller: Caller) -> list[str]:
    """The notices of a step waiting for a second person that the caller has."""
    assert caller.member is not None
    rows = await Notification.select(Notification.kind).where(
        (Notification.member == caller.member.id) & Notification.kind.is_in(list(SECOND_PERSON))
    )
    return sorted(row["kind"] for row in rows)


async def test_the_other_editors_hear_of_a_step_that_waits_for_them(accounts: AccountFactory) -> None:
    case, reviewer, editor, _ = await verified_case(accounts)
    other, conflicted = await accounts.as_role("editor"), await accounts.as_role("editor")
    declared = await conflicted.post(f"/api/v1/cases/{case['id']}/conflicts")
    assert declared.status_code == 201, declared.text
    hold = Hold(editor, other, case["id"])
    await hold.place("Predmet ide sudu.")
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    asked = await other.post(f"/api/v1/cases/{case['id']}/exports", json={"recipient": recipient})
    assert asked.status_code == 201, asked.text

    assert await kinds_for(other) == ["hold_confirmation_needed"]
    assert await kinds_for(editor) == ["export_approval_needed"]
    assert await kinds_for(conflicted) == []
    assert await kinds_for(reviewer) == []
    page = visible_text((await other.get("/app/notifications?lang=en", headers=HTML)).text)
    assert f"A legal hold or a shredding of {case['reference']} waits for a second editor" in page
    links = (await editor.get("/app/notifications?lang=en", headers=HTML)).text
    assert f'href="/app/cases/{case["id"]}/exports"' in links


async def test_an_erasure_is_told_to_the_admins_shown_by_whose_it_is_and_can_be_taken_back(
    accounts: AccountFactory,
) -> None:
    member = await accounts.as_role("member", display_name="Milena Izmišljenović")
    first, second = await accounts.as_role("admin"), await accounts.as_role("admin")
    # The box is a promise the server asks for too, not only the browser.
    unticked = await post_form(member, "/app/erasure?lang=en", {}, follow=False)
    assert unticked.status_code == 422 and "Tick the box" in visible_text(unticked.text)
    assert not await ErasureRequest.exists()

    asked = await post_form(member, "/app/erasure", {"understood": "1"}, follow=False)
    assert asked.status_code == 303
    assert await kinds_for(first) == ["erasure_requested"] == await kinds_for(second)
    listed = visible_text((await first.get("/app/admin/erasures?lang=en", headers=HTML)).text)
    assert "Milena Izmišljenović" in listed and "asked on" in listed
    (request,) = await ErasureRequest.select(ErasureRequest.id)
    confirmed = await post_form(first, f"/app/admin/erasures/{request['id']}/confirm", {}, follow=False)
    assert confirmed.status_code == 303
    mine = (await first.get("/app/admin/erasures?lang=en", headers=HTML)).text
    assert "You confirmed it" in visible_text(mine) and f"/erasures/{request['id']}/confirm" not in mine
    assert (
        f"/erasures/{request['id']}/confirm" in (await second.get("/app/admin/erasures", headers=HTML)).text
    )

    # The member changes their mind before the second admin: nothing is erased, nothing waits.
    withdrawn = await post_form(member, "/app/erasure/withdraw", {}, follow=False)
    assert withdrawn.status_code == 303 and withdrawn.headers["location"].endswith("done=withdrawn")
    told = visible_text((await member.get("/app/erasure?done=withdrawn&lang=en", headers=HTML)).text)
    assert "Your request is withdrawn" in told
    assert not await ErasureRequest.exists()
    assert await kinds_for(first) == [] == await kinds_for(second)
    assert (await member.get("/api/v1/me")).status_code == 200
    # By the API too.
    assert (await member.post("/api/v1/me/erasure")).status_code == 201
    assert (await member.delete("/api/v1/me/erasure")).status_code == 204
    again = await member.delete("/api/v1/me/erasure")
    assert (again.status_code, again.json()["code"]) == (404, "erasure_not_found")


async def test_the_shredding_form_waits_out_a_hold_and_keeps_what_was_typed(accounts: AccountFactory) -> None:
    case, reviewer, editor, _ = await verified_case(accounts)
    assert (await act(reviewer, case["id"], "reject", reason="Van nadležnosti")).status_code == 200
    address = f"/app/cases/{case['id']}/holds"
    shredding = f"/app/cases/{case['id']}/shredding"
    # Refused (a reason of spaces only): the page says why, in the page's own language.
    empty = await post_form(editor, f"{shredding}?lang=sr-Latn", {"shred_reason": "   "}, follow=False)
    assert empty.status_code == 422
    assert "must not be empty" not in empty.text and "ne sme biti prazno" in visible_text(empty.text)
    # Refused (too long): what was typed is still there to shorten.
    long_reason = "Izvor traži brisanje. " * 100
    kept = await post_form(editor, f"{shredding}?lang=en", {"shred_reason": long_reason}, follow=False)
    assert kept.status_code == 422 and long_reason.strip()[:200] in kept.text
    hold = Hold(editor, await accounts.as_role("editor"), case["id"])
    await hold.place("Predmet ide sudu.")
    page = visible_text((await editor.get(f"{address}?lang=en", headers=HTML)).text)
    assert "nothing of it can be shredded until the hold is released" in page
    assert f'action="{shredding}"' not in (await editor.get(address, headers=HTML)).text
    await hold.release()
    assert f'action="{shredding}"' in (await editor.get(address, headers=HTML)).text
