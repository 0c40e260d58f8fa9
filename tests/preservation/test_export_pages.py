"""The exports page, as a browser without JavaScript posts it: one editor asks for a package for a
recipient's key (a wrong key comes back with the message and what was typed), another approves it,
and only then is there a package to download; reviewers and the member do not get the page."""

from __future__ import annotations

import re

import pyrage

from tests.factories import AccountFactory
from tests.publication.test_publishing import verified_case
from tests.web.helpers import HTML, post_form, visible_text


async def test_editors_ask_for_approve_and_download_an_export_on_the_page(accounts: AccountFactory) -> None:
    case, reviewer, editor, _ = await verified_case(accounts)
    address = f"/app/cases/{case['id']}/exports"
    case_page = await editor.get(f"/app/cases/{case['id']}?lang=en", headers=HTML)
    assert f'href="{address}"' in case_page.text
    assert (
        f'href="{address}"' not in (await reviewer.get(f"/app/cases/{case['id']}?lang=en", headers=HTML)).text
    )
    empty = await editor.get(f"{address}?lang=en", headers=HTML)
    assert "The case has not been exported." in visible_text(empty.text)

    wrong = await post_form(editor, f"{address}?lang=en", {"recipient": "age1pogresno"}, follow=False)
    assert wrong.status_code == 422
    assert "That is not an age public key" in visible_text(wrong.text)
    assert 'value="age1pogresno"' in wrong.text
    recipient = str(pyrage.x25519.Identity.generate().to_public())
    made = await post_form(editor, address, {"recipient": recipient}, follow=False)
    assert made.status_code == 303
    asked = await editor.get(made.headers["location"].split("#")[0] + "&lang=en", headers=HTML)
    text = visible_text(asked.text)
    assert "The export is asked for" in text and "Another editor approves it." in text
    assert "Download the package" not in text
    export_id = re.search(r'id="export-([0-9a-f-]{36})"', asked.text).group(1)  # type: ignore[union-attr]
    # The editor who asked cannot approve it.
    own = await post_form(editor, f"{address}/{export_id}/approve?lang=en", {}, follow=False)
    assert own.status_code == 409 and "Another editor approves the export" in visible_text(own.text)

    second = await accounts.as_role("editor")
    done = await post_form(second, f"{address}/{export_id}/approve", {}, follow=False)
    approved = await second.get(done.headers["location"].split("#")[0] + "&lang=en", headers=HTML)
    assert "The export is approved: the package can be downloaded." in visible_text(approved.text)
    link = f"/api/v1/cases/{case['id']}/exports/{export_id}/package"
    assert f'href="{link}"' in approved.text
    package = await second.get(link)
    assert package.status_code == 200 and package.content.startswith(b"age-encryption.org/v1")
    serbian = visible_text((await second.get(f"{address}?lang=sr-Latn", headers=HTML)).text)
    assert "Preuzmi paket" in serbian and "Odobren" in serbian, serbian

    assert (await reviewer.get(address, headers=HTML)).status_code == 403
