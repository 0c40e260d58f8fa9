"""`/healthz` says the process is up; `/readyz` says whether its dependencies answer."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State

from integrity.errors import IntegrityError

READINESS_TIMEOUT_SECONDS = 10


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str
    checks: dict[str, str]
    #: What needs an operator's attention without keeping the process from serving (a failed
    #: fixity check of the stored files); absent when there is nothing.
    notices: dict[str, str] = msgspec.field(default_factory=dict)


class HealthController(Controller):
    tags = ["health"]
    include_in_schema = True

    @get("/healthz", operation_id="healthz", cache_control=None)
    async def healthz(self) -> Health:
        return Health(status="ok")

    @get("/readyz", operation_id="readyz")
    async def readyz(self, state: State) -> Response[Readiness]:
        checks: dict[str, Any] = state.readiness_checks
        results = await asyncio.gather(*(_run(check) for check in checks.values()))
        report = dict(zip(checks.keys(), results, strict=True))
        ready = all(result == "ok" for result in report.values())
        notices: dict[str, str] = {}
        for name, probe in state.get("readiness_notices", {}).items():
            found = await _notice(probe)
            if found:
                notices[name] = found
        return Response(
            Readiness(status="ok" if ready else "unavailable", checks=report, notices=notices),
            status_code=200 if ready else 503,
        )


async def _run(check: Any) -> str:
    try:
        await asyncio.wait_for(check(), READINESS_TIMEOUT_SECONDS)
    except TimeoutError:
        return "timed out"
    except IntegrityError as exc:
        return exc.detail
    except Exception as exc:  # noqa: BLE001 - a probe reports, it never raises
        return f"failed ({type(exc).__name__})"
    return "ok"


async def _notice(probe: Any) -> str | None:
    try:
        found: str | None = await asyncio.wait_for(probe(), READINESS_TIMEOUT_SECONDS)
    except Exception as exc:  # noqa: BLE001 - a notice is informative: it never fails the probe
        return f"could not be read ({type(exc).__name__})"
    return found
