"""Schemathesis over the whole OpenAPI document, as each role: no server error, and every response
conforms to what the document says (its schema and content type).

The app runs in-process (schemathesis's ASGI transport, with the app's lifespan); each role calls
with an API token (`Authorization: Bearer`, which needs no CSRF token). Path parameters are sometimes
swapped for ids that exist (a draft and a filed case, their files, the caller's token), so requests
reach past the 404s. The budget is bounded: a few examples per operation and role.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from integrity.accounts.login import create_api_token
from integrity.accounts.members import principal_from
from integrity.accounts.tables import Member
from integrity.app import create_app
from integrity.settings import Settings
from tests import samples
from tests.cases.test_intake import NEW_CASE
from tests.conftest import run_async
from tests.factories import AccountFactory

SCHEMA_PATH = "/api/v1/schema/openapi.json"
ROLES = ("anonymous", "member", "reviewer", "editor", "admin")
EXAMPLES_PER_OPERATION = 10
#: Operations that can end the caller's own token or role when they hit a real id.
LAST = frozenset(
    {
        "POST /api/v1/auth/logout",
        "DELETE /api/v1/me/tokens/{token_id}",
        "PATCH /api/v1/members/{member_id}",
        "POST /api/v1/me/password",
    }
)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@dataclass
class World:
    """Credentials per role and ids that exist, for swapping into generated paths."""

    tokens: dict[str, str] = field(default_factory=dict)
    known: dict[str, list[str]] = field(default_factory=dict)


async def build_world(app: Any, settings: Settings) -> World:
    import httpx

    world = World()
    accounts = AccountFactory(app=app, client=None, settings=settings)  # type: ignore[arg-type]
    members = {role: await accounts.create(role) for role in ROLES if role != "anonymous"}
    for role, member in members.items():
        row = await Member.objects().where(Member.id == member.id).first()
        _, token = await create_api_token(
            principal_from(row, via="token", credential_id=uuid.uuid4(), signer=app.state.signer), name="fuzz"
        )
        world.tokens[role] = token
    world.known["member_id"] = [str(member.id) for member in members.values()]

    # A draft with a file, and a filed case with a file, made through the API itself.
    transport = httpx.ASGITransport(app=app)
    async with app.lifespan(), httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        bearer = {"authorization": f"Bearer {world.tokens['member']}"}
        for submit in (False, True):
            created = await client.post("/api/v1/cases", json=NEW_CASE, headers=bearer)
            assert created.status_code == 201, created.text
            case_id = created.json()["id"]
            body, content_type = samples.multipart([("foto.png", samples.png(width=32, height=32))])
            stored = await client.post(
                f"/api/v1/cases/{case_id}/attachments",
                content=body,
                headers={**bearer, "content-type": content_type},
            )
            assert stored.status_code == 201, stored.text
            world.known.setdefault("case_id", []).append(case_id)
            world.known.setdefault("attachment_id", []).append(stored.json()[0]["id"])
            if submit:
                assert (
                    await client.post(f"/api/v1/cases/{case_id}/submit", headers=bearer)
                ).status_code == 200
        tokens = await client.get("/api/v1/me/tokens", headers=bearer)
        world.known["token_id"] = [item["id"] for item in tokens.json()]
    world.known["seq"] = ["1", "2", "3"]
    world.known["page_file"] = ["1.png"]
    return world


@pytest.fixture
def fuzzed(settings: Settings, engine: Any) -> Iterator[tuple[Any, World]]:
    app = create_app(settings, engine=engine)
    world = run_async(build_world(app, settings))
    schema = schemathesis.openapi.from_asgi(SCHEMA_PATH, app)
    yield schema, world


def fuzz_operation(operation: Any, headers: dict[str, str], world: World, statuses: Counter[int]) -> None:
    @hypothesis.given(case=operation.as_strategy(), data=st.data())
    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any, data: st.DataObject) -> None:
        for name in list(case.path_parameters or {}):
            if name in world.known and data.draw(st.booleans(), label=f"real {name}"):
                case.path_parameters[name] = data.draw(st.sampled_from(world.known[name]), label=name)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses[response.status_code] += 1

    run()


@pytest.mark.slow
def test_every_operation_as_every_role_answers_without_server_errors(fuzzed: tuple[Any, World]) -> None:
    schema, world = fuzzed
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        # What can end the caller's own credential (or role) goes last, so it does not cut the rest short.
        key=lambda operation: f"{operation.method.upper()} {operation.path}" in LAST,
    )
    assert len(operations) >= 40
    timings: dict[str, float] = {}
    failures: list[str] = []
    statuses: dict[str, Counter[int]] = {}
    for role in ROLES:
        headers = {"authorization": f"Bearer {world.tokens[role]}"} if role in world.tokens else {}
        started = time.monotonic()
        statuses[role] = Counter()
        for operation in operations:
            try:
                fuzz_operation(operation, headers, world, statuses[role])
            except (
                Exception,
                BaseExceptionGroup,
            ) as exc:  # every operation is fuzzed; failures reported together
                failures.append(f"as {role}: {operation.method.upper()} {operation.path}\n{exc}")
        timings[role] = time.monotonic() - started
    print("fuzzing seconds per role:", {role: round(seconds, 1) for role, seconds in timings.items()})
    print("statuses per role:", {role: dict(sorted(counts.items())) for role, counts in statuses.items()})
    assert not failures, "\n\n".join(failures)
    # The credentials held: every role got past authentication to real answers.
    for role in ROLES:
        assert sum(count for status, count in statuses[role].items() if 200 <= status < 300) >= 10, role
        assert statuses[role][500] == 0
