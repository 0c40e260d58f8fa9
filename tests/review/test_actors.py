"""Matching actors is the review team's call (``integrity.review.actors``): what a member types stays
with their case, a reviewer links it to a shared record, an editor merges two records; a member
only ever sees what they typed."""

from __future__ import annotations

from typing import Any

from integrity.cases.tables import Actor
from integrity.custody.tables import CustodyEntry
from tests.cases.test_intake import file_case
from tests.factories import AccountFactory, Caller
from tests.review.test_service import act
from tests.web.helpers import HTML, post_form, visible_text


async def filed(member: Caller, *actors: dict[str, Any]) -> dict[str, Any]:
    case = await file_case(member, actors=list(actors))
    response = await member.post(f"/api/v1/cases/{case['id']}/submit")
    assert response.status_code == 200, response.text
    return response.json()["case"]


def person(name: str, *aliases: str, protect: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "person",
        "role": "alleged_perpetrator",
        "aliases": list(aliases),
        "protect_identity": protect,
    }


async def link(caller: Caller, case_id: str, actor_id: str, **body: Any) -> Any:
    return await caller.post(f"/api/v1/cases/{case_id}/actors/{actor_id}/link", json=body)


async def test_the_review_team_links_what_members_typed_and_each_member_sees_only_their_own(
    accounts: AccountFactory,
) -> None:
    first = await accounts.as_role("member")
    second = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    a = await filed(first, person("Marko Izmišljenović", "kum ministra Primerovića"))
    b = await filed(second, person("marko izmisljenovic", "Maki"))
    [a_actor] = a["actors"]
    [b_actor] = b["actors"]
    # Filing matched nothing: each case has an actor of its own, no shared record exists.
    assert a_actor["actor_id"] != b_actor["actor_id"]
    assert not a_actor["shared"] and not b_actor["shared"]
    assert await Actor.count().where(Actor.owner_case.is_null()) == 0
    assert (await reviewer.get("/api/v1/actors?q=marko")).json() == []

    # Unlinked, the actor cannot be shown publicly.
    assert (await act(reviewer, a["id"], "start_review")).status_code == 200
    draft = await reviewer.put(
        f"/api/v1/cases/{a['id']}/publication",
        json={
            "public_title": "Naslov",
            "public_summary": "Opis.",
            "public_body": "Tekst.",
            "public_actor_ids": [a_actor["actor_id"]],
        },
    )
    assert draft.status_code == 422 and draft.json()["code"] == "public_actor_not_linked"

    # The reviewer makes a shared record from A's actor, and links B's to the same record.
    linked = await link(reviewer, a["id"], a_actor["actor_id"], name="Marko Izmišljenović")
    assert linked.status_code == 200, linked.text
    [shown] = linked.json()["actors"]
    assert shown["shared"] and shown["shared_name"] == "Marko Izmišljenović"
    shared_id = shown["actor_id"]
    found = (await reviewer.get("/api/v1/actors?q=IZMISLJENOVIC&kind=person")).json()
    assert [(f["id"], f["name"], f["cases"]) for f in found] == [(shared_id, "Marko Izmišljenović", 1)]
    again = await link(reviewer, b["id"], b_actor["actor_id"], shared_actor_id=shared_id)
    assert again.status_code == 200, again.text
    # The actor of B's case alone is gone with its sealed name; the link keeps what B typed.
    assert not await Actor.exists().where(Actor.id == b_actor["actor_id"])

    seen = (await second.get(f"/api/v1/cases/{b['id']}")).json()["actors"]
    assert [(x["actor_id"], x["name"], x["aliases"], x["shared_name"]) for x in seen] == [
        (shared_id, "marko izmisljenovic", ["Maki"], None)
    ]
    assert "kum ministra" not in str(seen) and "Izmišljenović" not in str(seen)
    mine = (await first.get(f"/api/v1/cases/{a['id']}")).json()["actors"]
    assert [(x["name"], x["aliases"]) for x in mine] == [
        ("Marko Izmišljenović", ["kum ministra Primerovića"])
    ]
    team = (await reviewer.get(f"/api/v1/cases/{b['id']}")).json()["actors"]
    assert team[0]["shared_name"] == "Marko Izmišljenović" and team[0]["name"] == "marko izmisljenovic"
    shared = await Actor.select().where(Actor.id == shared_id).first()
    assert shared["aliases"] == "[]" and shared["name"] == "Marko Izmišljenović"
    assert await CustodyEntry.count().where(CustodyEntry.action == "case.actor_linked") == 2

    # Linked, it can be shown publicly; a wrong link is undone by linking again (B's case to a
    # new record), and A's case keeps the first.
    draft = await reviewer.put(
        f"/api/v1/cases/{a['id']}/publication",
        json={
            "public_title": "Naslov",
            "public_summary": "Opis.",
            "public_body": "Tekst.",
            "public_actor_ids": [shared_id],
        },
    )
    assert draft.status_code == 200, draft.text
    moved = await link(reviewer, b["id"], shared_id, name="Marko Izmišljenović Mlađi")
    assert moved.status_code == 200, moved.text
    [b_now] = moved.json()["actors"]
    assert b_now["actor_id"] != shared_id and b_now["name"] == "marko izmisljenovic"
    assert (await first.get(f"/api/v1/cases/{a['id']}")).json()["actors"][0]["actor_id"] == shared_id
    # ...but not while the draft shows it: the public would get another name than was approved.
    refused = await link(reviewer, a["id"], shared_id, name="Neko Drugi")
    assert refused.status_code == 409 and refused.json()["code"] == "actor_in_draft"


async def test_linking_is_refused_to_those_who_may_not_and_for_what_must_not_be_linked(
    accounts: AccountFactory,
) -> None:
    member = await accounts.as_role("member")
    other = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    conflicted = await accounts.as_role("reviewer")
    case = await filed(
        member,
        person("Petar Primerović"),
        person("Svedokinja Zaštićena", protect=True),
        {"name": "Opština Primerovo", "kind": "institution", "role": "institution_involved"},
    )
    plain, protected, institution = (a["actor_id"] for a in case["actors"])
    assert (await conflicted.post(f"/api/v1/cases/{case['id']}/conflicts")).status_code == 201

    for caller, status, code in [
        (member, 403, "review_team_only"),
        (other, 404, "case_not_found"),
        (conflicted, 404, "case_not_found"),
    ]:
        response = await link(caller, case["id"], plain, name="Petar Primerović")
        assert (response.status_code, response.json()["code"]) == (status, code)
    for caller in (member, other):
        listed = await caller.get("/api/v1/actors")
        assert listed.status_code == 403 and listed.json()["code"] == "review_team_only"
    anonymous = await accounts.anonymous().get("/api/v1/actors")
    assert anonymous.status_code == 401

    refusals = [
        (protected, {"name": "Svedokinja Zaštićena"}, 409, "actor_protected"),
        (plain, {}, 422, "actor_link_ambiguous"),
        (plain, {"name": "  "}, 422, "actor_link_name_empty"),
        (plain, {"name": "x", "shared_actor_id": institution}, 422, "actor_link_ambiguous"),
        (institution, {"shared_actor_id": plain}, 422, "actor_not_found"),  # not a shared record
        ("00000000-0000-4000-8000-000000000000", {"name": "Niko"}, 404, "case_actor_not_found"),
    ]
    for actor_id, body, status, code in refusals:
        response = await link(reviewer, case["id"], actor_id, **body)
        assert (response.status_code, response.json()["code"]) == (status, code), body
    made = await link(reviewer, case["id"], plain, name="Petar Primerović")
    shared_person = next(a for a in made.json()["actors"] if a["shared"])["actor_id"]
    mismatch = await link(reviewer, case["id"], institution, shared_actor_id=shared_person)
    assert (mismatch.status_code, mismatch.json()["code"]) == (422, "actor_kind_mismatch")
    same = await link(reviewer, case["id"], shared_person, shared_actor_id=shared_person)
    assert (same.status_code, same.json()["code"]) == (409, "actor_already_linked")
    # The protected name never left the case.
    assert "Svedokinja" not in str((await reviewer.get("/api/v1/actors")).json())

    # A reviewer who filed a case does not link its actors.
    own = await filed(reviewer, person("Jovan Izmišljeni"))
    colleague = await accounts.as_role("reviewer")
    response = await link(reviewer, own["id"], own["actors"][0]["actor_id"], name="Jovan Izmišljeni")
    assert (response.status_code, response.json()["code"]) == (409, "own_case")
    assert (await link(colleague, own["id"], own["actors"][0]["actor_id"], name="J. I.")).status_code == 200


async def test_an_editor_merges_two_records_of_one_person_until_one_is_shown(
    accounts: AccountFactory,
) -> None:
    first = await accounts.as_role("member")
    second = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    editor = await accounts.as_role("editor")
    a = await filed(first, person("Ana Primerović", "Anči"))
    b = await filed(second, person("A. Primerović"))
    kept = (await link(reviewer, a["id"], a["actors"][0]["actor_id"], name="Ana Primerović")).json()
    doubled = (await link(reviewer, b["id"], b["actors"][0]["actor_id"], name="A. Primerović")).json()
    kept_id, doubled_id = kept["actors"][0]["actor_id"], doubled["actors"][0]["actor_id"]

    for caller, status, code in [(first, 403, "editor_only"), (reviewer, 403, "editor_only")]:
        response = await caller.post(f"/api/v1/actors/{doubled_id}/merge", json={"into": kept_id})
        assert (response.status_code, response.json()["code"]) == (status, code)
    itself = await editor.post(f"/api/v1/actors/{kept_id}/merge", json={"into": kept_id})
    assert (itself.status_code, itself.json()["code"]) == (422, "actor_merge_self")

    merged = await editor.post(f"/api/v1/actors/{doubled_id}/merge", json={"into": kept_id})
    assert merged.status_code == 200, merged.text
    assert merged.json() == {"id": kept_id, "kind": "person", "name": "Ana Primerović", "cases": 2}
    assert not await Actor.exists().where(Actor.id == doubled_id)
    seen = (await second.get(f"/api/v1/cases/{b['id']}")).json()["actors"]
    assert [(x["actor_id"], x["name"], x["aliases"]) for x in seen] == [(kept_id, "A. Primerović", [])]
    assert await CustodyEntry.count().where(CustodyEntry.action == "actor.merged") == 1

    # Once a draft (or a published case) shows a record, it is not merged away.
    c = await filed(second, person("Ana P."))
    shown = (await link(reviewer, c["id"], c["actors"][0]["actor_id"], name="Ana P.")).json()["actors"][0]
    assert (await act(reviewer, c["id"], "start_review")).status_code == 200
    draft = await reviewer.put(
        f"/api/v1/cases/{c['id']}/publication",
        json={
            "public_title": "N",
            "public_summary": "O.",
            "public_body": "T.",
            "public_actor_ids": [shown["actor_id"]],
        },
    )
    assert draft.status_code == 200, draft.text
    refused = await editor.post(f"/api/v1/actors/{shown['actor_id']}/merge", json={"into": kept_id})
    assert (refused.status_code, refused.json()["code"]) == (409, "actor_published")


async def test_the_case_page_offers_the_review_team_the_records_to_link_to(accounts: AccountFactory) -> None:
    first = await accounts.as_role("member")
    second = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    a = await filed(first, person("Milan Izmišljenović"))
    await link(reviewer, a["id"], a["actors"][0]["actor_id"], name="Milan Izmišljenović")
    b = await filed(second, person("Milan Izmisljenovic", "Mića"))
    url = f"/app/cases/{b['id']}"

    page = visible_text((await reviewer.get(url + "?lang=en", headers=HTML)).text)
    assert "not linked to a shared record" in page and "Milan Izmišljenović (named in 1 case)" in page
    # The member's own page offers nothing of the kind, and names no other member's record.
    own = (await second.get(url + "?lang=en", headers=HTML)).text
    assert "Link to a shared record" not in own and "Milan Izmišljenović" not in own

    found = (await reviewer.get("/api/v1/actors?q=milan")).json()
    done = await post_form(
        reviewer,
        url + "/actors/" + b["actors"][0]["actor_id"] + "/link?lang=en",
        {"shared_actor_id": found[0]["id"]},
    )
    assert done.status_code == 200
    text = visible_text((await reviewer.get(url + "?lang=en", headers=HTML)).text)
    assert "Linked to the shared record “Milan Izmišljenović”" in text
    # A refusal is a page with the reason, not a stack trace.
    refused = await post_form(
        reviewer, url + "/actors/" + found[0]["id"] + "/link?lang=en", {"shared_actor_id": "new", "name": ""}
    )
    assert refused.status_code == 422 and "Give the name of the shared record." in visible_text(refused.text)
