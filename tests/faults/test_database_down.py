"""The database out of reach: every request that needs it is a clear 503 problem document within a
bounded time, `/readyz` names it, an upload it breaks leaves neither a row nor an object behind, and
service resumes when it is back."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from litestar.testing import AsyncTestClient

from integrity import db
from integrity.app import create_app
from integrity.cases.tables import Attachment
from integrity.settings import DatabaseSettings, Settings
from integrity.vault import reconcile
from tests import samples
from tests.factories import AccountFactory
from tests.faults.conftest import credentials, is_problem, serving
from tests.faults.test_store_down import BOUND_SECONDS, MIB, new_case, upload
from tests.s3server import free_port

#: Requests that each need the database: a session's member, a case, the custody log, an upload.
NEEDS_THE_DATABASE = [
    ("GET", "/api/v1/cases"),
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/cases/00000000-0000-4000-8000-000000000000/attachments"),
    ("GET", "/api/v1/public/custody/checkpoint"),
]


async def assert_all_unavailable(client: Any, headers: dict[str, str]) -> None:
    body, content_type = samples.multipart([("a.txt", samples.text())])
    for method, path in NEEDS_THE_DATABASE:
        extra = (
            {"content": body, "headers": {**headers, "content-type": content_type}}
            if method == "POST"
            else {"headers": headers}
        )
        started = time.monotonic()
        response = await client.request(method, path, **extra)
        elapsed = time.monotonic() - started
        assert is_problem(response, 503), (path, response.status_code, response.text[:300])
        assert response.json()["title"] == "Database unavailable", path
        assert "Traceback" not in response.text
        assert elapsed < BOUND_SECONDS, (path, elapsed)


async def test_postgresql_on_a_closed_port_is_a_503_naming_the_database(settings: Settings) -> None:
    closed = settings.with_overrides(
        database=DatabaseSettings(url=f"postgresql://integrity:secret@127.0.0.1:{free_port()}/integrity")
    )
    app = create_app(closed)
    headers = {"cookie": "integrity_session=" + secrets.token_urlsafe(32), "x-csrftoken": "x"}
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:
        await assert_all_unavailable(client, headers)
        started = time.monotonic()
        ready = await client.get("/readyz")
        assert time.monotonic() - started < BOUND_SECONDS
        health = await client.get("/healthz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["database"].startswith("cannot reach PostgreSQL at 127.0.0.1:")
    assert "secret" not in ready.text
    assert checks["vault"] == "ok"
    assert health.status_code == 200


async def sqlite_settings(settings: Settings, folder: Path) -> Settings:
    """A migrated SQLite database of its own in `folder` (whatever database the suite runs on)."""
    own = settings.with_overrides(database=DatabaseSettings(url=f"sqlite:///{folder / 'integrity.sqlite3'}"))
    await db.migrate(db.create_engine(own.database), own.database)
    return own


async def test_the_sqlite_folder_vanishing_mid_upload_leaves_no_row_and_no_object(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "database"
    own = await sqlite_settings(settings, folder)
    engine = db.create_engine(own.database)
    app = create_app(own, engine=engine)
    photo = samples.jpeg(b"database-goes-mid-upload", size=6 * MIB)
    body, content_type = samples.multipart([("fotografija.jpg", photo)])
    moved = tmp_path / "database-away"
    async with serving(app) as client:
        member = await AccountFactory(app=app, client=client, settings=own).as_role("member")  # type: ignore[arg-type]
        case_id = await new_case(member)
        first = await upload(member, case_id, [("prvi.txt", samples.text("ostaje"))])
        assert first.status_code == 201, first.text

        async def body_while_the_database_goes() -> AsyncIterator[bytes]:
            for offset in range(0, len(body), MIB):
                if offset == 3 * MIB:
                    # The caller was authenticated and the case loaded; the file is streaming into
                    # the vault. Its row can no longer be written.
                    folder.rename(moved)
                yield body[offset : offset + MIB]

        started = time.monotonic()
        response = await client.post(
            f"/api/v1/cases/{case_id}/attachments",
            content=body_while_the_database_goes(),
            headers={**credentials(member), "content-type": content_type},
        )
        assert is_problem(response, 503), (response.status_code, response.text[:300])
        assert response.json()["title"] == "Database unavailable"
        assert time.monotonic() - started < BOUND_SECONDS

        await assert_all_unavailable(client, credentials(member))
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"].startswith("cannot reach SQLite file")
        assert ready.json()["checks"]["vault"] == "ok"

        # The blob stored for the broken upload was removed at once, without waiting for reconcile.
        objects = sorted(p for p in (own.data_dir / "vault").rglob("*") if p.is_file())
        assert len(objects) == 1, objects

        moved.rename(folder)
        assert (await client.get("/readyz")).status_code == 200
        assert await Attachment.count() == 1
        report = await reconcile(own, apply=True, grace=timedelta(0))
        assert report.orphans == () and report.missing == () and report.stale_uploads == ()

        again = await upload(member, case_id, [("fotografija.jpg", photo)])
        assert again.status_code == 201, again.text
        content = await member.get(f"/api/v1/cases/{case_id}/attachments/{again.json()[0]['id']}/content")
        assert content.content == photo
    assert await Attachment.count() == 2


async def test_a_login_while_the_database_is_gone_is_a_503_not_a_401(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "database"
    own = await sqlite_settings(settings, folder)
    app = create_app(own, engine=db.create_engine(own.database))
    async with serving(app) as client:
        folder.rename(tmp_path / "elsewhere")
        response = await client.post(
            "/api/v1/auth/login", json={"email": "someone@example.org", "password": "a long passphrase"}
        )
    # A member must not be told their password is wrong when the platform cannot check it.
    assert is_problem(response, 503), (response.status_code, response.text[:300])
