"""The public read path against `/healthz` on the same live `integrity serve` process, in one run.

    python benchmarks/public_read.py [--cases 10000] [--seconds 10] [--connections 32] [--rounds 3]
                                     [--public-cache-mb N]

Seeds a fresh SQLite database with `--cases` published cases (`benchmarks/corpus.py`: the rows the
publishing side writes), starts `integrity serve` on a free port and reads every address once (the
first, uncached reads, timed as a whole). Then, round after round, it measures requests/s with one
load tool (`benchmarks/load.py`: wrk when installed, else its Python client), the same connections
and duration for each, back to back:

- `/healthz`, the baseline (no database, no template);
- a case's JSON, `/api/v1/public/cases/{reference}`, a random reference of all the cases each time;
- the case list's JSON, `/api/v1/public/cases`: the first page, deeper pages, filters by
  municipality, district, category and year;
- a case's page, `/cases/{reference}`, in the default language (sr-Latn), random as above;
- the list page, `/`, with the same pages and filters.

Each path's ratio is its requests/s over the same round's `/healthz`; the median over the rounds is
checked against the goals (issue 9): at least 0.5 for JSON, 0.4 for HTML. The load tool, the server
and whatever else runs share the machine's cores, so figures are only comparable within a run.
`--public-cache-mb 0` turns the server's public cache off (`INTEGRITY_PUBLIC_CACHE_MB`), to see what
every read costs without it (the first reads are then skipped: there is nothing to warm).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from benchmarks.corpus import SeededCase, seed_published  # noqa: E402
from benchmarks.load import LoadResult, measure, tool_name  # noqa: E402
from benchmarks.upload import proc_status_kib, start_server  # noqa: E402
from integrity import db  # noqa: E402
from integrity.settings import DatabaseSettings  # noqa: E402
from tests.s3server import free_port  # noqa: E402

LIST = "/api/v1/public/cases"
LIST_PAGE_SIZE = 20
JSON_GOAL = 0.5
HTML_GOAL = 0.4


@dataclass(frozen=True)
class Target:
    label: str
    paths: list[str]
    goal: float | None


async def seed(database_url: str, count: int) -> list[SeededCase]:
    settings = DatabaseSettings(url=database_url)
    engine = db.create_engine(settings)
    await db.migrate(engine, settings)
    return await seed_published(count, seed=1)


def list_queries(cases: Sequence[SeededCase]) -> list[dict[str, str]]:
    """The list's first page, deeper pages, and the busiest filters with a page or two of each."""
    pages = math.ceil(len(cases) / LIST_PAGE_SIZE)
    queries: list[dict[str, str]] = [{}]
    queries += [{"page": str(n)} for n in sorted({2, 3, 5, 10, 50, pages // 4, pages // 2, pages}) if n > 1]

    def busiest(values: list[str], n: int) -> list[str]:
        return [value for value, _ in Counter(values).most_common(n)]

    for code in busiest([c.municipality for c in cases], 4):
        queries += [{"municipality": code}, {"municipality": code, "page": "2"}]
    for code in busiest([c.district for c in cases if c.district], 3):
        queries.append({"district": code})
    for code in busiest([code for c in cases for code in c.categories], 5):
        queries += [{"category": code}, {"category": code, "page": "3"}]
    years = busiest([str(c.incident_date.year) for c in cases], 3)
    queries += [{"year": year} for year in years]
    if years:
        queries.append({"year": years[0], "category": busiest([c.categories[0] for c in cases], 1)[0]})
    return queries


def targets(cases: Sequence[SeededCase]) -> list[Target]:
    references = [case.reference for case in cases]
    queries = list_queries(cases)

    def address(path: str, query: dict[str, str]) -> str:
        return path + ("?" + urlencode(query) if query else "")

    return [
        Target("/healthz", ["/healthz"], None),
        Target("case JSON", [f"{LIST}/{reference}" for reference in references], JSON_GOAL),
        Target("list JSON", [address(LIST, query) for query in queries], JSON_GOAL),
        Target("case page HTML", [f"/cases/{reference}" for reference in references], HTML_GOAL),
        Target("list page HTML", [address("/", query) for query in queries], HTML_GOAL),
    ]


async def read_once(base_url: str, paths: list[str], connections: int) -> float:
    """Every path once, `connections` at a time; the seconds it took. Every answer must be a 200."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    gate = asyncio.Semaphore(connections)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120) as client:

        async def one(path: str) -> None:
            async with gate:
                response = await client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: {response.status_code}")

        started = time.perf_counter()
        await asyncio.gather(*(one(path) for path in paths))
        return time.perf_counter() - started


def tool_description(connections: int) -> str:
    if tool_name() == "wrk":
        version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout
        first = version.split("\n", 1)[0].split(" [", 1)[0].strip() or "wrk"
        return f"{first} (1 thread, {connections} connections, a Lua script picks each path)"
    return f"the Python load client in benchmarks/load.py ({connections} connections; wrk not found)"


def run(count: int, seconds: float, connections: int, rounds: int, cache_mb: int | None) -> bool:
    folder = tempfile.mkdtemp(prefix="public-read-bench-")
    try:
        database_url = f"sqlite:///{folder}/integrity.sqlite3"
        started = time.perf_counter()
        cases = asyncio.run(seed(database_url, count))
        seeded_in = time.perf_counter() - started
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {
            "INTEGRITY_DATA_DIR": folder,
            "INTEGRITY_DATABASE_URL": database_url,
            "INTEGRITY_BASE_URL": base_url,
            "INTEGRITY_STORAGE": "local",
            "INTEGRITY_LOG_LEVEL": "WARNING",
            **({"INTEGRITY_PUBLIC_CACHE_MB": str(cache_mb)} if cache_mb is not None else {}),
        }
        server = start_server(env, port, Path(folder) / "server.log")
        try:
            warm = cache_mb != 0
            return _measure(server, base_url, cases, seeded_in, seconds, connections, rounds, warm)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _measure(
    server: subprocess.Popen[bytes],
    base_url: str,
    cases: list[SeededCase],
    seeded_in: float,
    seconds: float,
    connections: int,
    rounds: int,
    warm: bool,
) -> bool:
    plan = targets(cases)
    idle_kib = proc_status_kib(server.pid, "VmRSS")
    first_reads = []
    for target in plan[1:] if warm else []:
        took = asyncio.run(read_once(base_url, target.paths, connections))
        first_reads.append(
            f"{target.label} {len(target.paths):,} in {took:.1f} s ({len(target.paths) / took:,.0f}/s)"
        )
    results: dict[str, list[LoadResult]] = {target.label: [] for target in plan}
    for _ in range(rounds):
        for target in plan:
            results[target.label].append(
                measure(base_url, target.paths, connections=connections, seconds=seconds)
            )
    rss_kib = proc_status_kib(server.pid, "VmRSS")

    print(f"public read benchmark: {len(cases):,} published cases (SQLite, seeded in {seeded_in:.0f} s)")
    print(f"  load tool: {tool_description(connections)}")
    print(f"  {seconds:g} s per path, {rounds} rounds, the paths back to back in each round")
    if warm:
        print(f"  first reads (uncached, httpx, {connections} at a time): " + "; ".join(first_reads))
    else:
        print("  the server's public cache is off (INTEGRITY_PUBLIC_CACHE_MB=0): every read is built")
    print(f"  {'path':16} {'addresses':>9}  {'req/s (median)':>14}  {'ratio to /healthz (rounds)':34}  goal")
    baseline = results["/healthz"]
    passed = True
    for target in plan:
        runs = results[target.label]
        ratios = [r.per_second / b.per_second for r, b in zip(runs, baseline, strict=True)]
        ratio = statistics.median(ratios)
        failures = sum(r.non_2xx + r.errors for r in runs)
        verdict = ""
        if target.goal is not None:
            ok = ratio >= target.goal and failures == 0
            passed &= ok
            verdict = f">= {target.goal:.2f} {'PASS' if ok else 'FAIL'}"
        each = "(" + " ".join(f"{r:.2f}" for r in ratios) + ")"
        per_second = statistics.median(r.per_second for r in runs)
        failed = f"  ({failures} failed answers)" if failures else ""
        print(
            f"  {target.label:16} {len(target.paths):9,}  {per_second:14,.0f}  "
            f"{ratio:5.2f} {each:28}  {verdict}{failed}"
        )
    print(f"  server RSS: {idle_kib / 1024:.0f} MiB after start, {rss_kib / 1024:.0f} MiB after the run")
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--public-cache-mb", type=int, default=None, help="the server's INTEGRITY_PUBLIC_CACHE_MB"
    )
    args = parser.parse_args()
    run(args.cases, args.seconds, args.connections, args.rounds, args.public_cache_mb)


if __name__ == "__main__":
    main()
