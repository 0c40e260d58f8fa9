"""The security baseline's headers on every response: the content security policy, no sniffing,
no framing, no referrer, and `no-store` for anything a handler did not mark cacheable."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from integrity.settings import Settings

API_SCHEMA_PATH = "/api/v1/schema"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The browsable API document is the one page that needs the Swagger UI bundle and its inline boot
# script; it shows no data, only the contract.
SCHEMA_PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


def security_headers(settings: Settings) -> Callable[[Message, Scope], Awaitable[None]]:
    """A `before_send` hook that puts the security baseline's headers on every response."""
    common = {
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-resource-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    }
    if settings.is_https:
        common["strict-transport-security"] = "max-age=63072000; includeSubDomains"

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in common.items():
            headers[name] = value
        path = scope["path"]
        is_schema_page = path == API_SCHEMA_PATH or path.startswith(API_SCHEMA_PATH + "/swagger")
        # A handler may set a stricter policy of its own (files served with `sandbox`); it keeps it,
        # with frame-ancestors 'none' in any case.
        own = headers.get("content-security-policy", "")
        if own.startswith("sandbox"):
            headers["content-security-policy"] = (
                own if "frame-ancestors" in own else own + "; frame-ancestors 'none'"
            )
        else:
            headers["content-security-policy"] = (
                SCHEMA_PAGE_POLICY if is_schema_page else CONTENT_SECURITY_POLICY
            )
        # Public handlers set their own caching; everything else must never be stored.
        if "cache-control" not in headers:
            headers["cache-control"] = "no-store"

    return before_send
