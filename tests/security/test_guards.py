"""The role guards, without HTTP."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from integrity.errors import Forbidden, NotAuthenticated
from integrity.security.guards import (
    ALLOWED_BEFORE_TOTP,
    Principal,
    requires_admin,
    requires_login,
    requires_role,
)


def principal(role: str, *, totp: bool = True) -> Principal:
    return Principal(
        id=uuid.uuid4(),
        email=f"{role}@example.org",
        display_name=role,
        profession="other",
        role=role,
        totp_enabled=totp,
        via="session",
        credential_id=uuid.uuid4(),
        filer_tag=uuid.uuid4().hex,
    )


def connection(user: Principal | None) -> Any:
    return SimpleNamespace(scope={"user": user})


def handler(**opt: Any) -> Any:
    return SimpleNamespace(opt=opt)


def test_requires_login_refuses_anonymous_callers() -> None:
    with pytest.raises(NotAuthenticated):
        requires_login(connection(None), handler())
    requires_login(connection(principal("member", totp=False)), handler())


@pytest.mark.parametrize("role", ["reviewer", "editor", "admin"])
def test_review_roles_without_totp_reach_only_enrolment_routes(role: str) -> None:
    caller = connection(principal(role, totp=False))
    with pytest.raises(Forbidden, match="second factor"):
        requires_login(caller, handler())
    requires_login(caller, handler(**{ALLOWED_BEFORE_TOTP: True}))
    with pytest.raises(Forbidden, match="second factor"):
        requires_admin(caller, handler())


@pytest.mark.parametrize(
    ("role", "admin"), [("member", False), ("reviewer", False), ("editor", False), ("admin", True)]
)
def test_role_guards_admit_exactly_their_roles(role: str, admin: bool) -> None:
    caller = connection(principal(role))
    if admin:
        requires_admin(caller, handler())
    else:
        with pytest.raises(Forbidden):
            requires_admin(caller, handler())
    with pytest.raises(NotAuthenticated):
        requires_admin(connection(None), handler())


def test_requires_role_refuses_unknown_roles() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        requires_role("owner")
    assert requires_role("editor", "admin").__name__ == "requires_role(admin, editor)"


@pytest.mark.parametrize(
    ("role", "team", "second_factor"),
    [("member", False, False), ("reviewer", True, True), ("editor", True, True), ("admin", False, True)],
)
def test_the_review_team_and_the_second_factor_roles_differ_only_for_admins(
    role: str, team: bool, second_factor: bool
) -> None:
    caller = principal(role, totp=False)
    assert (caller.in_review_team, caller.needs_second_factor) == (team, second_factor)
    assert caller.must_enrol_totp == second_factor
