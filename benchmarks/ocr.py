"""The leak check's reading of scanned files: pages per second, a 300-page scan through the server's
own worker, and the public read path while it runs, in one run.

    python benchmarks/ocr.py [--pages 50] [--long-pages 300] [--cases 200] [--seconds 5]
                             [--connections 16]

1. Reads a `--pages` scanned PDF (image-only A4 pages of Serbian text in both scripts, as
   `tests.redaction.handmade.scanned_pdf` draws them) with `integrity.redaction.ocr.ocr_pages`,
   the code the worker runs, in this process: pages per second.
2. Seeds `--cases` published cases, publishes one more whose file is a `--long-pages` scan, queues
   its reading (`check_state = pending`, as a new copy is), and starts `integrity serve`, whose
   in-process worker reads it. While it does, round after round, it measures requests/s of
   `/healthz` and of a random public case's JSON (`benchmarks/load.py`), back to back; each round's
   ratio is JSON over `/healthz`. It prints the time from the server's start to the reading being
   done (goal: under 10 minutes for 300 pages on a 2-core machine) and the median and lowest ratio
   (goal: above 0.5). The worker, the server and the load tool share the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.corpus import seed_published  # noqa: E402
from benchmarks.load import measure, tool_name  # noqa: E402
from benchmarks.upload import start_server  # noqa: E402
from integrity import db  # noqa: E402
from integrity.app import create_app  # noqa: E402
from integrity.publication.tables import CheckState, Rendition  # noqa: E402
from integrity.redaction.ocr import ocr_pages, page_count  # noqa: E402
from integrity.settings import Settings  # noqa: E402
from tests.publication.factories import Publisher  # noqa: E402
from tests.redaction.handmade import scanned_pdf  # noqa: E402
from tests.s3server import free_port  # noqa: E402

LONG_GOAL_SECONDS = 600.0
RATIO_GOAL = 0.5
LINES = [
    "ЗАПИСНИК О САСЛУШАЊУ СВЕДОКА",
    "Сведок је изјавио да је уговор потписан",
    "пре него што је тендер објављен.",
    "Opštinska uprava je ugovor dodelila firmi",
    "povezanoj sa odbornikom, bez javnog poziva.",
    "Iznos ugovora je 4.200.000 dinara.",
    "Potpis svedoka i datum saslušanja.",
]


def scan(pages: int) -> bytes:
    return scanned_pdf([[f"{line} ({n})" for line in LINES] for n in range(1, pages + 1)])


def read_speed(pages: int) -> None:
    content = scan(pages)
    assert page_count(content, "application/pdf") == pages
    started = time.perf_counter()
    read = ocr_pages(content, "application/pdf", 1, pages)
    took = time.perf_counter() - started
    words = sum(len(page.words) for page in read)
    rate = f"{pages / took:.2f} pages/s"
    print(f"OCR of a {pages}-page scanned PDF (one process): {took:.1f} s, {rate}, {words} words")


async def prepare(settings: Settings, cases: int, long_pages: int) -> tuple[list[str], str]:
    """The seeded cases' references, and the id of the long scan's copy, queued for reading."""
    engine = db.create_engine(settings.database)
    await db.migrate(engine, settings.database)
    seeded = await seed_published(cases, seed=1)
    app = create_app(settings, engine=engine)
    await app.state.vault.start()
    try:
        published = await Publisher(app).publish(title="Dugačak skenirani zapisnik", files=[scan(long_pages)])
    finally:
        await app.state.vault.aclose()
    (rendition_id,) = published.rendition_ids
    await Rendition.update({Rendition.check_state: CheckState.pending}).where(Rendition.id == rendition_id)
    return [case.reference for case in seeded], str(rendition_id)


async def state_of(settings: Settings, rendition_id: str) -> tuple[str, int]:
    engine = db.create_engine(settings.database)
    db.bind_engine(engine)
    row = (
        await Rendition.select(Rendition.check_state, Rendition.checked_pages)
        .where(Rendition.id == rendition_id)
        .first()
    )
    await db.settle_sqlite_workers()
    return row["check_state"], int(row["checked_pages"])


def run(pages: int, long_pages: int, cases: int, seconds: float, connections: int) -> bool:
    read_speed(pages)
    folder = tempfile.mkdtemp(prefix="ocr-bench-")
    try:
        port = free_port()
        env = {
            "INTEGRITY_DATA_DIR": folder,
            "INTEGRITY_DATABASE_URL": f"sqlite:///{folder}/integrity.sqlite3",
            "INTEGRITY_BASE_URL": f"http://127.0.0.1:{port}",
            "INTEGRITY_STORAGE": "local",
            "INTEGRITY_LOG_LEVEL": "WARNING",
        }
        settings = Settings.from_env(env)
        references, rendition_id = asyncio.run(prepare(settings, cases, long_pages))
        started = time.perf_counter()
        server = start_server(env, port, Path(folder) / "server.log")
        try:
            base_url = f"http://127.0.0.1:{port}"
            rng = random.Random(7)
            json_paths = [f"/api/v1/public/cases/{rng.choice(references)}" for _ in range(500)]
            ratios: list[float] = []
            while True:
                state, read = asyncio.run(state_of(settings, rendition_id))
                if state in (CheckState.done, CheckState.failed):
                    break
                healthz = measure(base_url, ["/healthz"], connections=connections, seconds=seconds)
                case_json = measure(base_url, json_paths, connections=connections, seconds=seconds)
                if healthz.per_second:
                    ratios.append(case_json.per_second / healthz.per_second)
                print(
                    f"  round {len(ratios)}: {read}/{long_pages} pages read; healthz "
                    f"{healthz.per_second:.0f}/s, case JSON {case_json.per_second:.0f}/s"
                )
            took = time.perf_counter() - started
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        print(
            f"leak check of a {long_pages}-page scan by the server's worker: {took:.1f} s, {state} "
            f"(goal: under {LONG_GOAL_SECONDS:.0f} s for 300 pages)"
        )
        if ratios:
            print(
                f"during the check ({tool_name()}, {connections} connections): case JSON / healthz ratio "
                f"median {statistics.median(ratios):.2f}, lowest {min(ratios):.2f} over {len(ratios)} "
                f"rounds (goal: above {RATIO_GOAL})"
            )
        else:
            print("during the check: no round measured (the reading was done before the first)")
        return state == CheckState.done
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--long-pages", type=int, default=300)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if not run(args.pages, args.long_pages, args.cases, args.seconds, args.connections):
        sys.exit(1)


if __name__ == "__main__":
    main()
