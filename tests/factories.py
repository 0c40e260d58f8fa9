"""Factories for tests of every domain: members of each role and callers that act as them.

    alice = await accounts.as_role("member")          # a member with a live session
    response = await alice.post("/api/v1/cases", json={...})
    editor = await accounts.as_role("editor")         # review roles come with TOTP enrolled
    public = accounts.anonymous()

Members are written straight to the database with one password hash computed per test session,
and sessions are opened through the service, so a test pays for Argon2id only where it logs in
through the API on purpose.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from litestar import Litestar
from litestar.testing import AsyncTestClient

from integrity.accounts.authentication import SESSION_COOKIE
from integrity.accounts.login import open_session
from integrity.accounts.second_factor import totp_context
from integrity.accounts.tables import Member
from integrity.security.csrf import CSRF_COOKIE, CSRF_HEADER, new_csrf_token
from integrity.security.passwords import hash_password
from integrity.security.roles import SECOND_FACTOR_ROLES
from integrity.security.system_keys import SystemKeys
from integrity.security.totp import TIME_STEP, current_code, new_totp_secret
from integrity.settings import Settings

DEFAULT_PASSWORD = "violet harbour lantern 42"
ROLES = ("member", "reviewer", "editor", "admin")
_serial = itertools.count(1)


@functools.cache
def default_password_hash() -> str:
    return hash_password(DEFAULT_PASSWORD)


@dataclass
class FactoryMember:
    id: uuid.UUID
    email: str
    role: str
    display_name: str
    password: str = DEFAULT_PASSWORD
    totp_secret: bytes | None = field(default=None, repr=False)
    #: The last TOTP step this factory handed out, so two log-ins never reuse a code.
    last_step: int = 0

    def next_totp_code(self, now: float | None = None) -> str:
        """A valid code the server has not seen yet (the next step when this one is used up)."""
        import time

        assert self.totp_secret is not None, "this member has no second factor"
        step = max(int(time.time() if now is None else now) // TIME_STEP, self.last_step + 1)
        self.last_step = step
        return current_code(self.totp_secret, step * TIME_STEP)


@dataclass
class Caller:
    """Sends requests as one member (session cookie and CSRF header) or as nobody."""

    client: AsyncTestClient[Litestar]
    member: FactoryMember | None = None
    session_token: str | None = field(default=None, repr=False)
    csrf_token: str | None = field(default=None, repr=False)

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", None) or {})
        # One client serves every caller of a test: only this caller's credentials may go along.
        self.client.cookies.clear()
        if self.session_token is not None:
            headers.setdefault(
                "cookie", f"{SESSION_COOKIE}={self.session_token}; {CSRF_COOKIE}={self.csrf_token}"
            )
            headers.setdefault(CSRF_HEADER, self.csrf_token or "")
        return await self.client.request(method, url, headers=headers, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kwargs)


class LoopBoundPool:
    """PostgreSQL's pool as seen from a test: present only on the loop that created it.

    The test client runs the app (and so the pool its lifespan opens) on a loop of its own; a query
    from the test's loop must not borrow those connections, so there Piccolo sees no pool and opens
    a connection of its own.
    """

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    def __bool__(self) -> bool:
        try:
            return asyncio.get_running_loop() is self._pool._loop
        except RuntimeError:
            return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


def isolate_test_pool(app: Litestar) -> None:
    """Keep the test's own queries off the pool the app opened on the test client's loop."""
    engine = app.state.engine
    pool = getattr(engine, "pool", None)
    if pool is not None and not isinstance(pool, LoopBoundPool):
        engine.pool = LoopBoundPool(pool)


@dataclass
class AccountFactory:
    """Build it (or take the `accounts` fixture) once the test client has started."""

    def __post_init__(self) -> None:
        isolate_test_pool(self.app)

    app: Litestar
    client: AsyncTestClient[Litestar]
    settings: Settings

    @property
    def keys(self) -> SystemKeys:
        keys: SystemKeys = self.app.state.system_keys
        return keys

    async def create(
        self,
        role: str = "member",
        *,
        email: str | None = None,
        display_name: str | None = None,
        profession: str = "other",
        totp: bool | None = None,
        is_active: bool = True,
    ) -> FactoryMember:
        """A member in `role`; review roles get a confirmed TOTP second factor unless `totp=False`."""
        assert role in ROLES, role
        serial = next(_serial)
        member_id = uuid.uuid4()
        email = email or f"{role}{serial}@example.org"
        display_name = display_name or f"{role.title()} {serial}"
        enrol = role in SECOND_FACTOR_ROLES if totp is None else totp
        secret = new_totp_secret() if enrol else None
        await Member.insert(
            Member(
                id=member_id,
                email=email,
                display_name=display_name,
                role=role,
                profession=profession,
                password_hash=default_password_hash(),
                totp_secret_sealed=(
                    self.keys.seal(secret, context=totp_context(member_id)) if secret is not None else None
                ),
                totp_enabled=enrol,
                is_active=is_active,
            )
        )
        return FactoryMember(
            id=member_id, email=email, role=role, display_name=display_name, totp_secret=secret
        )

    async def caller(self, member: FactoryMember) -> Caller:
        """A caller with a fresh session of `member` (as if they had just logged in)."""
        token = await open_session(member.id, self.settings.accounts)
        csrf = new_csrf_token(self.keys.hmac_key("csrf"), token)
        return Caller(self.client, member, token, csrf)

    async def as_role(self, role: str = "member", **kwargs: Any) -> Caller:
        return await self.caller(await self.create(role, **kwargs))

    def anonymous(self) -> Caller:
        return Caller(self.client)


async def files_read(caller: Caller, case_id: str, *, timeout: float = 180.0) -> dict[str, Any]:
    """The case's publication draft once the leak check has read every file to be published (the
    app's in-process worker reads them in the background, as it does in production)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = await caller.get(f"/api/v1/cases/{case_id}/publication")
        assert answer.status_code == 200, answer.text
        draft: dict[str, Any] = answer.json()
        if not draft["leak_check"]["pending"]:
            return draft
        if time.monotonic() > deadline:
            raise AssertionError(f"files still unread after {timeout} s: {draft['leak_check']['pending']}")
        await asyncio.sleep(0.2)


def run_integrity(
    settings: Settings, *args: str, environ: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The `integrity` command run as an operator would, on this test's database and data folder
    (and with ``environ`` added to the environment)."""
    env = {
        **os.environ,
        "INTEGRITY_DATA_DIR": str(settings.data_dir),
        "INTEGRITY_DATABASE_URL": settings.database.url,
        **(environ or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "integrity.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )
