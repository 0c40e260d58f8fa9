"""The accounts contract of API.md, through HTTP: each permission and each refusal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from integrity.accounts.login import LOGIN_FAILED, utcnow
from integrity.accounts.tables import ApiToken, Invitation, Member, MemberSession, RecoveryCode
from integrity.security.totp import current_code
from tests.factories import DEFAULT_PASSWORD, AccountFactory, Caller, FactoryMember


async def log_in(client: AsyncTestClient[Litestar], member: FactoryMember, **extra: object) -> Caller:
    """Log in through the API (a fresh client state) and return a caller on that session."""
    client.cookies.clear()
    response = await client.post(
        "/api/v1/auth/login", json={"email": member.email, "password": member.password, **extra}
    )
    assert response.status_code == 200, response.text
    caller = Caller(client, member, response.cookies["integrity_session"], response.json()["csrf_token"])
    return caller


# -- log-in ----------------------------------------------------------------------------------------


async def test_login_opens_a_server_side_session_in_an_httponly_cookie(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    member = await accounts.create("member", profession="journalist")
    response = await client.post(
        "/api/v1/auth/login", json={"email": member.email.upper(), "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["member"] == {
        "id": str(member.id),
        "email": member.email,
        "display_name": member.display_name,
        "profession": "journalist",
        "role": "member",
        "totp_enabled": False,
    }
    assert body["totp_required"] is False
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("integrity_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    token = response.cookies["integrity_session"]
    stored = await MemberSession.select(MemberSession.id_hash).first()
    assert stored is not None and token not in stored["id_hash"] and len(stored["id_hash"]) == 64
    me = await client.get("/api/v1/me")
    assert me.json()["email"] == member.email


async def test_unknown_email_and_wrong_password_get_the_same_401(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    member = await accounts.create("member")
    unknown = await client.post(
        "/api/v1/auth/login", json={"email": "ghost@example.org", "password": "whatever it is"}
    )
    wrong = await client.post(
        "/api/v1/auth/login", json={"email": member.email, "password": "not my password"}
    )
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert unknown.json()["detail"] == LOGIN_FAILED
    assert "integrity_session" not in unknown.cookies and "integrity_session" not in wrong.cookies


async def test_a_deactivated_member_cannot_log_in(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    member = await accounts.create("member", is_active=False)
    response = await client.post(
        "/api/v1/auth/login", json={"email": member.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 401
    assert response.json()["detail"] == LOGIN_FAILED


async def test_repeated_failures_lock_the_account_with_retry_after(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    member = await accounts.create("member")
    for _ in range(5):
        response = await client.post(
            "/api/v1/auth/login", json={"email": member.email, "password": "wrong password"}
        )
        assert response.status_code == 401
    locked = await client.post(
        "/api/v1/auth/login", json={"email": member.email, "password": DEFAULT_PASSWORD}
    )
    assert locked.status_code == 429
    assert 0 < int(locked.headers["retry-after"]) <= 900
    assert "locked for 15 minute" in locked.json()["detail"]
    row = await Member.objects().where(Member.id == member.id).first()
    assert row is not None and row.failed_logins == 5 and row.locked_until is not None
    # An unknown address locks the same way, so the lock-out tells nothing about who is a member.
    for _ in range(5):
        await client.post(
            "/api/v1/auth/login", json={"email": "ghost@example.org", "password": "wrong password"}
        )
    ghost = await client.post("/api/v1/auth/login", json={"email": "ghost@example.org", "password": "wrong"})
    assert ghost.status_code == 429
    assert ghost.json()["detail"] == locked.json()["detail"]


async def test_one_client_failing_on_many_accounts_is_rate_limited(client: AsyncTestClient[Litestar]) -> None:
    statuses = []
    for number in range(21):
        response = await client.post(
            "/api/v1/auth/login", json={"email": f"spray{number}@example.org", "password": "Summer2026!"}
        )
        statuses.append(response.status_code)
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


# -- second factor ---------------------------------------------------------------------------------


async def test_review_team_without_totp_can_only_enrol(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    reviewer = await accounts.create("reviewer", totp=False)
    client.cookies.clear()
    response = await client.post(
        "/api/v1/auth/login", json={"email": reviewer.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["totp_required"] is True
    csrf = {"x-csrftoken": response.json()["csrf_token"]}

    assert (await client.get("/api/v1/me")).status_code == 200
    refused = await client.get("/api/v1/me/tokens")
    assert refused.status_code == 403
    assert "POST /api/v1/me/totp" in refused.json()["detail"]
    assert (
        await client.post("/api/v1/me/tokens", json={"name": "x", "password": DEFAULT_PASSWORD}, headers=csrf)
    ).status_code == 403

    enrolment = await client.post("/api/v1/me/totp", headers=csrf)
    assert enrolment.status_code == 200
    secret_text = enrolment.json()["secret"]
    assert enrolment.json()["otpauth_uri"].startswith("otpauth://totp/Integrity%20Network:")
    assert f"secret={secret_text}" in enrolment.json()["otpauth_uri"]
    stored = await Member.objects().where(Member.id == reviewer.id).first()
    assert stored is not None and secret_text.encode() not in bytes(stored.totp_secret_sealed)

    import base64

    secret = base64.b32decode(secret_text + "=" * (-len(secret_text) % 8))
    wrong = await client.post("/api/v1/me/totp/confirm", json={"code": "000000"}, headers=csrf)
    assert wrong.status_code == 422
    confirmed = await client.post(
        "/api/v1/me/totp/confirm", json={"code": current_code(secret)}, headers=csrf
    )
    assert confirmed.status_code == 200
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert await RecoveryCode.count().where(RecoveryCode.member == reviewer.id) == 10
    assert (await client.get("/api/v1/me/tokens")).status_code == 200
    again = await client.post("/api/v1/me/totp", headers=csrf)
    assert again.status_code == 409


async def test_once_enrolled_login_needs_a_fresh_code(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    editor = await accounts.create("editor")
    login = {"email": editor.email, "password": DEFAULT_PASSWORD}
    missing = await client.post("/api/v1/auth/login", json=login)
    assert missing.status_code == 401 and missing.json()["detail"] == LOGIN_FAILED
    code = editor.next_totp_code()
    assert (await client.post("/api/v1/auth/login", json={**login, "totp": code})).status_code == 200
    client.cookies.clear()
    replayed = await client.post("/api/v1/auth/login", json={**login, "totp": code})
    assert replayed.status_code == 401
    assert (
        await client.post("/api/v1/auth/login", json={**login, "totp": editor.next_totp_code()})
    ).status_code == 200


async def test_a_recovery_code_logs_in_once(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    member = await accounts.create("member", totp=False)
    caller = await accounts.caller(member)
    enrolment = await caller.post("/api/v1/me/totp")
    import base64

    text = enrolment.json()["secret"]
    secret = base64.b32decode(text + "=" * (-len(text) % 8))
    codes = (await caller.post("/api/v1/me/totp/confirm", json={"code": current_code(secret)})).json()[
        "recovery_codes"
    ]
    login = {"email": member.email, "password": DEFAULT_PASSWORD}
    client.cookies.clear()
    first = await client.post("/api/v1/auth/login", json={**login, "totp": codes[0].lower()})
    assert first.status_code == 200
    client.cookies.clear()
    second = await client.post("/api/v1/auth/login", json={**login, "totp": codes[0]})
    assert second.status_code == 401


async def test_totp_confirmation_is_rate_limited(accounts: AccountFactory) -> None:
    caller = await accounts.as_role("member")
    await caller.post("/api/v1/me/totp")
    statuses = [
        (await caller.post("/api/v1/me/totp/confirm", json={"code": "000000"})).status_code for _ in range(6)
    ]
    assert statuses == [422] * 5 + [429]


# -- sessions, CSRF, passwords ----------------------------------------------------------------------


async def test_logout_revokes_the_session(accounts: AccountFactory) -> None:
    caller = await accounts.as_role("member")
    assert (await caller.post("/api/v1/auth/logout")).status_code == 204
    assert (await caller.get("/api/v1/me")).status_code == 401
    assert await MemberSession.count() == 0


async def test_idle_and_old_sessions_end(accounts: AccountFactory) -> None:
    idle = await accounts.as_role("member")
    old = await accounts.as_role("member")
    now = utcnow()
    await MemberSession.update({MemberSession.last_seen_at: now - timedelta(minutes=31)}).where(
        MemberSession.member == idle.member.id  # type: ignore[union-attr]
    )
    await MemberSession.update({MemberSession.expires_at: now - timedelta(seconds=1)}).where(
        MemberSession.member == old.member.id  # type: ignore[union-attr]
    )
    assert (await idle.get("/api/v1/me")).status_code == 401
    assert (await old.get("/api/v1/me")).status_code == 401


async def test_state_changes_with_the_session_cookie_need_the_csrf_token(accounts: AccountFactory) -> None:
    caller = await accounts.as_role("member")
    without = await caller.post(
        "/api/v1/me/tokens", json={"name": "x", "password": DEFAULT_PASSWORD}, headers={"x-csrftoken": ""}
    )
    assert without.status_code == 403
    assert "csrftoken" in without.json()["detail"]
    forged = await caller.post(
        "/api/v1/me/tokens",
        json={"name": "x", "password": DEFAULT_PASSWORD},
        headers={"x-csrftoken": "a" * 32 + "." + "b" * 64},
    )
    assert forged.status_code == 403
    other = await accounts.as_role("member")
    # A token made for another session does not work with this one.
    stolen = await caller.post(
        "/api/v1/me/tokens",
        json={"name": "x", "password": DEFAULT_PASSWORD},
        headers={"x-csrftoken": other.csrf_token or ""},
    )
    assert stolen.status_code == 403
    assert (
        await caller.post("/api/v1/me/tokens", json={"name": "x", "password": DEFAULT_PASSWORD})
    ).status_code == 201


async def test_cross_site_forms_cannot_log_in(
    client: AsyncTestClient[Litestar], accounts: AccountFactory
) -> None:
    member = await accounts.create("member")
    form = await client.post("/api/v1/auth/login", data={"email": member.email, "password": DEFAULT_PASSWORD})
    assert form.status_code == 403
    text = await client.post(
        "/api/v1/auth/login",
        content=f'{{"email": "{member.email}", "password": "{DEFAULT_PASSWORD}"}}',
        headers={"content-type": "text/plain"},
    )
    assert text.status_code == 403


async def test_safe_requests_hand_out_a_csrf_cookie(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/healthz")
    assert "csrftoken" in response.cookies


async def test_changing_the_password_ends_the_other_sessions(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    member = await accounts.create("member")
    here = await accounts.caller(member)
    elsewhere = await accounts.caller(member)
    wrong = await here.post(
        "/api/v1/me/password",
        json={"current_password": "not it at all", "new_password": "a brand new passphrase"},
    )
    assert wrong.status_code == 403
    common = await here.post(
        "/api/v1/me/password", json={"current_password": DEFAULT_PASSWORD, "new_password": "password12345678"}
    )
    assert common.status_code == 422 and "common" in common.json()["detail"]
    changed = await here.post(
        "/api/v1/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": "a brand new passphrase"},
    )
    assert changed.status_code == 204
    assert (await here.get("/api/v1/me")).status_code == 200
    assert (await elsewhere.get("/api/v1/me")).status_code == 401
    client.cookies.clear()
    old = await client.post("/api/v1/auth/login", json={"email": member.email, "password": DEFAULT_PASSWORD})
    assert old.status_code == 401
    new = await client.post(
        "/api/v1/auth/login", json={"email": member.email, "password": "a brand new passphrase"}
    )
    assert new.status_code == 200


async def test_login_rehashes_a_password_stored_with_old_parameters(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    member = await accounts.create("member")
    weak = Argon2id(salt=b"0123456789abcdef", length=32, iterations=1, lanes=1, memory_cost=8 * 1024)
    await Member.update({Member.password_hash: weak.derive_phc_encoded(DEFAULT_PASSWORD.encode())}).where(
        Member.id == member.id
    )
    assert (
        await client.post("/api/v1/auth/login", json={"email": member.email, "password": DEFAULT_PASSWORD})
    ).status_code == 200
    row = await Member.objects().where(Member.id == member.id).first()
    assert row is not None and row.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


# -- API tokens ------------------------------------------------------------------------------------


async def test_api_tokens_are_shown_once_work_as_bearer_and_can_be_revoked(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    caller = await accounts.as_role("member")
    created = await caller.post(
        "/api/v1/me/tokens", json={"name": "scanner", "expires_in_days": 7, "password": DEFAULT_PASSWORD}
    )
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("int_")
    listed = await caller.get("/api/v1/me/tokens")
    assert [item["name"] for item in listed.json()] == ["scanner"]
    assert token not in listed.text
    row = await ApiToken.objects().first()
    assert row is not None and token not in row.token_hash

    client.cookies.clear()
    bearer = {"authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/me", headers=bearer)).json()["email"] == caller.member.email  # type: ignore[union-attr]
    # Bearer requests need no CSRF token.
    assert (
        await client.post(
            "/api/v1/me/tokens", json={"name": "second", "password": DEFAULT_PASSWORD}, headers=bearer
        )
    ).status_code == 201
    revoked = await caller.delete(f"/api/v1/me/tokens/{created.json()['id']}")
    assert revoked.status_code == 204
    assert (await client.get("/api/v1/me", headers=bearer)).status_code == 401


async def test_expired_and_malformed_tokens_are_refused(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    caller = await accounts.as_role("member")
    token = (
        await caller.post("/api/v1/me/tokens", json={"name": "old", "password": DEFAULT_PASSWORD})
    ).json()["token"]
    await ApiToken.update({ApiToken.expires_at: utcnow() - timedelta(seconds=1)}).where(
        ApiToken.name == "old"
    )
    client.cookies.clear()
    assert (await client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})).status_code == 401
    assert (await client.get("/api/v1/me", headers={"authorization": "Basic abc"})).status_code == 401
    assert (await client.get("/api/v1/me", headers={"authorization": "Bearer int_nope"})).status_code == 401


async def test_a_token_needs_the_password_again_and_a_second_factor_code_for_the_review_team(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    member = await accounts.as_role("member")
    assert (await member.post("/api/v1/me/tokens", json={"name": "t"})).status_code == 422
    wrong = await member.post("/api/v1/me/tokens", json={"name": "t", "password": "not it at all"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "password_wrong"
    # A stolen bearer token cannot mint a lasting one without the password.
    token = (await member.post("/api/v1/me/tokens", json={"name": "t", "password": DEFAULT_PASSWORD})).json()
    client.cookies.clear()
    bearer = {"authorization": f"Bearer {token['token']}"}
    minted = await client.post(
        "/api/v1/me/tokens", json={"name": "more", "password": "guess"}, headers=bearer
    )
    assert minted.status_code == 403
    reviewer = await accounts.as_role("reviewer")
    no_code = await reviewer.post("/api/v1/me/tokens", json={"name": "t", "password": DEFAULT_PASSWORD})
    assert no_code.status_code == 403 and no_code.json()["code"] == "totp_required"
    bad_code = await reviewer.post(
        "/api/v1/me/tokens", json={"name": "t", "password": DEFAULT_PASSWORD, "totp": "000000"}
    )
    assert bad_code.status_code == 403 and bad_code.json()["code"] == "totp_wrong"
    made = await reviewer.post(
        "/api/v1/me/tokens",
        json={"name": "t", "password": DEFAULT_PASSWORD, "totp": reviewer.member.next_totp_code()},
    )
    assert made.status_code == 201, made.text


async def test_changing_the_password_ends_every_token_and_other_session(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    member = await accounts.as_role("member")
    elsewhere = await accounts.caller(member.member)
    token = (await member.post("/api/v1/me/tokens", json={"name": "t", "password": DEFAULT_PASSWORD})).json()
    changed = await member.post(
        "/api/v1/me/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": "a new and long passphrase 42"},
    )
    assert changed.status_code == 204, changed.text
    assert (await member.get("/api/v1/me")).status_code == 200
    assert (await elsewhere.get("/api/v1/me")).status_code == 401
    client.cookies.clear()
    assert (
        await client.get("/api/v1/me", headers={"authorization": f"Bearer {token['token']}"})
    ).status_code == 401
    assert await ApiToken.count() == 0


async def test_someone_elses_token_cannot_be_revoked(accounts: AccountFactory) -> None:
    owner = await accounts.as_role("member")
    token_id = (
        await owner.post("/api/v1/me/tokens", json={"name": "mine", "password": DEFAULT_PASSWORD})
    ).json()["id"]
    stranger = await accounts.as_role("admin")
    assert (await stranger.delete(f"/api/v1/me/tokens/{token_id}")).status_code == 404
    assert await ApiToken.count() == 1


# -- invitations and members -----------------------------------------------------------------------


async def test_an_invitation_works_once(accounts: AccountFactory, client: AsyncTestClient[Litestar]) -> None:
    admin = await accounts.as_role("admin")
    created = await admin.post("/api/v1/invitations", json={"email": "Vesna@Example.org", "role": "editor"})
    assert created.status_code == 201
    token = created.json()["token"]
    stored = await Invitation.objects().first()
    assert stored is not None and stored.token_hash != token and stored.email == "vesna@example.org"
    body = {"display_name": "Vesna", "profession": "lawyer", "password": DEFAULT_PASSWORD}
    client.cookies.clear()
    weak = await client.post(f"/api/v1/invitations/{token}/accept", json={**body, "password": "short"})
    assert weak.status_code == 422
    accepted = await client.post(f"/api/v1/invitations/{token}/accept", json=body)
    assert accepted.status_code == 201
    # The editor role waits for a second admin: until then she is a member.
    assert accepted.json()["member"]["role"] == "member"
    assert accepted.json()["member"]["email"] == "vesna@example.org"
    assert created.json()["grant"]["status"] == "pending"
    again = await client.post(f"/api/v1/invitations/{token}/accept", json=body)
    assert again.status_code == 404
    unknown = await client.post("/api/v1/invitations/not-a-real-token/accept", json=body)
    assert unknown.status_code == 404 and unknown.json() == again.json()


async def test_an_expired_invitation_is_404(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    admin = await accounts.as_role("admin")
    token = (
        await admin.post("/api/v1/invitations", json={"email": "late@example.org", "role": "member"})
    ).json()["token"]
    await Invitation.update({Invitation.expires_at: utcnow() - timedelta(seconds=1)}).where(
        Invitation.email == "late@example.org"
    )
    client.cookies.clear()
    response = await client.post(
        f"/api/v1/invitations/{token}/accept",
        json={"display_name": "Late", "profession": "other", "password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 404


async def test_guessing_invitation_tokens_is_rate_limited(client: AsyncTestClient[Litestar]) -> None:
    body = {"display_name": "X", "profession": "other", "password": DEFAULT_PASSWORD}
    statuses = [
        (await client.post(f"/api/v1/invitations/guess{n}/accept", json=body)).status_code for n in range(11)
    ]
    assert statuses == [404] * 10 + [429]


async def test_inviting_an_existing_member_or_a_bad_role_is_refused(accounts: AccountFactory) -> None:
    admin = await accounts.as_role("admin")
    existing = await accounts.create("member")
    assert (
        await admin.post("/api/v1/invitations", json={"email": existing.email, "role": "member"})
    ).status_code == 409
    assert (
        await admin.post("/api/v1/invitations", json={"email": "x@example.org", "role": "owner"})
    ).status_code in {400, 422}
    assert (
        await admin.post("/api/v1/invitations", json={"email": "not-an-address", "role": "member"})
    ).status_code == 422


async def test_deactivating_a_member_ends_their_sessions_and_tokens_at_once(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    admin = await accounts.as_role("admin")
    member = await accounts.as_role("member")
    token = (await member.post("/api/v1/me/tokens", json={"name": "t", "password": DEFAULT_PASSWORD})).json()[
        "token"
    ]
    response = await admin.patch(f"/api/v1/members/{member.member.id}", json={"is_active": False})  # type: ignore[union-attr]
    assert response.status_code == 200 and response.json()["is_active"] is False
    assert (await member.get("/api/v1/me")).status_code == 401
    client.cookies.clear()
    assert (await client.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})).status_code == 401


async def test_a_role_change_takes_effect_on_the_next_request(accounts: AccountFactory) -> None:
    admin = await accounts.as_role("admin")
    member = await accounts.as_role("member")
    promoted = await admin.patch(f"/api/v1/members/{member.member.id}", json={"role": "reviewer"})  # type: ignore[union-attr]
    assert promoted.json()["role"] == "member" and promoted.json()["grant"]["status"] == "pending"
    second = await accounts.as_role("admin")
    confirmed = await second.post(f"/api/v1/grants/{promoted.json()['grant']['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    # A new reviewer without a second factor must enrol before anything else.
    assert (await member.get("/api/v1/me")).json()["role"] == "reviewer"
    assert (await member.get("/api/v1/me/tokens")).status_code == 403
    listed = await admin.get("/api/v1/members")
    assert {item["email"] for item in listed.json()} >= {member.member.email}  # type: ignore[union-attr]


async def test_an_admin_cannot_demote_or_deactivate_themselves(accounts: AccountFactory) -> None:
    admin = await accounts.as_role("admin")
    me = admin.member.id  # type: ignore[union-attr]
    assert (await admin.patch(f"/api/v1/members/{me}", json={"role": "member"})).status_code == 409
    assert (await admin.patch(f"/api/v1/members/{me}", json={"is_active": False})).status_code == 409
    assert (
        await admin.patch("/api/v1/members/00000000-0000-0000-0000-000000000000", json={"role": "member"})
    ).status_code == 404


# -- two people for power ---------------------------------------------------------------------------


async def test_a_role_grant_without_a_second_confirmation_changes_nothing(
    accounts: AccountFactory, client: AsyncTestClient[Litestar], settings: Any
) -> None:
    from integrity.custody.service import verify_log
    from integrity.custody.signing import load_trusted_keys
    from integrity.custody.tables import CustodyEntry

    admin = await accounts.as_role("admin")
    member = await accounts.as_role("member")
    url = f"/api/v1/members/{member.member.id}"  # type: ignore[union-attr]
    asked = await admin.patch(url, json={"role": "editor"})
    assert asked.status_code == 200 and asked.json()["role"] == "member"
    grant = asked.json()["grant"]
    assert grant["status"] == "pending" and grant["role"] == "editor"
    assert (await member.get("/api/v1/me")).json()["role"] == "member"
    # The one who asked cannot confirm, nor can the one it is for, nor a reviewer.
    alone = await admin.post(f"/api/v1/grants/{grant['id']}/confirm")
    assert alone.status_code == 403 and alone.json()["code"] == "grant_same_person"
    reviewer = await accounts.as_role("reviewer")
    assert (await reviewer.post(f"/api/v1/grants/{grant['id']}/confirm")).status_code == 403
    assert (await member.get("/api/v1/me")).json()["role"] == "member"
    # An editor confirms while the platform has a single admin.
    editor = await accounts.as_role("editor")
    confirmed = await editor.post(f"/api/v1/grants/{grant['id']}/confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert (await member.get("/api/v1/me")).json()["role"] == "editor"
    again = await editor.post(f"/api/v1/grants/{grant['id']}/confirm")
    assert again.status_code == 409
    # Lowering takes effect at once.
    lowered = await admin.patch(url, json={"role": "member"})
    assert lowered.json()["role"] == "member" and lowered.json()["grant"] is None
    deactivated = await admin.patch(url, json={"is_active": False})
    assert deactivated.status_code == 200
    # Every step is on record, with pseudonymous actors, and the log verifies.
    actions = [
        row["action"] for row in await CustodyEntry.select(CustodyEntry.action).order_by(CustodyEntry.seq)
    ]
    assert actions[-4:] == [
        "account.role_requested",
        "account.role_granted",
        "account.role_lowered",
        "account.deactivated",
    ]
    logged = await CustodyEntry.select().where(CustodyEntry.action.like("account.%"))
    assert all(str(member.member.id) not in row["subject"] + row["actor"] for row in logged)  # type: ignore[union-attr]
    assert (await verify_log(load_trusted_keys(settings.signing_key_file))).ok


async def test_a_lost_second_factor_is_reset_by_two_people(
    accounts: AccountFactory, client: AsyncTestClient[Litestar]
) -> None:
    admin = await accounts.as_role("admin")
    second = await accounts.as_role("admin")
    reviewer = await accounts.as_role("reviewer")
    member_id = reviewer.member.id  # type: ignore[union-attr]
    asked = await admin.post(f"/api/v1/members/{member_id}/second-factor-reset")
    assert asked.status_code == 201 and asked.json()["kind"] == "second_factor_reset"
    # Nothing happened yet.
    assert (await Member.objects().where(Member.id == member_id).first()).totp_enabled
    assert (await reviewer.get("/api/v1/me")).status_code == 200
    confirmed = await second.post(f"/api/v1/grants/{asked.json()['id']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    row = await Member.objects().where(Member.id == member_id).first()
    assert row is not None and not row.totp_enabled and row.totp_secret_sealed is None
    # Their sessions ended; at the next log-in they enrol again.
    assert (await reviewer.get("/api/v1/me")).status_code == 401
    client.cookies.clear()
    login = await client.post(
        "/api/v1/auth/login",
        json={"email": reviewer.member.email, "password": DEFAULT_PASSWORD},  # type: ignore[union-attr]
    )
    assert login.status_code == 200 and login.json()["totp_required"] is True
    nothing = await admin.post(f"/api/v1/members/{member_id}/second-factor-reset")
    assert nothing.status_code == 409 and nothing.json()["code"] == "no_second_factor"
