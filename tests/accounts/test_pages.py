"""The accounts pages through the test client: log-in in one and two steps, the CSRF field, second-factor
enrolment, invitations and joining, and the admin's member pages."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import DEFAULT_PASSWORD, AccountFactory
from tests.web.helpers import (
    HTML,
    post_form,
    visible_text,
)


async def test_anonymous_visitors_are_sent_to_the_login_page_and_back(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.get("/app/cases/new", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/app/cases/new"
    page = await client.get(response.headers["location"])
    assert 'name="next" value="/app/cases/new"' in page.text
    # Only paths of the members' area are followed after logging in.
    page = await client.get("/login?next=https://evil.example/")
    assert 'name="next" value="/app/"' in page.text


async def test_logging_in_with_the_form(client: AsyncTestClient[Litestar], accounts: AccountFactory) -> None:
    member = await accounts.create("member")
    page = await client.get("/login")
    token = client.cookies["csrftoken"]
    assert f'name="_csrf_token" value="{token}"' in page.text
    wrong = await client.post(
        "/login", data={"_csrf_token": token, "email": member.email, "password": "not it", "next": "/app/"}
    )
    assert wrong.status_code == 401
    assert "pogrešna adresa e-pošte, lozinka ili kod drugog faktora" in wrong.text.lower()
    assert f'value="{member.email}"' in wrong.text  # the address is kept, the password is not
    assert "not it" not in wrong.text
    ok = await client.post(
        "/login",
        data={
            "_csrf_token": token,
            "email": member.email,
            "password": DEFAULT_PASSWORD,
            "next": "/app/cases/new",
        },
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/app/cases/new"
    assert "integrity_session" in ok.cookies
    mine = await client.get("/app/")
    assert mine.status_code == 200 and "Moji slučajevi" in mine.text
    out = await client.post(
        "/logout", data={"_csrf_token": client.cookies["csrftoken"]}, follow_redirects=False
    )
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert (await client.get("/app/", follow_redirects=False)).status_code == 303


async def test_a_form_without_the_csrf_field_is_refused_with_a_page(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    member = await accounts.create("member")
    await client.get("/login")
    refused = await client.post(
        "/login?lang=en", data={"email": member.email, "password": DEFAULT_PASSWORD}, headers=HTML
    )
    assert refused.status_code == 403
    assert "This form has expired or did not come from this site" in refused.text


async def test_the_second_factor_is_asked_for_in_a_second_step(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    editor = await accounts.create("editor")
    await client.get("/login")
    token = client.cookies["csrftoken"]
    first = await client.post(
        "/login?lang=en", data={"_csrf_token": token, "email": editor.email, "password": DEFAULT_PASSWORD}
    )
    assert first.status_code == 200 and "Code from your authenticator app" in first.text
    assert DEFAULT_PASSWORD not in first.text  # it travels sealed
    pending = re.search(r'name="pending" value="([^"]+)"', first.text).group(1)  # type: ignore[union-attr]
    wrong = await client.post(
        "/login/code?lang=en", data={"_csrf_token": token, "pending": pending, "code": "000000"}
    )
    assert (
        wrong.status_code == 401
        and "wrong e-mail address, password or second-factor code" in wrong.text.lower()
    )
    forged = await client.post(
        "/login/code?lang=en", data={"_csrf_token": token, "pending": "x" + pending[1:]}
    )
    assert forged.status_code == 401 and "took too long" in forged.text
    right = await client.post(
        "/login/code",
        data={"_csrf_token": token, "pending": pending, "code": editor.next_totp_code(), "next": "/app/"},
        follow_redirects=False,
    )
    assert right.status_code == 303 and right.headers["location"] == "/app/"


async def test_a_reviewer_without_a_second_factor_is_sent_to_enrol(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    reviewer = await accounts.create("reviewer", totp=False)
    caller = await accounts.caller(reviewer)
    response = await caller.get("/app/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/app/totp"
    started = await post_form(caller, "/app/totp", {})
    assert started.status_code == 200 and "<svg" in started.text and 'class="qr-code"' in started.text
    assert " style=" not in started.text
    wrong = await post_form(caller, "/app/totp/confirm", {"code": "000000"})
    assert wrong.status_code == 422
    assert "kod je pogrešan ili je već iskorišćen" in wrong.text.lower()
    assert "<svg" in wrong.text  # the same key is shown again


async def test_an_admin_invites_someone_who_then_joins(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    admin = await accounts.as_role("admin")
    bad = await post_form(admin, "/app/admin/invitations", {"email": "not-an-address", "role": "member"})
    assert bad.status_code == 422 and "To nije ispravna adresa e-pošte." in bad.text
    assert 'value="not-an-address"' in bad.text
    created = await post_form(
        admin, "/app/admin/invitations", {"email": "nova@example.org", "role": "reviewer"}
    )
    assert created.status_code == 201
    link = re.search(r'id="invitation-link" type="text" readonly value="([^"]+)"', created.text).group(1)  # type: ignore[union-attr]
    token = link.rsplit("/", 1)[1]
    listed = await admin.get("/app/admin/invitations")
    assert "nova@example.org" in listed.text and token not in listed.text  # shown once only

    client.cookies.clear()
    form = await client.get(f"/join/{token}")
    csrf = client.cookies["csrftoken"]
    fields = {"_csrf_token": csrf, "display_name": "Nova", "profession": "journalist"}
    differ = await client.post(
        f"/join/{token}", data={**fields, "password": DEFAULT_PASSWORD, "password_again": "something else"}
    )
    assert (
        differ.status_code == 422
        and "Lozinke se ne podudaraju." in differ.text
        and 'value="Nova"' in differ.text
    )
    joined = await client.post(
        f"/join/{token}", data={**fields, "password": DEFAULT_PASSWORD, "password_again": DEFAULT_PASSWORD}
    )
    assert joined.status_code == 200 and "Dobro došli u Mrežu za integritet" in joined.text
    again = await client.post(
        f"/join/{token}", data={**fields, "password": DEFAULT_PASSWORD, "password_again": DEFAULT_PASSWORD}
    )
    assert again.status_code == 404 and "Ta pozivnica ne postoji" in again.text
    assert form.status_code == 200


async def test_an_admin_changes_roles_and_deactivates_but_not_themselves(accounts: AccountFactory) -> None:
    admin = await accounts.as_role("admin")
    target = await accounts.create("member")
    page = await admin.get("/app/admin/members")
    assert target.email in page.text
    changed = await post_form(admin, f"/app/admin/members/{target.id}", {"role": "reviewer"})
    assert changed.status_code == 200
    # Deactivating asks once more, and changes nothing until confirmed.
    from integrity.accounts.tables import Member

    asked = await post_form(admin, f"/app/admin/members/{target.id}?lang=en", {"is_active": "false"})
    assert asked.status_code == 200 and "Deactivate " in visible_text(asked.text)
    assert 'name="confirm" value="1"' in asked.text
    assert (await Member.select(Member.is_active).where(Member.id == target.id).first())["is_active"]
    off = await post_form(admin, f"/app/admin/members/{target.id}", {"is_active": "false", "confirm": "1"})
    assert off.status_code == 200 and "deaktiviran" in off.text
    assert not (await Member.select(Member.is_active).where(Member.id == target.id).first())["is_active"]
    assert admin.member is not None
    # The page offers the admin no role change or deactivation of their own account; the service
    # refuses one sent anyway.
    own_row = page.text.split(f"{admin.member.display_name} (")[1].split("</tr>")[0]
    assert f'action="/app/admin/members/{admin.member.id}"' not in own_row
    myself = await post_form(
        admin, f"/app/admin/members/{admin.member.id}", {"is_active": "false", "confirm": "1"}
    )
    assert myself.status_code == 409 and "zamolite drugog administratora" in myself.text
    demoted = await post_form(admin, f"/app/admin/members/{admin.member.id}", {"role": "member"})
    assert demoted.status_code == 409
    member = await accounts.as_role("member")
    assert (await member.get("/app/admin/members", headers=HTML)).status_code == 403


async def test_a_second_admin_confirms_a_role_on_the_members_page(accounts: AccountFactory) -> None:
    from integrity.accounts.tables import Member

    admin = await accounts.as_role("admin")
    second = await accounts.as_role("admin")
    target = await accounts.create("member", display_name="Dara Buduća")
    asked = await post_form(admin, f"/app/admin/members/{target.id}?lang=en", {"role": "editor"})
    assert asked.status_code == 200
    page = await admin.get("/app/admin/members?lang=en&asked=1", headers=HTML)
    assert "the change takes effect when a second admin confirms it" in page.text
    assert "Waiting for a second admin" in page.text and "another admin confirms this" in page.text
    assert (await Member.objects().where(Member.id == target.id).first()).role == "member"
    theirs = await second.get("/app/admin/members?lang=en", headers=HTML)
    grant_id = re.search(r'action="/app/admin/grants/([0-9a-f-]{36})/confirm"', theirs.text).group(1)  # type: ignore[union-attr]
    mine = await post_form(admin, f"/app/admin/grants/{grant_id}/confirm?lang=en", {})
    assert mine.status_code == 403
    assert "A second person confirms what you asked for" in visible_text(mine.text)
    done = await post_form(second, f"/app/admin/grants/{grant_id}/confirm?lang=en", {})
    assert done.status_code == 200 and "izmena je stupila na snagu" in done.text
    assert (await Member.objects().where(Member.id == target.id).first()).role == "editor"
