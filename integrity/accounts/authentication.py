"""Who is calling: the session cookie or the `Authorization: Bearer` API token, resolved per request.

`AuthenticationMiddleware` puts an `integrity.security.guards.Principal` (or None for anonymous
callers) in `request.user`; route guards then decide. Handlers that need the caller declare a
`principal: Principal` parameter (the app-level `provide_principal` dependency).
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.middleware.authentication import AbstractAuthenticationMiddleware, AuthenticationResult

from integrity.accounts import login as accounts_login
from integrity.errors import NotAuthenticated
from integrity.security.guards import Principal, principal_of
from integrity.settings import AccountSettings, Settings

SESSION_COOKIE = "integrity_session"


class AuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Never refuses by itself: an unknown, expired or revoked credential makes the caller anonymous,
    and the route's guard answers 401 where a login is needed."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        accounts: AccountSettings = connection.app.state.settings.accounts
        authorization = connection.headers.get("authorization")
        principal: Principal | None = None
        if authorization is not None:
            # With an Authorization header the cookie is ignored: that is what makes bearer requests
            # safe to exempt from CSRF checks.
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                principal = await accounts_login.principal_for_api_token(
                    token.strip(), connection.app.state.signer
                )
        else:
            cookie = connection.cookies.get(SESSION_COOKIE)
            if cookie:
                principal = await accounts_login.principal_for_session(
                    cookie, accounts, connection.app.state.signer
                )
        return AuthenticationResult(user=principal, auth=None)


async def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The logged-in caller, for handlers behind `requires_login` or a role guard."""
    principal = principal_of(request)
    if principal is None:
        raise NotAuthenticated(
            "log in first (session cookie or Authorization: Bearer token)", code="login_required"
        )
    return principal


def session_cookie(value: str, settings: Settings) -> Cookie:
    # No Max-Age: the browser forgets it when it closes; the server ends it earlier still.
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.is_https,
    )
