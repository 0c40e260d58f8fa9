"""What every members' page controller shares: the page guards, redirects, and errors as pages.

The guards mirror `integrity.security.guards` for people with a browser: an anonymous visitor is
sent to the log-in page (303) instead of getting a 401, and a review-team member without a second
factor is sent to enrol one. Object-level rules stay in the services; a page only shows the actions
a service returned.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from litestar import MediaType, Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from litestar.utils.scope.state import ScopeState

from integrity.errors import Forbidden, IntegrityError, NotAuthenticated, RateLimited
from integrity.http.problems import handle_unexpected
from integrity.security.csrf import SESSION_ENDED
from integrity.security.guards import ALLOWED_BEFORE_TOTP, Principal, principal_of
from integrity.security.roles import ADMIN, REVIEW_TEAM

LOGIN_PATH = "/login"
HOME_PATH = "/app/"
TOTP_PATH = "/app/totp"


class LoginRequired(NotAuthenticated):
    """A page needs a logged-in member; the visitor is sent to the log-in page."""


class EnrolmentRequired(Forbidden):
    """A review-team member must enrol a second factor before any other members' page."""


def session_ended(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """A form of ours sent after its session ended: the pages' ``before_request`` answers it (the
    text kept, a new log-in asked for); no handler runs, so the guards let it through to there."""
    return bool(connection.scope.get(SESSION_ENDED)) and connection.scope.get("method") == "POST"  # type: ignore[call-overload]


def requires_page_login(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if session_ended(connection):
        return
    principal = principal_of(connection)
    if principal is None:
        raise LoginRequired("log in first", code="login_required")
    if principal.must_enrol_totp and not handler.opt.get(ALLOWED_BEFORE_TOTP):
        raise EnrolmentRequired("your role needs a second factor", code="second_factor_required")


def requires_page_admin(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    if session_ended(connection):
        return
    requires_page_login(connection, handler)
    principal = principal_of(connection)
    if principal is None or principal.role != ADMIN:
        raise Forbidden("your role does not allow this", code="role_not_allowed")


def requires_page_review_team(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Reviewers' and editors' pages (admins run the platform without reading cases)."""
    if session_ended(connection):
        return
    requires_page_login(connection, handler)
    principal = principal_of(connection)
    if principal is None or principal.role not in REVIEW_TEAM:
        raise Forbidden("your role does not allow this", code="role_not_allowed")


def safe_next(value: str | None) -> str:
    """Where to go after logging in: a path on this site under /app/, never another site."""
    if not value:
        return HOME_PATH
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or "\\" in value or "//" in value:
        return HOME_PATH
    if value == "/app":
        return HOME_PATH
    return value if value.startswith("/app/") else HOME_PATH


def see_other(path: str) -> Redirect:
    return Redirect(path=path, status_code=HTTP_303_SEE_OTHER)


def page(
    template: str, status_code: int = 200, *, headers: dict[str, str] | None = None, **context: Any
) -> Template:
    return Template(
        template_name=template,
        context=context,
        status_code=status_code,
        media_type=MediaType.HTML,
        headers=headers,
    )


def error_page(
    status: int, title: str, detail: IntegrityError | str, headers: dict[str, str] | None = None
) -> Template:
    """The error page; `detail` is a refusal (its message is looked up by code) or a page's own message."""
    return page("error.html", status, headers=headers, status=status, title=title, detail=detail)


def _login_redirect(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = HOME_PATH
    return see_other(f"{LOGIN_PATH}?next={quote(target, safe='/')}")  # type: ignore[return-value]


def _enrol_redirect(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    return see_other(TOTP_PATH)  # type: ignore[return-value]


def _integrity_page(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    if exc.status_code >= 500:
        return handle_unexpected(request, exc)
    return error_page(exc.status_code, exc.title, exc, headers)  # type: ignore[return-value]


def _http_page(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, NotFoundException):
        return error_page(404, "Not found", "no such case")  # type: ignore[return-value]
    status = exc.status_code
    if status == 400:
        # A form that is not what the page sent (a missing or malformed field).
        return error_page(400, "Bad request", "the request does not match the expected fields")  # type: ignore[return-value]
    return error_page(status, "Error", exc.detail or "Error")  # type: ignore[return-value]


#: Members' pages always answer with pages, whatever the browser's Accept header says.
PAGE_EXCEPTION_HANDLERS: dict[Any, Any] = {
    LoginRequired: _login_redirect,
    EnrolmentRequired: _enrol_redirect,
    IntegrityError: _integrity_page,
    HTTPException: _http_page,
}


async def ensure_csrf_state(request: Request[Any, Any, Any]) -> None:
    """A form post that came without any CSRF token (an empty body passes the check) still renders
    pages with a form field: Litestar's `csrf_input` needs a string, not None."""
    state = ScopeState.from_scope(request.scope)
    if state.csrf_token is None:
        state.csrf_token = ""


def current_principal(request: Request[Any, Any, Any]) -> Principal:
    principal = principal_of(request)
    if principal is None:
        raise LoginRequired("log in first", code="login_required")
    return principal
