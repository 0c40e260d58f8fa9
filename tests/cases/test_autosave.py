"""The case form saved while it is written: by the page's script (JSON) or a "save this part" button
(no script), sealed in the database, given back by the form, and gone once the case is filed, saved
or submitted. Only its writer gets it back."""

from __future__ import annotations

import html
import json

from integrity.cases.tables import Case, FormDraft
from integrity.settings import Settings
from integrity.vault import rotate_keys
from tests.factories import AccountFactory, Caller
from tests.web.helpers import CASE_FIELDS, HTML, NO_HEADER, case_id_of, file_case, post_form, visible_text

JSON = {"accept": "application/json"}
STORY = "Predsednik opštine je tender za most dodelio firmi svog zeta, a tri ponude su odbijene."
PARTIAL = [
    ("title", "Most preko Morave"),
    ("narrative", STORY),
    ("municipality", "cacak"),
    ("actor-0-name", "Zaštićeni Svedok"),
    ("actor-0-protect", "1"),
]


async def _autosave(caller: Caller, url: str, fields: list[tuple[str, str]]):
    from urllib.parse import urlencode

    return await caller.post(
        url,
        content=urlencode([("_csrf_token", caller.csrf_token or ""), *fields]).encode(),
        headers={**NO_HEADER, **JSON, "content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )


async def test_what_a_member_writes_is_saved_sealed_and_comes_back_until_the_case_is_filed(
    accounts: AccountFactory, settings: Settings
) -> None:
    member = await accounts.as_role("member")
    assert member.member is not None
    saved = await _autosave(member, "/app/cases/new/autosave", [*PARTIAL, ("surprise", "not a field")])
    assert saved.status_code == 200, saved.text
    assert "saved_at" in saved.json()

    # Sealed, and addressed without the member's id: a database dump says neither what nor who.
    rows = await FormDraft.select()
    assert len(rows) == 1
    dumped = json.dumps(
        {k: (bytes(v).hex() if isinstance(v, bytes | memoryview) else str(v)) for k, v in rows[0].items()}
    )
    for secret in ("Morave", "Zaštićeni", str(member.member.id), member.member.email):
        assert secret not in dumped and secret.encode().hex() not in dumped, secret

    # The form comes back as it was written (an empty form is not judged: nothing was sent yet).
    page = await member.get("/app/cases/new", headers=HTML)
    text = html.unescape(page.text)
    assert STORY in text and 'value="Most preko Morave"' in text and 'value="Zaštićeni Svedok"' in text
    assert "Ovo je ono što ste pisali" in visible_text(page.text)
    assert "not a field" not in text and "surprise" not in text

    # Saving again replaces it, and a key rotation keeps it readable.
    again = await _autosave(member, "/app/cases/new/autosave", [*PARTIAL, ("location_detail", "Kod mosta")])
    assert again.status_code == 200 and await FormDraft.count() == 1
    report = await rotate_keys(settings)
    assert report.rewrapped["cases.form_drafts"] == 1
    assert 'value="Kod mosta"' in html.unescape((await member.get("/app/cases/new", headers=HTML)).text)

    # Filing the case ends it: the next new form is empty.
    filed = await file_case(member)
    assert filed.status_code == 303
    assert await FormDraft.count() == 0
    assert STORY not in html.unescape((await member.get("/app/cases/new", headers=HTML)).text)


async def test_a_part_saved_without_javascript_comes_back_at_that_part(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    response = await post_form(
        member, "/app/cases/new/autosave", [*PARTIAL, ("save_part", "part-when")], follow=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/app/cases/new?saved=1#part-when"
    page = await member.get(response.headers["location"], headers=HTML)
    assert "Sačuvano" in visible_text(page.text) and STORY in html.unescape(page.text)
    # Each part of the form has its button (and the anchor it comes back to).
    for part in ("part-what", "part-when", "part-categories", "part-actors"):
        assert f'id="{part}"' in page.text and f'value="{part}"' in page.text
    # An anchor that is not a part is not echoed back.
    odd = await post_form(
        member, "/app/cases/new/autosave", [*PARTIAL, ("save_part", 'x"><script>')], follow=False
    )
    assert odd.headers["location"] == "/app/cases/new?saved=1"

    # Starting over forgets it.
    await post_form(member, "/app/cases/new/autosave/discard", [], follow=False)
    assert await FormDraft.count() == 0
    assert STORY not in html.unescape((await member.get("/app/cases/new", headers=HTML)).text)


async def test_only_the_writer_gets_a_saved_form_back_and_only_a_draft_is_saved(
    accounts: AccountFactory,
) -> None:
    writer = await accounts.as_role("member")
    other = await accounts.as_role("member")
    reviewer = await accounts.as_role("reviewer")
    assert (await _autosave(writer, "/app/cases/new/autosave", PARTIAL)).status_code == 200
    assert STORY not in html.unescape((await other.get("/app/cases/new", headers=HTML)).text)

    case_id = case_id_of(await file_case(writer))
    edit = f"/app/cases/{case_id}/edit/autosave"
    # Another member, and the review team, cannot save into the writer's draft.
    refused = await _autosave(other, edit, PARTIAL)
    assert refused.status_code == 404
    assert (await _autosave(reviewer, edit, PARTIAL)).status_code in (403, 404)
    assert await FormDraft.count() == 0

    # The writer's edit is kept and comes back in the edit form, over the saved case.
    changed = [
        (name, "Novi tekst izveštaja" if name == "narrative" else value) for name, value in CASE_FIELDS
    ]
    assert (await _autosave(writer, edit, changed)).status_code == 200
    form = await writer.get(f"/app/cases/{case_id}/edit", headers=HTML)
    assert "Novi tekst izveštaja" in form.text
    assert "Novi tekst izveštaja" not in (await other.get(f"/app/cases/{case_id}/edit", headers=HTML)).text
    # Only the writer throws them away.
    assert (
        await post_form(other, f"/app/cases/{case_id}/edit/autosave/discard", [], follow=False)
    ).status_code == 404
    assert await FormDraft.count() == 1
    # Throwing the changes away shows the case as saved.
    await post_form(writer, f"/app/cases/{case_id}/edit/autosave/discard", [], follow=False)
    assert "Novi tekst izveštaja" not in (await writer.get(f"/app/cases/{case_id}/edit", headers=HTML)).text

    # Saving the edit ends what was kept; so does submitting the case.
    assert (await _autosave(writer, edit, changed)).status_code == 200
    saved = await post_form(writer, f"/app/cases/{case_id}/edit", changed, follow=False)
    assert saved.status_code == 303 and await FormDraft.count() == 0
    assert (await _autosave(writer, edit, changed)).status_code == 200
    submitted = await post_form(writer, f"/app/cases/{case_id}/submit", [], follow=False)
    assert submitted.status_code == 303 and await FormDraft.count() == 0
    # Once submitted, nothing more is kept for its form.
    late = await _autosave(writer, edit, changed)
    assert late.status_code == 409 and "više ne može menjati" in visible_text(late.text)
    assert await Case.count() == 1


async def test_a_form_longer_than_any_case_is_refused_and_nothing_is_kept(accounts: AccountFactory) -> None:
    member = await accounts.as_role("member")
    huge = await _autosave(member, "/app/cases/new/autosave", [("narrative", "x" * 300_000)])
    assert huge.status_code == 413 and "skratite opis" in visible_text(huge.text)
    assert await FormDraft.count() == 0
