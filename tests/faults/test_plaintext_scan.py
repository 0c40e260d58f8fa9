"""No plaintext at rest: files, filenames and narratives filed through a live server appear nowhere on
disk or in the store: not in temp folders, the data folder, the database, the object store's bucket or
the server's log (at DEBUG level).

Each run uses fresh random markers: inside a small file and one larger than 1 MiB (text and PNG), in
the filenames, title, narrative, location and a protected actor's name. The temp folder is compared
before and after, and every file that appeared or changed in it is searched.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from integrity.app import create_app
from integrity.settings import Settings
from integrity.tables import all_tables
from tests import samples
from tests.cases.test_intake import NEW_CASE
from tests.factories import AccountFactory, Caller
from tests.faults.conftest import s3_env, s3_settings
from tests.s3server import WeedServer

MIB = 1024 * 1024
READ = 4 * MIB

Snapshot = dict[str, tuple[int, int]]


def snapshot(root: Path) -> Snapshot:
    """Every regular file under `root` (symlinks not followed) with its size and modification time."""
    found: Snapshot = {}
    for folder, _, names in os.walk(root, followlinks=False):
        for name in names:
            path = os.path.join(folder, name)
            try:
                stat = os.lstat(path)
            except OSError:
                continue
            if os.path.isfile(path) and not os.path.islink(path):
                found[path] = (stat.st_size, stat.st_mtime_ns)
    return found


def changed(before: Snapshot, after: Snapshot) -> list[Path]:
    return sorted(Path(path) for path, seen in after.items() if before.get(path) != seen)


def contains(chunks: Iterable[bytes], needles: list[bytes]) -> set[bytes]:
    """Which needles occur in the concatenated chunks (a needle may straddle two chunks)."""
    overlap = max(len(needle) for needle in needles) - 1
    tail = b""
    hits: set[bytes] = set()
    for chunk in chunks:
        window = tail + chunk
        hits.update(needle for needle in needles if needle in window)
        tail = window[-overlap:]
    return hits


def file_chunks(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(READ):
                yield chunk
    except OSError:
        return


class Markers:
    def __init__(self) -> None:
        token = secrets.token_hex(8)
        self.content = f"SADRZAJ{token}"
        self.filename = f"DATOTEKA{token}"
        self.narrative = f"NARATIV{token}"
        self.title = f"NASLOV{token}"
        self.location = f"LOKACIJA{token}"
        self.protected = f"Zastićeni{token}"

    def needles(self) -> list[bytes]:
        texts = [self.content, self.filename, self.narrative, self.title, self.location, self.protected]
        # UTF-8 as written, and UTF-16 in case anything stores text that way.
        return [text.encode() for text in texts] + [text.encode("utf-16-le") for text in texts]


async def file_everything(member: Caller, markers: Markers) -> list[bytes]:
    """File a case carrying every marker, upload the files, read them back, submit; the files sent."""
    case = {
        **NEW_CASE,
        "title": f"Javna nabavka {markers.title}",
        "narrative": f"Opis događaja. {markers.narrative} Kraj opisa.",
        "location_detail": f"Ulica {markers.location}",
        "actors": [
            {
                "name": f"Petar {markers.protected}",
                "kind": "person",
                "role": "witness",
                "protect_identity": True,
            }
        ],
    }
    created = await member.post("/api/v1/cases", json=case)
    assert created.status_code == 201, created.text
    case_id = created.json()["id"]
    line = f"Zapisnik, red sa oznakom {markers.content}.\n"
    large_text = (line * (int(1.5 * MIB) // len(line) + 1)).encode()
    files = [
        (f"{markers.filename}-mali.txt", samples.text(markers.content)),
        (f"{markers.filename}-veliki.txt", large_text),
        (
            f"{markers.filename}-slika.png",
            samples.png(markers.content.encode() * 50_000, width=64, height=64),
        ),
    ]
    assert len(files[2][1]) > MIB
    body, content_type = samples.multipart(files)
    stored = await member.post(
        f"/api/v1/cases/{case_id}/attachments", content=body, headers={"content-type": content_type}
    )
    assert stored.status_code == 201, stored.text
    for item, (_, content) in zip(stored.json(), files, strict=True):
        back = await member.get(f"/api/v1/cases/{case_id}/attachments/{item['id']}/content")
        assert back.content == content
    shown = await member.get(f"/api/v1/cases/{case_id}")
    assert markers.narrative in shown.text and markers.filename in shown.text
    submitted = await member.post(f"/api/v1/cases/{case_id}/submit")
    assert submitted.status_code == 200, submitted.text
    return [content for _, content in files]


async def database_rows() -> Iterator[bytes]:
    rows = []
    for table in all_tables():
        for row in await table.select():
            rows.append(repr(row).encode("utf-8", "backslashreplace"))
    return iter(rows)


@pytest.mark.slow
@pytest.mark.parametrize("storage", ["local", "s3"])
async def test_nothing_filed_is_readable_at_rest(
    storage: str,
    settings: Settings,
    engine: Any,
    server_process: Any,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    env: dict[str, str] = {"INTEGRITY_LOG_LEVEL": "DEBUG"}
    if storage == "s3":
        weed: WeedServer = request.getfixturevalue("weed")
        settings = s3_settings(settings, weed.endpoint)
        env.update(s3_env(settings))
    markers = Markers()
    needles = markers.needles()
    temp_root = Path(tempfile.gettempdir())
    before = snapshot(temp_root)

    app = create_app(settings, engine=engine)
    server = server_process(env, "server.log")
    server.start()
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        member = await AccountFactory(app=app, client=client, settings=settings).as_role("member")  # type: ignore[arg-type]
        sent = await file_everything(member, markers)
    server.stop()  # the log is complete once the process has exited

    hits: dict[str, set[bytes]] = {}

    def search(where: str, chunks: Iterable[bytes]) -> None:
        found = contains(chunks, needles)
        if found:
            hits[where] = found

    # The scan itself finds what it looks for.
    assert contains(iter([b"xx" + sent[0][:10], sent[0][10:] + b"yy"]), needles) == {markers.content.encode()}

    new_files = changed(before, snapshot(temp_root))
    # The test's own data folder and database (under the temp folder unless PostgreSQL) are among them.
    assert any(path.is_relative_to(settings.data_dir) for path in new_files), "nothing was written?"
    for path in new_files:
        search(f"temp file {path}", file_chunks(path))
    for path in settings.data_dir.rglob("*"):
        if path.is_file():
            search(f"data folder {path}", file_chunks(path))
    if settings.database.is_sqlite:
        database = settings.database.sqlite_path
        for path in database.parent.glob(database.name + "*"):
            search(f"database file {path}", file_chunks(path))
    search("database rows", await database_rows())
    log = server.log_path.read_bytes()
    assert b"vault put" in log, "the server did not log at DEBUG/INFO"
    search("server log", [log])
    if storage == "s3":
        client = weed.endpoint.client()
        names = [
            item.object_name for item in client.list_objects(bucket_name=settings.s3.bucket, recursive=True)
        ]
        assert len(names) == len(sent)
        for name in names:
            response = client.get_object(bucket_name=settings.s3.bucket, object_name=name)
            try:
                search(f"bucket object {name}", [response.read()])
            finally:
                response.close()
                response.release_conn()
    assert hits == {}, {where: sorted(found) for where, found in hits.items()}
