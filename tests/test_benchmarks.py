"""`make bench` keeps working: every benchmark runs end to end at a tiny size and prints its figures.

The figures' values are never checked here (timings do not go into tests; those in
benchmarks/README.md come from `make bench`); what is checked is that each script still drives the
real platform to the end and reports every figure benchmarks/README.md quotes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.s3server import S3Endpoint

ROOT = Path(__file__).resolve().parents[1]


def run_bench(script: str, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def s3_env(endpoint: S3Endpoint) -> dict[str, str]:
    env = {
        "INTEGRITY_TEST_S3_ENDPOINT": endpoint.endpoint,
        "INTEGRITY_TEST_S3_ACCESS_KEY": endpoint.access_key,
        "INTEGRITY_TEST_S3_SECRET_KEY": endpoint.secret_key,
        "INTEGRITY_TEST_S3_SECURE": "true" if endpoint.secure else "false",
    }
    if endpoint.region:
        env["INTEGRITY_TEST_S3_REGION"] = endpoint.region
    return env


@pytest.mark.slow
def test_the_vault_and_api_transfer_benchmarks_report_every_figure(s3_endpoint: S3Endpoint) -> None:
    vault = run_bench("vault.py", "--size-mib", "2", "--rounds", "1", env=s3_env(s3_endpoint))
    assert "put: direct" in vault and "get: direct" in vault and "ratio vault/direct" in vault
    assert "peak RSS" in vault
    api = run_bench("upload.py", "--size-mib", "2", "--rounds", "1", env=s3_env(s3_endpoint))
    for figure in (
        "upload  : direct",
        "download: direct",
        "ratio API/direct",
        "server RSS: idle",
        "server peak RSS above idle by file size: 1 MiB file",
    ):
        assert figure in api, api
    # (SeaweedFS's own CPU is only reported when the benchmark started it, not for this shared one.)
    for path in ("api up", "api down", "direct up", "direct down"):
        assert f"{path:11}: client" in api and "server" in api, api
    assert "cannot pass CPU direct / CPU API" in api


@pytest.mark.slow
def test_the_custody_benchmark_reports_verify_checkpoints_and_proofs() -> None:
    out = run_bench("custody_verify.py", "--entries", "3000", "--checkpoints", "2")
    assert "custody verify benchmark: 3,000 entries, 2 signed checkpoints" in out
    for figure in (
        "verify_log():",
        "ok=True",
        "storing the subtree hashes",
        "checkpoint after",
        "inclusion proof:",
    ):
        assert figure in out, out


@pytest.mark.slow
def test_the_search_benchmark_reports_latencies_per_engine() -> None:
    databases = "sqlite,postgresql" if TEST_DATABASE_URL else "sqlite"
    args = ["--sizes", "200,300", "--databases", databases, "--queries", "20"]
    if TEST_DATABASE_URL:
        args += ["--postgres-url", TEST_DATABASE_URL]
    out = run_bench("search.py", *args)
    for engine in databases.split(","):
        for size in ("200", "300"):
            assert re.search(rf"{engine} +{size} cases .*: search p50 [\d.]+ ms, p95 [\d.]+ ms", out), out
            assert f"{engine} {size}" in out, out  # its column in the per-query table
    assert "per query: median ms (hits)" in out


@pytest.mark.slow
def test_the_public_read_benchmark_reports_each_path_against_healthz() -> None:
    out = run_bench(
        "public_read.py", "--cases", "200", "--seconds", "1", "--rounds", "1", "--connections", "4"
    )
    assert "public read benchmark: 200 published cases" in out and "load tool:" in out
    for path in ("/healthz", "case JSON", "list JSON", "case page HTML", "list page HTML"):
        assert path in out, out
    assert out.count(">= 0.50") == 2 and out.count(">= 0.40") == 2, out


@pytest.mark.slow
def test_the_institutions_benchmark_reports_each_request_against_its_goal() -> None:
    out = run_bench(
        "institutions.py",
        *("--cases", "60", "--referrals", "300", "--institutions", "10", "--requests", "5"),
        *("--databases", "sqlite"),
    )
    assert "sqlite, 60 cases, 300 referrals, public cache off" in out, out
    for label in (
        "ranking JSON",
        "ranking JSON, filtered",
        "ranking JSON, counted",
        "ranking page",
        "an institution's JSON",
    ):
        assert label in out, out
    assert out.count(" met") + out.count("MISSED") == 3, out


@pytest.mark.slow
def test_the_ocr_benchmark_reports_every_figure() -> None:
    out = run_bench("ocr.py", "--pages", "1", "--long-pages", "2", "--cases", "3", "--seconds", "1")
    assert re.search(r"OCR of a 1-page scanned PDF \(one process\): [\d.]+ s, [\d.]+ pages/s", out), out
    assert re.search(r"leak check of a 2-page scan by the server's worker: [\d.]+ s, done", out), out
    assert "case JSON / healthz ratio" in out or "no round measured" in out, out


def test_the_fixity_benchmark_reports_throughput_and_memory_against_a_plain_read() -> None:
    out = run_bench("fixity.py", "--gib", "0.01", "--file-mib", "4")
    assert re.search(r"seeded 3 files, 10 MiB", out), out
    assert "integrity vault verify: vault verified: 3 files" in out, out
    assert re.search(r"verify / plain read throughput: [\d.]+", out), out
    assert re.search(r"peak RSS whole / one sixteenth: [\d.]+", out), out
