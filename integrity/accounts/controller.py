"""The accounts API: log-in and log-out, the caller's own account, invitations, and members (admin)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie, State
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from integrity.accounts import grants as accounts_grants
from integrity.accounts import invitations as accounts_invitations
from integrity.accounts import login as accounts_login
from integrity.accounts import members as accounts_members
from integrity.accounts import second_factor
from integrity.accounts.authentication import SESSION_COOKIE, session_cookie
from integrity.accounts.schemas import (
    AcceptedOut,
    AcceptInvitationIn,
    GrantOut,
    InvitationCreatedOut,
    InvitationIn,
    InvitationOut,
    LoginIn,
    LoginOut,
    MemberAdminOut,
    MemberOut,
    MemberUpdateIn,
    PasswordChangeIn,
    TokenCreatedOut,
    TokenCreateIn,
    TokenOut,
    TotpConfirmedOut,
    TotpConfirmIn,
    TotpEnrolmentOut,
)
from integrity.accounts.tables import (
    ApiToken,
    Grant,
    GrantKind,
    GrantStatus,
    Invitation,
    Member,
    Profession,
    Role,
)
from integrity.errors import Forbidden
from integrity.security.csrf import CSRF_COOKIE, csrf_cookie, new_csrf_token
from integrity.security.guards import ALLOWED_BEFORE_TOTP, Principal, requires_admin, requires_login
from integrity.security.ratelimit import RateLimiter, client_key
from integrity.security.system_keys import SystemKeys
from integrity.settings import Settings


def member_out(member: Member) -> MemberOut:
    return MemberOut(
        id=member.id,
        email=member.email,
        display_name=member.display_name,
        profession=Profession(member.profession),
        role=Role(member.role),
        totp_enabled=member.totp_enabled,
    )


def principal_out(principal: Principal) -> MemberOut:
    return MemberOut(
        id=principal.id,
        email=principal.email,
        display_name=principal.display_name,
        profession=Profession(principal.profession),
        role=Role(principal.role),
        totp_enabled=principal.totp_enabled,
    )


def member_admin_out(member: Member) -> MemberAdminOut:
    return MemberAdminOut(
        id=member.id,
        email=member.email,
        display_name=member.display_name,
        profession=Profession(member.profession),
        role=Role(member.role),
        totp_enabled=member.totp_enabled,
        is_active=member.is_active,
        created_at=member.created_at,
        locked_until=member.locked_until,
    )


def grant_out(grant: Grant) -> GrantOut:
    return GrantOut(
        id=grant.id,
        status=GrantStatus(grant.status),
        kind=GrantKind(grant.kind),
        role=Role(grant.role) if grant.role else None,
        member_id=grant.member,
        requested_at=grant.requested_at,
        confirmed_at=grant.confirmed_at,
    )


def token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.id,
        name=token.name,
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
    )


def invitation_out(invitation: Invitation) -> InvitationOut:
    return InvitationOut(
        id=invitation.id,
        email=invitation.email,
        role=Role(invitation.role),
        created_at=invitation.created_at,
        expires_at=invitation.expires_at,
        accepted_at=invitation.accepted_at,
    )


def _client(request: Request[Any, Any, Any]) -> str:
    return client_key(request.scope.get("client"))


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["accounts"]

    @post("/login", operation_id="log_in", status_code=HTTP_200_OK)
    async def log_in(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginIn],
        settings: NamedDependency[Settings],
        limiter: NamedDependency[RateLimiter],
        keys: NamedDependency[SystemKeys],
        csrf_key: NamedDependency[bytes],
    ) -> Response[LoginOut]:
        """Log in with e-mail, password and (once enrolled) a TOTP or recovery code."""
        result = await accounts_login.log_in(
            email=data.email,
            password=data.password,
            totp=data.totp,
            client=_client(request),
            limiter=limiter,
            keys=keys,
            accounts=settings.accounts,
        )
        csrf = new_csrf_token(csrf_key, result.session_token)
        return Response(
            LoginOut(member=member_out(result.member), totp_required=result.totp_required, csrf_token=csrf),
            cookies=[
                session_cookie(result.session_token, settings),
                csrf_cookie(csrf, secure=settings.is_https),
            ],
        )

    @post(
        "/logout",
        operation_id="log_out",
        status_code=HTTP_204_NO_CONTENT,
        guards=[requires_login],
        opt={ALLOWED_BEFORE_TOTP: True},
        # Declared here rather than set on a returned `Response[None]`, which the OpenAPI document
        # would describe as a JSON body that a 204 never has.
        response_cookies=[
            Cookie(key=SESSION_COOKIE, value="", path="/", max_age=0, expires=0),
            Cookie(key=CSRF_COOKIE, value="", path="/", max_age=0, expires=0),
        ],
    )
    async def log_out(self, principal: NamedDependency[Principal]) -> None:
        """End the session (or revoke the API token) this request came with."""
        await accounts_login.log_out(principal)


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["accounts"]
    guards = [requires_login]

    @get("/", operation_id="get_me", opt={ALLOWED_BEFORE_TOTP: True})
    async def me(self, principal: NamedDependency[Principal]) -> MemberOut:
        return principal_out(principal)

    @post(
        "/totp", operation_id="start_totp_enrolment", status_code=HTTP_200_OK, opt={ALLOWED_BEFORE_TOTP: True}
    )
    async def start_totp(
        self, principal: NamedDependency[Principal], keys: NamedDependency[SystemKeys]
    ) -> TotpEnrolmentOut:
        """A new TOTP secret and its otpauth:// URI; confirm it with a code to enable it."""
        enrolment = await second_factor.start_totp_enrolment(principal, keys)
        return TotpEnrolmentOut(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri)

    @post(
        "/totp/confirm",
        operation_id="confirm_totp",
        status_code=HTTP_200_OK,
        opt={ALLOWED_BEFORE_TOTP: True},
    )
    async def confirm_totp(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TotpConfirmIn],
        principal: NamedDependency[Principal],
        limiter: NamedDependency[RateLimiter],
        keys: NamedDependency[SystemKeys],
    ) -> TotpConfirmedOut:
        """Enable the second factor; the answer carries the recovery codes, shown only this once."""
        codes = await second_factor.confirm_totp(
            principal, data.code, client=_client(request), limiter=limiter, keys=keys
        )
        return TotpConfirmedOut(totp_enabled=True, recovery_codes=codes)

    @post("/password", operation_id="change_password", status_code=HTTP_204_NO_CONTENT)
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[PasswordChangeIn],
        principal: NamedDependency[Principal],
        limiter: NamedDependency[RateLimiter],
    ) -> None:
        """Change the password; every other session of the account ends."""
        await accounts_login.change_password(
            principal,
            current_password=data.current_password,
            new_password=data.new_password,
            client=_client(request),
            limiter=limiter,
        )

    @post("/tokens", operation_id="create_api_token", status_code=HTTP_201_CREATED)
    async def create_token(
        self,
        state: State,
        request: Request[Any, Any, Any],
        data: JSONBody[TokenCreateIn],
        principal: NamedDependency[Principal],
        limiter: NamedDependency[RateLimiter],
        keys: NamedDependency[SystemKeys],
    ) -> TokenCreatedOut:
        """A named API token for `Authorization: Bearer`; the token is shown only in this answer.
        Asks for the password again (and a second-factor code when the member has one)."""
        row, token = await accounts_login.issue_api_token(
            state.signer,
            principal,
            name=data.name,
            expires_in_days=data.expires_in_days,
            password=data.password,
            code=data.totp,
            client=_client(request),
            limiter=limiter,
            keys=keys,
        )
        return TokenCreatedOut(id=row.id, token=token, name=row.name, expires_at=row.expires_at)

    @get("/tokens", operation_id="list_api_tokens")
    async def list_tokens(self, principal: NamedDependency[Principal]) -> list[TokenOut]:
        return [token_out(row) for row in await accounts_login.list_api_tokens(principal)]

    @delete("/tokens/{token_id:uuid}", operation_id="revoke_api_token", status_code=HTTP_204_NO_CONTENT)
    async def revoke_token(
        self, state: State, token_id: FromPath[uuid.UUID], principal: NamedDependency[Principal]
    ) -> None:
        await accounts_login.revoke_api_token(state.signer, principal, token_id)


class InvitationController(Controller):
    path = "/api/v1/invitations"
    tags = ["accounts"]
    guards = [requires_admin]

    @post("/", operation_id="create_invitation", status_code=HTTP_201_CREATED)
    async def create(
        self,
        state: State,
        data: JSONBody[InvitationIn],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
    ) -> InvitationCreatedOut:
        """Invite someone by e-mail in a role; the one-time token is shown only in this answer. A
        reviewer, editor or admin role waits for a second admin (`grant`)."""
        invitation, token, grant = await accounts_invitations.invite(
            state.signer,
            email=data.email,
            role=data.role,
            invited_by=principal.id,
            accounts=settings.accounts,
        )
        return InvitationCreatedOut(
            id=invitation.id,
            token=token,
            expires_at=invitation.expires_at,
            email=invitation.email,
            role=data.role,
            grant=grant_out(grant) if grant else None,
        )

    @get("/", operation_id="list_invitations")
    async def list(self) -> list[InvitationOut]:
        return [invitation_out(row) for row in await accounts_invitations.list_invitations()]

    @delete("/{invitation_id:uuid}", operation_id="revoke_invitation", status_code=HTTP_204_NO_CONTENT)
    async def revoke(self, invitation_id: FromPath[uuid.UUID]) -> None:
        await accounts_invitations.revoke_invitation(invitation_id)


class InvitationAcceptanceController(Controller):
    path = "/api/v1/invitations"
    tags = ["accounts"]

    @post("/{token:str}/accept", operation_id="accept_invitation", status_code=HTTP_201_CREATED)
    async def accept(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        data: JSONBody[AcceptInvitationIn],
        limiter: NamedDependency[RateLimiter],
    ) -> AcceptedOut:
        """Join with an invitation's token; log in afterwards (review roles then enrol TOTP)."""
        member = await accounts_invitations.accept_invitation(
            token,
            display_name=data.display_name,
            profession=data.profession,
            password=data.password,
            client=_client(request),
            limiter=limiter,
        )
        return AcceptedOut(member=member_out(member))


class MemberAdminController(Controller):
    path = "/api/v1/members"
    tags = ["accounts"]
    guards = [requires_admin]

    @get("/", operation_id="list_members")
    async def list(self) -> list[MemberAdminOut]:
        return [member_admin_out(row) for row in await accounts_members.list_members()]

    @patch("/{member_id:uuid}", operation_id="update_member")
    async def update(
        self,
        state: State,
        member_id: FromPath[uuid.UUID],
        data: JSONBody[MemberUpdateIn],
        principal: NamedDependency[Principal],
    ) -> MemberAdminOut:
        """Change a member's role or (de)activate them; deactivation ends their sessions and tokens.
        Raising a role to reviewer, editor or admin answers with the `grant` a second admin confirms."""
        member, grant = await accounts_members.update_member(
            state.signer, principal, member_id, role=data.role, is_active=data.is_active
        )
        return msgspec.structs.replace(member_admin_out(member), grant=grant_out(grant) if grant else None)

    @post(
        "/{member_id:uuid}/second-factor-reset", operation_id="request_second_factor_reset", status_code=201
    )
    async def second_factor_reset(
        self, state: State, member_id: FromPath[uuid.UUID], principal: NamedDependency[Principal]
    ) -> GrantOut:
        """Ask to clear a member's lost second factor; another admin confirms it (`/api/v1/grants`)."""
        return grant_out(
            await accounts_grants.request_second_factor_reset(state.signer, principal, member_id)
        )


class GrantController(Controller):
    path = "/api/v1/grants"
    tags = ["accounts"]
    guards = [requires_login]

    @get("/", operation_id="list_grants")
    async def list(
        self,
        principal: NamedDependency[Principal],
        pending: Annotated[bool, QueryParameter()] = False,
    ) -> list[GrantOut]:
        """Role grants and second-factor resets, newest first (admins, and editors, who may confirm
        where the platform has one admin)."""
        if principal.role not in (Role.admin, Role.editor):
            raise Forbidden("grants are for admins", code="admin_only")
        return [grant_out(row) for row in await accounts_grants.list_grants(pending_only=pending)]

    @post("/{grant_id:uuid}/confirm", operation_id="confirm_grant", status_code=200)
    async def confirm(
        self, state: State, grant_id: FromPath[uuid.UUID], principal: NamedDependency[Principal]
    ) -> GrantOut:
        """The second person confirms: the role is given, or the second factor cleared."""
        return grant_out(await accounts_grants.confirm_grant(state.signer, principal, grant_id))
