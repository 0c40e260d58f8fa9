"""The app shell: probes, pages, problem details and security headers."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from integrity.app import create_app
from integrity.settings import Settings

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


async def test_healthz_answers_while_the_process_is_up(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_the_database(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["vault"] == "ok"


async def test_readyz_is_503_and_names_the_database_when_it_is_gone(settings: Settings) -> None:
    from tests.s3server import free_port

    unreachable = settings.with_overrides(
        database=type(settings.database)(url=f"postgresql://nobody@127.0.0.1:{free_port()}/none")
    )
    app = create_app(unreachable)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "cannot reach PostgreSQL" in body["checks"]["database"]
    assert "nobody" not in body["checks"]["database"]


async def test_home_page_renders_with_security_headers(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    # Serbian in Latin script is the default language of the pages.
    assert '<html lang="sr-Latn">' in response.text
    assert "<title>Slučajevi · Integrity Network</title>" in response.text
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    # The public pages are the same for every anonymous reader in a language: cacheable for a minute.
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["vary"] == "Cookie"
    assert "strict-transport-security" not in response.headers


async def test_hsts_is_sent_when_served_over_https(settings: Settings) -> None:
    app = create_app(settings.with_overrides(base_url="https://integrity.example"))
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/healthz")
    assert response.headers["strict-transport-security"].startswith("max-age=")


async def test_static_files_are_served_with_the_same_headers(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/static/css/site.css")
    assert response.status_code == 200
    assert "focus-visible" in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_unknown_api_path_is_a_problem_document(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not found"
    assert body["detail"]


async def test_unknown_page_is_a_friendly_html_page(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/no-such-page?lang=en", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Back to the case files" in response.text
    serbian = await client.get("/no-such-page", headers={"accept": "text/html"})
    assert serbian.status_code == 404 and "Nazad na slučajeve" in serbian.text


async def test_an_unexpected_error_never_leaks_a_traceback(settings: Settings, caplog) -> None:
    secret = "narrative-marker-7f3a"

    @get("/api/v1/boom", sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError(secret)

    app = create_app(settings)
    app.register(boom)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json()["status"] == 500
    assert secret not in response.text
    assert "Traceback" not in response.text
    assert secret not in caplog.text
    assert "RuntimeError" in caplog.text


async def test_openapi_document_is_served(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/v1/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "Integrity Network API"
    assert "/healthz" in document["paths"]
    page = await client.get("/api/v1/schema")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")


async def test_readyz_is_503_and_names_the_vault_when_the_store_is_gone(settings: Settings, engine) -> None:
    from tests.s3server import free_port

    gone = settings.with_overrides(
        storage="s3",
        s3=type(settings.s3)(endpoint=f"127.0.0.1:{free_port()}", access_key="a", secret_key="b"),
    )
    app = create_app(gone, engine=engine)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/readyz")
        health = await client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["vault"] != "ok" and "evidence storage" in body["checks"]["vault"]
    assert health.status_code == 200


def test_every_error_class_has_its_own_stable_code() -> None:
    import re

    from integrity import errors

    classes = [
        cls
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.IntegrityError)
    ]
    codes = [cls.code for cls in classes]
    assert all(re.fullmatch(r"[a-z][a-z_]*", code) for code in codes)
    assert len(set(codes)) == len(codes)
    refused = errors.Invalid("incident_date is too far in the past", code="incident_date_too_old", field="x")
    assert (refused.code, refused.field, refused.status_code) == ("incident_date_too_old", "x", 422)
    assert errors.NotFound().code == "not_found" and errors.NotFound().field is None


async def test_stopping_cancels_the_tasks_left_behind_and_names_one_that_will_not_stop(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A task that swallows its cancellation would keep the event loop, and the process, from ending.
    from integrity import app as app_module

    monkeypatch.setattr(app_module, "LEFTOVER_SECONDS", 0.2)
    released = asyncio.Event()

    async def polite_helper() -> None:
        await asyncio.sleep(60)

    async def stubborn_helper() -> None:
        while not released.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(60)

    async def outside_helper() -> None:
        await asyncio.sleep(60)

    outside = asyncio.create_task(outside_helper())
    with app_module.tracking_app_tasks() as started:
        polite = asyncio.create_task(polite_helper())
        stubborn = asyncio.create_task(stubborn_helper())
        await asyncio.sleep(0)
        with caplog.at_level(logging.WARNING, logger="integrity"):
            await app_module.stop_leftover_tasks(started)
    assert polite.cancelled()
    assert not outside.done(), "a task the app did not start is not the app's to cancel"
    outside.cancel()
    assert not stubborn.done()
    assert "ignored cancellation" in caplog.text
    assert "stubborn_helper" in caplog.text
    assert "polite_helper" not in caplog.text
    released.set()
    stubborn.cancel()
    await asyncio.wait({stubborn})


async def test_the_job_workers_stop_when_cancelled_even_if_a_worker_swallows_the_cancellation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """procrastinate's worker stops gracefully when cancelled and may return normally (or fail as
    the queue closes under it) instead of passing the cancellation on; the app's background task
    must then end, not start the workers again (a suite hung in a test's teardown on exactly this:
    the event loop waited for ever at the end for a task that kept restarting its workers)."""
    from integrity.jobs import tasks

    started = asyncio.Event()
    runs = 0

    async def graceful_workers(queue: object) -> None:
        nonlocal runs
        runs += 1
        started.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(60)

    class OpenQueue:
        is_open = True

    monkeypatch.setattr(tasks, "run_workers", graceful_workers)
    monkeypatch.setattr(tasks, "RESTART_SECONDS", 0.01)
    serving = asyncio.create_task(tasks.serve(OpenQueue(), in_process=True))  # type: ignore[arg-type]
    await started.wait()
    serving.cancel()
    done, _ = await asyncio.wait({serving}, timeout=2)
    assert serving in done and serving.cancelled()
    assert runs == 1
