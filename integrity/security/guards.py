"""Who is calling (`Principal`) and the route guards that check it; object-level checks live in services.

The authentication middleware (`integrity.accounts.authentication`) puts a `Principal` or None in
`request.user`. Guards are small functions with Litestar's guard signature, so they can be unit-tested
with a bare connection. A review-team member without a second factor may only reach the handlers
marked with `opt={ALLOWED_BEFORE_TOTP: True}` (`/api/v1/me` and `/api/v1/me/totp*`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import msgspec
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from integrity.errors import Forbidden, NotAuthenticated
from integrity.security.roles import ADMIN, REVIEW_TEAM, ROLES, SECOND_FACTOR_ROLES

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]


#: Route `opt` key: the handler stays reachable for a review-team member who has not enrolled TOTP.
ALLOWED_BEFORE_TOTP = "allowed_before_totp"

ENROL_FIRST = (
    "your role needs a second factor: enrol one with POST /api/v1/me/totp and confirm it with "
    "POST /api/v1/me/totp/confirm before doing anything else"
)


class Principal(msgspec.Struct, frozen=True, kw_only=True):
    """The member behind a request, as the authentication middleware found them (never a table row)."""

    id: uuid.UUID
    email: str
    display_name: str
    profession: str
    role: str
    totp_enabled: bool
    #: "session" (cookie) or "token" (Authorization: Bearer).
    via: str
    #: The id of the session or API token the request came with.
    credential_id: uuid.UUID
    #: How the cases this member filed name them (``Signer.filer_tag``): a case stores this keyed
    #: hash, never the member's id, so a database dump does not say who filed what.
    filer_tag: str

    @property
    def in_review_team(self) -> bool:
        return self.role in REVIEW_TEAM

    @property
    def needs_second_factor(self) -> bool:
        return self.role in SECOND_FACTOR_ROLES

    @property
    def must_enrol_totp(self) -> bool:
        """True while a member whose role needs a second factor has none confirmed."""
        return self.needs_second_factor and not self.totp_enabled


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    user = connection.scope.get("user")
    return user if isinstance(user, Principal) else None


def requires_login(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    principal = principal_of(connection)
    if principal is None:
        raise NotAuthenticated(
            "log in first (session cookie or Authorization: Bearer token)", code="login_required"
        )
    if principal.must_enrol_totp and not handler.opt.get(ALLOWED_BEFORE_TOTP):
        raise Forbidden(ENROL_FIRST, code="second_factor_required")


def requires_role(*roles: str) -> Guard:
    """A guard admitting logged-in members with one of `roles` (403 for other members)."""
    allowed = frozenset(roles)
    unknown = allowed - ROLES
    if not allowed or unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
        requires_login(connection, handler)
        principal = principal_of(connection)
        if principal is None or principal.role not in allowed:
            raise Forbidden("your role does not allow this", code="role_not_allowed")

    guard.__name__ = guard.__qualname__ = f"requires_role({', '.join(sorted(allowed))})"
    return guard


requires_admin = requires_role(ADMIN)
