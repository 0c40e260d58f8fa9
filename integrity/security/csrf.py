"""CSRF protection for requests that ride on the session cookie.

The token travels in the `csrftoken` cookie and comes back in the `x-csrftoken` header, or in a
hidden `_csrf_token` form field (`{{ csrf_input }}` in templates). A token is a random nonce with an
HMAC under a key derived from the key ring; once logged in, the HMAC also covers the session id, so a
token works only with the session it was made for. Rules for state-changing requests:

- `Authorization` header present: exempt; the session cookie is then ignored altogether, and a
  cross-site page cannot set that header without a CORS pre-flight, which this app never grants.
- a live session (the authentication middleware accepted the cookie): the header or form field
  must hold a token made for that session.
- neither: requests with a JSON body (or none) pass, since a cross-site form cannot send JSON;
  a form or text body needs the field to match the `csrftoken` cookie (double submit). This keeps
  log-in and invitation forms safe from login-CSRF while fresh API clients just send JSON.

Multipart uploads are streamed by their handlers, so the body is never parsed here: only its first
part is read (and replayed to the handler), which must be the `_csrf_token` field when no header is
sent. HTML upload forms therefore put `{{ csrf_input }}` first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.types import Receive, ReceiveMessage
from litestar.utils.scope.state import ScopeState
from python_multipart.multipart import MultipartParser, parse_options_header

from integrity.errors import Forbidden

CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "x-csrftoken"
CSRF_FIELD = "_csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Content types a cross-site HTML form (or a no-preflight fetch) can send.
SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain", ""}
)
#: How much of a multipart body is read to find the leading token field.
MULTIPART_PEEK_LIMIT = 64 * 1024
MAX_TOKEN_LENGTH = 256

FAILED = (
    "the CSRF token is missing or wrong: send the value of the csrftoken cookie in the x-csrftoken "
    "header (or the _csrf_token form field)"
)


def _mac(key: bytes, nonce: str, session: str | None) -> str:
    bound = f"session\0{session}" if session else "anonymous"
    return hmac.new(key, f"{bound}\0{nonce}".encode(), hashlib.sha256).hexdigest()


def new_csrf_token(key: bytes, session: str | None) -> str:
    nonce = secrets.token_hex(16)
    return f"{nonce}.{_mac(key, nonce, session)}"


def csrf_token_valid(key: bytes, token: str | None, session: str | None) -> bool:
    if not token or len(token) > MAX_TOKEN_LENGTH or "." not in token:
        return False
    nonce, mac = token.split(".", 1)
    return hmac.compare_digest(mac, _mac(key, nonce, session))


#: Set in the scope when a form of ours arrives after its session ended (``CSRFMiddleware``).
SESSION_ENDED = "integrity_session_ended"


def csrf_cookie(token: str, *, secure: bool) -> Cookie:
    # Not HttpOnly: scripts that enhance pages read it to fill the header.
    return Cookie(key=CSRF_COOKIE, value=token, path="/", secure=secure, httponly=False, samesite="lax")


class CSRFMiddleware:
    def __init__(self, app: Any, *, key: bytes, session_cookie: str, secure: bool) -> None:
        self.app = app
        self.key = key
        self.session_cookie = session_cookie
        self.secure = secure

    async def __call__(self, scope: Any, receive: Receive, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = scope["litestar_app"].request_class(scope=scope, receive=receive)
        headers = request.headers
        bearer = "authorization" in headers
        # Only a session the authentication middleware (which runs first) accepted counts; a stale
        # cookie is treated as no session at all.
        principal = scope.get("user")
        logged_in = getattr(principal, "via", None) == "session"
        session = request.cookies.get(self.session_cookie) if logged_in and not bearer else None
        # A session cookie the server no longer accepts (it ended while the member was writing).
        stale = request.cookies.get(self.session_cookie) if not logged_in and not bearer else None
        cookie_token = request.cookies.get(CSRF_COOKIE)
        state = ScopeState.from_scope(scope)

        if request.method in SAFE_METHODS:
            token = cookie_token if csrf_token_valid(self.key, cookie_token, session) else None
            if token is None:
                token = new_csrf_token(self.key, session)
                send = self._sending_cookie(send, token)
            state.csrf_token = token
            await self.app(scope, receive, send)
            return

        if bearer:
            await self.app(scope, receive, send)
            return

        content_type = (headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        has_body = headers.get("content-length", "0") not in {"", "0"} or "transfer-encoding" in headers
        submitted = headers.get(CSRF_HEADER)
        if not submitted and content_type == "application/x-www-form-urlencoded":
            # Litestar keeps the parsed form in the scope, so the handler gets it without a re-read.
            form = await request.form()
            value = form.get(CSRF_FIELD)
            submitted = value if isinstance(value, str) else None
        elif not submitted and content_type == "multipart/form-data":
            submitted, receive = await _leading_form_field(receive, headers.get("content-type", ""))

        if session is not None:
            allowed = csrf_token_valid(self.key, submitted, session)
        elif stale and csrf_token_valid(self.key, submitted, stale):
            # Our own form, sent after its session ended: nothing is done with it (there is no
            # logged-in member); the pages keep what was written and ask to log in again.
            allowed = True
            scope[SESSION_ENDED] = True
        elif content_type in SIMPLE_CONTENT_TYPES and (has_body or content_type):
            allowed = (
                submitted is not None
                and cookie_token is not None
                and hmac.compare_digest(submitted, cookie_token)
                and csrf_token_valid(self.key, submitted, None)
            )
        else:
            allowed = True
        if not allowed:
            raise Forbidden(FAILED, code="csrf_failed")
        state.csrf_token = submitted or cookie_token
        await self.app(scope, receive, send)

    def _sending_cookie(self, send: Any, token: str) -> Any:
        header = csrf_cookie(token, secure=self.secure).to_header(header="")

        async def wrapped(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                # An answer any cache may keep and hand to others must not carry anyone's token.
                if "public" not in (headers.get("cache-control") or "").lower():
                    headers.add("set-cookie", header)
            await send(message)

        return wrapped


async def _leading_form_field(receive: Receive, content_type: str) -> tuple[str | None, Receive]:
    """The value of the first part if it is the `_csrf_token` field, and a `receive` that replays
    what was read, so the handler still streams the whole body."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    buffered: list[ReceiveMessage] = []
    first: dict[str, Any] = {"field": b"", "headers": {}, "data": bytearray(), "ended": False, "parts": 0}

    def on_part_begin() -> None:
        first["parts"] += 1

    def on_header_field(data: bytes, start: int, end: int) -> None:
        if first["parts"] == 1:
            first["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        if first["parts"] == 1:
            name = first["field"].lower()
            first["headers"][name] = first["headers"].get(name, b"") + data[start:end]

    def on_header_end() -> None:
        first["field"] = b""

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if first["parts"] == 1 and len(first["data"]) <= MAX_TOKEN_LENGTH:
            first["data"] += data[start:end]

    def on_part_end() -> None:
        if first["parts"] == 1:
            first["ended"] = True

    value = None
    if boundary:
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": on_part_begin,
                "on_header_field": on_header_field,
                "on_header_value": on_header_value,
                "on_header_end": on_header_end,
                "on_part_data": on_part_data,
                "on_part_end": on_part_end,
            },
        )
        read = 0
        try:
            while not first["ended"] and read <= MULTIPART_PEEK_LIMIT:
                message = await receive()
                buffered.append(message)
                if message["type"] != "http.request":
                    break
                chunk = message.get("body", b"")
                read += len(chunk)
                parser.write(chunk)
                if not message.get("more_body", False):
                    break
        except Exception:  # noqa: BLE001 - a malformed body simply carries no token
            first["ended"] = False
        if first["ended"]:
            _, disposition = parse_options_header(first["headers"].get(b"content-disposition", b""))
            if disposition.get(b"name") == CSRF_FIELD.encode() and len(first["data"]) <= MAX_TOKEN_LENGTH:
                value = bytes(first["data"]).decode("ascii", errors="replace").strip()

    async def replay() -> ReceiveMessage:
        if buffered:
            return buffered.pop(0)
        return await receive()

    return value, replay
