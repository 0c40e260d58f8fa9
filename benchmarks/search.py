"""Latency of the public search through a live `integrity serve`, at 10,000 and 100,000 published
cases, on SQLite and PostgreSQL, in one run.

    python benchmarks/search.py [--sizes 10000,100000] [--databases sqlite,postgresql]
        [--queries 200] [--postgres-url postgresql://postgres@127.0.0.1:5432/postgres]

For each database the corpus (`benchmarks/corpus.py`) is seeded to the first size, a server is
started on it and measured, then the corpus grows to the next size and a new server is measured.
SQLite is a file in a temporary folder; PostgreSQL is a throwaway database (`integrity_bench_<hex>`)
created on the server `--postgres-url` names and dropped at the end (skipped, with a line saying
so, when that server does not answer).

The requests are `GET /api/v1/public/cases` with a mix of what readers type: common words, rare
words, two words, a word written without its diacritics, Cyrillic, a word found nowhere, and a
query combined with a municipality, district, category or year filter; the list without a query
and a filter without one are timed too, as a reference. Every query is asked three times untimed
(warm-up), then `--queries` requests are timed one after another, round robin over the mix, from
the client's side (HTTP included). The server's public answer cache is turned off
(`INTEGRITY_PUBLIC_CACHE_MB=0`), so every request runs its query: these are the figures of a
query nobody asked in the last moments, not of a popular one served from memory. On a shared
2-core machine the client, the server and PostgreSQL take turns on the same cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from benchmarks.corpus import seed_published  # noqa: E402
from benchmarks.upload import start_server  # noqa: E402
from integrity import db  # noqa: E402
from integrity.settings import DatabaseSettings  # noqa: E402
from tests.postgres import admin_execute, with_database  # noqa: E402
from tests.s3server import free_port  # noqa: E402

LIST = "/api/v1/public/cases"
WARM_UP_ROUNDS = 3


@dataclass(frozen=True)
class Query:
    kind: str
    params: tuple[tuple[str, str], ...]
    #: Timed as a reference, left out of the search figures (there are no words to search).
    reference_only: bool = False

    @property
    def label(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.params) or "(none)"


def ask_for(kind: str, *, reference_only: bool = False, **params: str) -> Query:
    return Query(kind, tuple(params.items()), reference_only)


#: What readers type. The words come from the corpus's own vocabulary (`benchmarks/corpus.py`).
QUERIES = (
    ask_for("common word", q="tender"),
    ask_for("common word", q="ugovor"),
    ask_for("rare word", q="hipodrom"),
    ask_for("rare word", q="planetarijum"),
    ask_for("two words", q="tender vrtića"),
    ask_for("two words", q="građevinska dozvola"),
    ask_for("no diacritics", q="zaposljavanje"),
    ask_for("no diacritics", q="zicara"),
    ask_for("Cyrillic", q="набавка"),
    ask_for("Cyrillic", q="грађевинска дозвола"),
    ask_for("no hits", q="cepelin"),
    ask_for("query + municipality", q="tender", municipality="novi-sad"),
    ask_for("query + district", q="ugovor", district="beograd"),
    ask_for("query + category", q="dozvola", category="urban_planning_land"),
    ask_for("query + year", q="nabavka", year="2021"),
    ask_for("list, no query", reference_only=True),
    ask_for("category, no query", category="media_capture", reference_only=True),
)


@dataclass
class Measured:
    database: str
    size: int
    #: How long seeding took, and how many cases it added (the growth from the previous size).
    seed_seconds: float
    seeded: int
    times: dict[Query, list[float]] = field(default_factory=dict)
    hits: dict[Query, int] = field(default_factory=dict)

    def search_times(self) -> list[float]:
        return [t for q, ts in self.times.items() if not q.reference_only for t in ts]


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (`share` from 0 to 1) of `values`."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


# --- databases --------------------------------------------------------------------------------------


def postgres_problem(base_url: str) -> str | None:
    """Why PostgreSQL at `base_url` cannot be used (None when it answers)."""
    try:
        asyncio.run(admin_execute(base_url, "SELECT 1", timeout=5))
    except Exception as exc:  # noqa: BLE001 - any failure means: skip it, saying why
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


@contextlib.contextmanager
def bench_database(kind: str, folder: Path, postgres_url: str) -> Iterator[str]:
    """The URL of an empty database of `kind`, removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'search-bench.sqlite3'}"
        return
    name = "integrity_bench_" + secrets.token_hex(4)
    asyncio.run(admin_execute(postgres_url, f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(postgres_url, name)
    finally:
        asyncio.run(admin_execute(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def grow(url: str, count: int) -> None:
    settings = DatabaseSettings(url=url)
    engine = db.create_engine(settings)
    await db.migrate(engine, settings)
    await seed_published(count)


# --- measuring --------------------------------------------------------------------------------------


def measure(base_url: str, requests: int, result: Measured) -> None:
    with httpx.Client(base_url=base_url, timeout=httpx.Timeout(120)) as client:

        def ask(query: Query) -> tuple[float, int]:
            started = time.perf_counter()
            response = client.get(LIST, params=dict(query.params))
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{query.label}: {response.status_code} {response.text[:200]}")
            return elapsed, int(response.json()["total"])

        for _ in range(WARM_UP_ROUNDS):
            for query in QUERIES:
                _, result.hits[query] = ask(query)
        for n in range(requests):
            query = QUERIES[n % len(QUERIES)]
            elapsed, _ = ask(query)
            result.times.setdefault(query, []).append(elapsed)


def run_database(kind: str, sizes: list[int], requests: int, postgres_url: str) -> list[Measured]:
    results: list[Measured] = []
    with (
        tempfile.TemporaryDirectory(prefix="search-bench-") as folder,
        bench_database(kind, Path(folder), postgres_url) as url,
    ):
        seeded = 0
        for size in sizes:
            started = time.perf_counter()
            asyncio.run(grow(url, size - seeded))
            result = Measured(kind, size, seed_seconds=time.perf_counter() - started, seeded=size - seeded)
            seeded = size
            port = free_port()
            env = {
                "INTEGRITY_DATA_DIR": folder,
                "INTEGRITY_DATABASE_URL": url,
                "INTEGRITY_BASE_URL": f"http://127.0.0.1:{port}",
                "INTEGRITY_LOG_LEVEL": "WARNING",
                # Every request runs its query (see the module's docstring).
                "INTEGRITY_PUBLIC_CACHE_MB": "0",
            }
            server = start_server(env, port, Path(folder) / f"server-{size}.log")
            try:
                measure(env["INTEGRITY_BASE_URL"], requests, result)
            finally:
                server.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    server.wait(timeout=15)
                server.kill()
            results.append(result)
            report_one(result)
    return results


# --- reporting --------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f}"


def report_one(result: Measured) -> None:
    times = result.search_times()
    print(
        f"  {result.database:10} {result.size:>7,} cases "
        f"({result.seeded:,} seeded in {result.seed_seconds:.1f} s): "
        f"search p50 {ms(percentile(times, 0.5)).strip()} ms, p95 {ms(percentile(times, 0.95)).strip()} ms, "
        f"{len(times)} requests",
        flush=True,
    )


def _size_label(size: int) -> str:
    """10000 -> "10k"; sizes under a thousand as they are."""
    return f"{size // 1000}k" if size >= 1000 and size % 1000 == 0 else str(size)


def report(results: list[Measured], requests: int) -> None:
    print()
    print(
        f"search latency in ms, client side: {requests} sequential requests per database and size, "
        "the searches among them (reference rows left out)"
    )
    print(f"  {'database':10} {'cases':>8} {'requests':>8} {'p50':>7} {'p95':>7} {'mean':>7} {'max':>7}")
    for r in results:
        times = r.search_times()
        print(
            f"  {r.database:10} {r.size:>8,} {len(times):>8} {ms(percentile(times, 0.5))} "
            f"{ms(percentile(times, 0.95))} {ms(statistics.fmean(times))} {ms(max(times))}"
        )
    print()
    print("per query: median ms (hits)")
    columns = [f"{r.database} {_size_label(r.size)}" for r in results]
    print(f"  {'kind':22} {'query':42}" + "".join(f"{c:>20}" for c in columns))
    for query in QUERIES:
        cells = []
        for r in results:
            times = r.times.get(query, [])
            median = ms(statistics.median(times)).strip() if times else "-"
            cells.append(f"{median} ({r.hits.get(query, 0):,})")
        kind = query.kind + (" *" if query.reference_only else "")
        print(f"  {kind:22} {query.label[:42]:42}" + "".join(f"{c:>20}" for c in cells))
    print("  * a reference, not a search: left out of the figures above")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="published cases, comma-separated")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--queries", type=int, default=200, help="timed requests per size and database")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "INTEGRITY_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL server where a throwaway database may be created",
    )
    args = parser.parse_args()
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(databases) - {"sqlite", "postgresql"}
    if unknown or not sizes or min(sizes) < 1 or args.queries < 1:
        parser.error("sizes must be positive, --queries at least 1, databases sqlite and/or postgresql")

    cores = os.cpu_count()
    print(
        f"search benchmark, {datetime.date.today().isoformat()}: {cores} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the start",
        flush=True,
    )
    results: list[Measured] = []
    for kind in databases:
        if kind == "postgresql":
            problem = postgres_problem(args.postgres_url)
            if problem is not None:
                where = urlsplit(args.postgres_url)
                place = f"{where.hostname}:{where.port or 5432}"
                print(f"  PostgreSQL at {place} does not answer ({problem}): skipped")
                continue
        results += run_database(kind, sizes, args.queries, args.postgres_url)
    if results:
        report(results, args.queries)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
