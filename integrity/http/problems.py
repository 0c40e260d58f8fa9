"""Turns every error into a problem-details document (API) or a friendly page (HTML).

Nothing a client sees ever carries a traceback; the log gets the exception type and where it
happened, never its message, since a message may quote what a member filed.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from integrity.errors import IntegrityError, RangeNotSatisfiable, RateLimited

log = logging.getLogger("integrity.errors")

PROBLEM_JSON = "application/problem+json"

#: The code of a problem that no `IntegrityError` raised (the framework's own refusals, crashes).
_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "wrong_state",
    413: "too_large",
    415: "unsupported_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}

_TITLES = {
    400: "Bad request",
    401: "Not logged in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Not allowed in this state",
    413: "Too large",
    415: "File type not allowed",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def wants_html(request: Request[Any, Any, Any]) -> bool:
    if request.url.path.startswith("/api/"):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    detail: str,
    *,
    title: str | None = None,
    code: str | None = None,
    problem: IntegrityError | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """A problem document (RFC 9457) with our stable `code` (and `field` when an input is at fault),
    or the error page for a browser. `problem` is the refusal itself, if there is one: its code and
    field go into the document, and the page looks its message up by code."""
    title = title or _TITLES.get(status, "Error")
    code = problem.code if problem is not None else code or _CODES.get(status, "error")
    if wants_html(request):
        # The page looks its message up by code (translated), with the detail as written if none.
        shown = problem if problem is not None else IntegrityError(detail, code=code)
        return Template(
            template_name="error.html",
            context={"status": status, "title": title, "detail": shown},
            status_code=status,
            headers=headers,
            media_type=MediaType.HTML,
        )  # type: ignore[return-value]
    body: dict[str, Any] = {"status": status, "title": title, "detail": detail, "code": code}
    if problem is not None and problem.field is not None:
        body["field"] = problem.field
    if extra:
        body.update(extra)
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def handle_integrity_error(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    headers = None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after)}
    elif isinstance(exc, RangeNotSatisfiable):
        headers = {"Content-Range": exc.content_range}
    if exc.status_code >= 500:
        log.error("%s on %s %s", type(exc).__name__, request.method, request.scope["path"])
    return problem_response(
        request, exc.status_code, exc.detail, title=exc.title, problem=exc, headers=headers
    )


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    extra: dict[str, Any] | None = None
    code: str | None = None
    detail = exc.detail or _TITLES.get(exc.status_code, "Error")
    status = exc.status_code
    if isinstance(exc, ValidationException):
        # Litestar reports a bad body as 400; the contract says 422 for validation failures of a
        # well-formed request, 400 for one that cannot be parsed at all.
        errors = _safe_validation_errors(exc.extra)
        extra = {"errors": errors} if errors else None
        if detail.startswith("Validation failed"):
            status = 422 if errors else 400
            detail = "the request does not match the expected fields"
            code = "validation_failed"
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(request, status, detail, code=code, extra=extra, headers=headers)


def _safe_validation_errors(extra: Any) -> list[dict[str, str]]:
    """Keep only where and why a field failed; never echo the submitted value."""
    if not isinstance(extra, list):
        return []
    cleaned = []
    for item in extra:
        if isinstance(item, dict):
            cleaned.append({"key": str(item.get("key", "")), "message": str(item.get("message", ""))})
    return cleaned


#: SQLite's words for a database file it cannot reach (folder gone, unreadable, disk failing, busy).
_SQLITE_UNAVAILABLE = (
    "unable to open database file",
    "disk i/o error",
    "database is locked",
    "readonly database",
)
_DRIVER_MODULES = ("asyncpg", "aiosqlite", "sqlite3")


def database_unavailable(exc: BaseException) -> bool:
    """Whether an error the drivers raised means the database is out of reach (503), not a bug (500).

    Drivers raise their own types, or a bare `OSError` / `TimeoutError` from the socket they were
    opening; those count only when raised inside a driver, so a stray `OSError` stays a 500.
    """
    import sqlite3

    if isinstance(exc, sqlite3.OperationalError):
        return any(words in str(exc).lower() for words in _SQLITE_UNAVAILABLE)
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - a dependency; SQLite-only installs may drop it
        asyncpg = None
    if asyncpg is not None and isinstance(
        exc,
        asyncpg.PostgresConnectionError
        | asyncpg.ConnectionDoesNotExistError
        | asyncpg.CannotConnectNowError
        | asyncpg.TooManyConnectionsError,
    ):
        return True
    if isinstance(exc, OSError | TimeoutError):
        return any(
            str(frame.f_globals.get("__name__", "")).startswith(_DRIVER_MODULES)
            for frame, _ in traceback.walk_tb(exc.__traceback__)
        )
    return False


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if database_unavailable(exc):
        log.error(
            "database unavailable (%s) on %s %s", type(exc).__name__, request.method, request.scope["path"]
        )
        return problem_response(
            request,
            503,
            "the database cannot be reached; nothing was changed, try again shortly",
            title="Database unavailable",
            code="database_unavailable",
            headers={"Retry-After": "10"},
        )
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error(
        "unexpected %s on %s %s\n%s",
        type(exc).__name__,
        request.method,
        request.scope["path"],
        frames,
    )
    return problem_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "something went wrong on our side; nothing you sent has been logged",
    )


EXCEPTION_HANDLERS = {
    IntegrityError: handle_integrity_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
