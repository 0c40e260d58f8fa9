"""Crash safety: `integrity serve` SIGKILLed at labelled points of an upload, then restarted.

Points: mid stream (half a multipart body sent, then the test kills the server), `upload.stored` (every
blob is in the vault, no row yet) and `upload.committed` (the transaction has committed, no answer
sent); the last two come from `integrity.faults.fault_point`, armed by `INTEGRITY_FAULT_POINT`. After
a restart and `integrity reconcile --apply --grace-hours 0`: no evidence lost (committed files read
back byte-identical), no orphan object or unfinished write, no row without its object, and
`integrity custody verify` passes. Run on the local vault and on S3.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from datetime import timedelta
from typing import Any

import anyio
import httpx
import pytest

from integrity.app import create_app
from integrity.cases.tables import Attachment
from integrity.settings import Settings
from integrity.vault import reconcile
from integrity.vault.backends import build_backend
from tests import samples
from tests.cases.test_intake import NEW_CASE
from tests.factories import AccountFactory, Caller
from tests.faults.conftest import (
    assert_no_traceback,
    crash_storage,
    credentials,
    reconcile_after_crash,
    request_and_die,
    serving,
)

MIB = 1024 * 1024
POINTS = ["mid-stream", "upload.stored", "upload.committed"]


async def open_writes(settings: Settings) -> int:
    """Unfinished writes in the vault's store: S3 multipart uploads, or the local folder's temp files."""
    backend = build_backend(settings)
    try:
        return len([upload async for upload in backend.list_pending()])
    finally:
        await backend.aclose()


async def send_half_and_kill(
    server: Any, settings: Settings, path: str, headers: dict[str, str], body: bytes
) -> None:
    """Send the request line, headers and half the body on a raw socket; once the vault has a write
    open for it, SIGKILL the server."""
    head = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        sock.sendall(body[: len(body) // 2])
        deadline = time.monotonic() + 20
        while await open_writes(settings) == 0:
            assert time.monotonic() < deadline, "the vault never started writing the upload"
            await anyio.sleep(0.1)
        os.kill(server.process.pid, signal.SIGKILL)
    assert server.wait_dead() == -signal.SIGKILL


@pytest.mark.slow
@pytest.mark.parametrize(
    ("point", "storage"),
    # On S3 the two points that leave something in the bucket: an open multipart upload, an object.
    [(point, "local") for point in POINTS] + [("mid-stream", "s3"), ("upload.stored", "s3")],
)
async def test_a_killed_upload_loses_no_evidence_and_leaves_nothing_behind(
    point: str,
    storage: str,
    settings: Settings,
    engine: Any,
    server_process: Any,
    request: pytest.FixtureRequest,
) -> None:
    settings, env = crash_storage(storage, settings, request)
    # The app object makes the key ring every server process shares, and lets the factory open sessions.
    app = create_app(settings, engine=engine)
    kept = samples.jpeg(b"committed-before-the-crash", size=3 * MIB)
    # Mid-stream, half the file must pass one S3 part (8 MiB) for an upload to be open in the store.
    crashed = samples.jpeg(b"in-flight-at-the-crash", size=(20 if point == "mid-stream" else 3) * MIB)

    # The case and its first file are filed in process: no server needed before the one that dies.
    async with serving(app) as client:
        member: Caller = await AccountFactory(app=app, client=client, settings=settings).as_role("member")  # type: ignore[arg-type]
        created = await member.post("/api/v1/cases", json=NEW_CASE)
        assert created.status_code == 201, created.text
        case_id = created.json()["id"]
        body, content_type = samples.multipart([("prvi.jpg", kept)])
        stored = await member.post(
            f"/api/v1/cases/{case_id}/attachments", content=body, headers={"content-type": content_type}
        )
        assert stored.status_code == 201, stored.text

    path = f"/api/v1/cases/{case_id}/attachments"
    body, content_type = samples.multipart([("snimak.jpg", crashed)])
    headers = {**credentials(member), "content-type": content_type}
    if point == "mid-stream":
        doomed = server_process(env, "doomed.log")
        doomed.start()
        await send_half_and_kill(doomed, settings, path, headers, body)
    else:
        doomed = server_process({**env, "INTEGRITY_FAULT_POINT": point}, "doomed.log")
        doomed.start()
        await request_and_die(doomed, "POST", path, content=body, headers=headers)

    # What the crash left is found and cleared: the open write mid-stream, the unrecorded object after
    # the vault stored it; nothing after the commit.
    left_write, left_object = {"mid-stream": (1, 0), "upload.stored": (0, 1)}.get(point, (0, 0))
    reconcile_after_crash(doomed.env, aborted=left_write, removed=left_object)

    # Nothing unreferenced is left, no unfinished write, and every row has its object.
    report = await reconcile(settings, apply=False, grace=timedelta(0))
    assert report.orphans == () and report.stale_uploads == () and report.missing == (), report.summary()
    rows = await Attachment.select(Attachment.id, Attachment.sha256).where(Attachment.case == case_id)
    expected = [kept, crashed] if point == "upload.committed" else [kept]
    assert len(rows) == len(expected) == report.objects
    if storage == "local":
        leftovers = [p for p in (settings.data_dir / "vault").rglob("*") if p.is_file()]
        assert len(leftovers) == len(expected), leftovers

    restarted = server_process(env, "restarted.log")
    restarted.start()
    async with httpx.AsyncClient(base_url=restarted.url, timeout=60) as client:
        member.client = client  # type: ignore[assignment]
        files = (await member.get(f"/api/v1/cases/{case_id}")).json()["attachments"]
        contents = []
        for item in files:
            response = await member.get(f"/api/v1/cases/{case_id}/attachments/{item['id']}/content")
            assert response.status_code == 200
            contents.append(response.content)
        assert sorted(contents) == sorted(expected)
        # And the platform takes uploads again.
        body, content_type = samples.multipart([("posle.txt", samples.text("posle pada"))])
        again = await member.post(path, content=body, headers={"content-type": content_type})
        assert again.status_code == 201, again.text
    restarted.stop()
    assert_no_traceback(doomed, restarted)
