"""The object store stops during an upload and a download: clear 503s in bounded time, `/readyz`
names the vault, nothing half-written survives `reconcile`, and uploads work again once it is back."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import anyio
import httpx
import pytest

from integrity.app import create_app
from integrity.cases.tables import Attachment
from integrity.settings import Settings
from integrity.vault import reconcile
from integrity.vault.backends.s3 import S3Backend
from tests import samples
from tests.cases.test_intake import NEW_CASE
from tests.factories import AccountFactory, Caller
from tests.faults.conftest import credentials, is_problem, s3_settings, serving
from tests.s3server import WeedServer

MIB = 1024 * 1024
#: Every failure must be answered within this (the store's own deadlines are about ten seconds).
BOUND_SECONDS = 15


async def new_case(member: Caller) -> str:
    response = await member.post("/api/v1/cases", json=NEW_CASE)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def upload(member: Caller, case_id: str, files: list[tuple[str, bytes]]) -> httpx.Response:
    body, content_type = samples.multipart(files)
    return await member.post(
        f"/api/v1/cases/{case_id}/attachments", content=body, headers={"content-type": content_type}
    )


async def store_contents(settings: Settings) -> tuple[list[str], int]:
    """Object names in the vault's bucket, and how many multipart uploads are still open there."""
    backend = S3Backend(settings.s3)
    try:
        objects = [item.name async for item in backend.list_objects()]
        pending = [upload async for upload in backend.list_pending()]
    finally:
        await backend.aclose()
    return objects, len(pending)


async def settle(settings: Settings) -> Any:
    """`integrity reconcile --apply --grace-hours 0`, in process; it must find no lost evidence."""
    report = await reconcile(settings, apply=True, grace=timedelta(0))
    assert report.missing == (), report.summary()
    return report


async def test_the_store_dying_mid_upload_is_a_503_and_leaves_nothing(
    settings: Settings, engine: Any, weed: WeedServer
) -> None:
    on_s3 = s3_settings(settings, weed.endpoint)
    app = create_app(on_s3, engine=engine)
    video = samples.jpeg(b"store-dies-mid-upload", size=24 * MIB)
    body, content_type = samples.multipart([("snimak.jpg", video)])
    async with serving(app) as client:
        member = await AccountFactory(app=app, client=client, settings=on_s3).as_role("member")  # type: ignore[arg-type]
        case_id = await new_case(member)
        kept = await upload(member, case_id, [("prvi.txt", samples.text("ostaje"))])
        assert kept.status_code == 201, kept.text

        async def body_while_the_store_dies() -> AsyncIterator[bytes]:
            for offset in range(0, len(body), MIB):
                if offset == 12 * MIB:
                    # Two 8 MiB parts are on their way to the store by now.
                    await anyio.to_thread.run_sync(weed.kill)
                yield body[offset : offset + MIB]

        started = time.monotonic()
        response = await client.post(
            f"/api/v1/cases/{case_id}/attachments",
            content=body_while_the_store_dies(),
            headers={**credentials(member), "content-type": content_type},
        )
        elapsed = time.monotonic() - started
        assert is_problem(response, 503), (response.status_code, response.text)
        assert response.json()["title"] == "Evidence storage unavailable"
        assert elapsed < BOUND_SECONDS, elapsed

        started = time.monotonic()
        ready = await client.get("/readyz")
        assert time.monotonic() - started < BOUND_SECONDS
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "ok"
        assert "evidence storage" in ready.json()["checks"]["vault"]
        # Nothing half-written in the database: only the first upload's row.
        assert await Attachment.count() == 1

        await anyio.to_thread.run_sync(weed.start)
        assert (await client.get("/readyz")).status_code == 200
        report = await settle(on_s3)
        # The upload the kill broke is aborted or removed now, if the store had kept any of it.
        assert report.orphans == () or report.removed == len(report.orphans)
        objects, pending = await store_contents(on_s3)
        assert len(objects) == 1 and pending == 0, (objects, pending)

        # Service resumes: the same upload goes through now, and both files read back.
        again = await upload(member, case_id, [("snimak.jpg", video)])
        assert again.status_code == 201, again.text
        content = await member.get(f"/api/v1/cases/{case_id}/attachments/{again.json()[0]['id']}/content")
        assert content.status_code == 200 and content.content == video
    assert await Attachment.count() == 2
    objects, pending = await store_contents(on_s3)
    assert len(objects) == 2 and pending == 0


async def test_a_download_while_the_store_is_down_is_a_503(
    settings: Settings, engine: Any, weed: WeedServer
) -> None:
    on_s3 = s3_settings(settings, weed.endpoint)
    app = create_app(on_s3, engine=engine)
    document = samples.jpeg(b"store-dies-before-download", size=3 * MIB)
    async with serving(app) as client:
        member = await AccountFactory(app=app, client=client, settings=on_s3).as_role("member")  # type: ignore[arg-type]
        case_id = await new_case(member)
        stored = await upload(member, case_id, [("dokaz.jpg", document)])
        assert stored.status_code == 201, stored.text
        url = f"/api/v1/cases/{case_id}/attachments/{stored.json()[0]['id']}/content"

        await anyio.to_thread.run_sync(weed.kill)
        started = time.monotonic()
        response = await member.get(url)
        elapsed = time.monotonic() - started
        assert is_problem(response, 503), (response.status_code, response.text[:300])
        assert response.json()["title"] == "Evidence storage unavailable"
        assert elapsed < BOUND_SECONDS, elapsed
        ranged = await member.get(url, headers={"range": "bytes=100-199"})
        assert is_problem(ranged, 503), (ranged.status_code, ranged.text[:300])
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and "evidence storage" in ready.json()["checks"]["vault"]

        await anyio.to_thread.run_sync(weed.start)
        back = await member.get(url)
        assert back.status_code == 200 and back.content == document
    await settle(on_s3)
    objects, pending = await store_contents(on_s3)
    assert len(objects) == 1 and pending == 0


async def test_the_store_dying_mid_download_never_passes_for_a_whole_file(
    settings: Settings, engine: Any, weed: WeedServer
) -> None:
    on_s3 = s3_settings(settings, weed.endpoint)
    app = create_app(on_s3, engine=engine)
    document = samples.jpeg(b"store-dies-mid-download", size=20 * MIB)
    async with serving(app) as client:
        member = await AccountFactory(app=app, client=client, settings=on_s3).as_role("member")  # type: ignore[arg-type]
        case_id = await new_case(member)
        stored = await upload(member, case_id, [("dokaz.jpg", document)])
        assert stored.status_code == 201, stored.text
        url = f"/api/v1/cases/{case_id}/attachments/{stored.json()[0]['id']}/content"

        received = bytearray()
        statuses: list[int] = []
        finished = False

        async def send(message: dict[str, Any]) -> None:
            nonlocal finished
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            elif message["type"] == "http.response.body":
                received.extend(message.get("body", b""))
                finished = not message.get("more_body", False)
                if len(received) >= 2 * MIB and weed.process is not None:
                    await anyio.to_thread.run_sync(weed.kill)

        started = time.monotonic()
        # Straight to the ASGI app: httpx's transport would only hand over a response once complete.
        with pytest.raises(Exception):  # noqa: B017 - whatever the server does with a broken stream
            await app(asgi_get(url, credentials(member)), receive_nothing(), send)  # type: ignore[arg-type]
        assert time.monotonic() - started < BOUND_SECONDS
        assert statuses == [200] and weed.process is None, (statuses, bytes(received[:300]))
        # Headers went out before the store died, so the failure shows as a response broken off,
        # never as a complete-looking file.
        assert not finished
        assert len(received) < len(document)
        await anyio.to_thread.run_sync(weed.start)
        back = await member.get(url)
        assert back.status_code == 200 and back.content == document


def asgi_get(path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver.local")]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver.local", 80),
    }


def receive_nothing() -> Any:
    """An ASGI `receive` for a request without a body whose client then stays connected."""
    asked = False

    async def receive() -> dict[str, Any]:
        nonlocal asked
        if asked:
            await anyio.sleep_forever()
        asked = True
        return {"type": "http.request", "body": b"", "more_body": False}

    return receive
