"""`integrity vault verify` on a store of evidence, next to a plain SHA-256 read of the same stored
objects, in one run.

    python benchmarks/fixity.py [--gib 10] [--file-mib 256]

Files of `--file-mib` MiB (`--gib` GiB in all) are uploaded through a live `integrity serve` (local
storage, SQLite) as one member's case; the server stops; then `integrity vault verify` runs as the
operator runs it: every object read, decrypted chunk by authenticated chunk, hashed and compared
with its row and custody entry. Prints its throughput, the throughput of reading and hashing the
stored objects with nothing else (`hashlib.sha256` over the files, the floor for any check), their
ratio, and the command's peak RSS (`ru_maxrss` of the child) for the whole store and for one
sixteenth of it (`--share 0/16`): memory flat in the store's size shows as two close figures.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from benchmarks.upload import CASE, Evidence, make_member_token, multipart, start_server  # noqa: E402
from benchmarks.vault import MIB  # noqa: E402
from integrity.vault.format import is_blob_id  # noqa: E402
from tests.s3server import free_port  # noqa: E402


def seed(env: dict[str, str], folder: Path, total: int, file_size: int) -> int:
    """Upload files until `total` bytes are stored; how many files."""
    port = int(env["INTEGRITY_BASE_URL"].rsplit(":", 1)[1])
    token = asyncio.run(make_member_token(env["INTEGRITY_DATABASE_URL"]))
    server = start_server(env, port, folder / "server.log")
    files = 0
    try:
        with httpx.Client(
            base_url=env["INTEGRITY_BASE_URL"],
            headers={"authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(600),
        ) as api:
            case = api.post("/api/v1/cases", json=CASE)
            case.raise_for_status()
            stored = 0
            while stored < total:
                data = Evidence(min(file_size, total - stored), os.urandom(MIB))
                boundary = "fixity-" + secrets.token_hex(8)
                body, length = multipart(data, boundary)
                response = api.post(
                    f"/api/v1/cases/{case.json()['id']}/attachments",
                    content=body,
                    headers={
                        "content-type": f"multipart/form-data; boundary={boundary}",
                        "content-length": str(length),
                    },
                )
                response.raise_for_status()
                stored += data.size
                files += 1
    finally:
        server.terminate()
        server.wait(timeout=30)
    return files


def verify(env: dict[str, str], *extra: str) -> tuple[float, int, str]:
    """Seconds, peak RSS in KiB, and what it printed, of one `integrity vault verify`."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "integrity.cli", "vault", "verify", *extra],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError("vault verify failed:\n" + output)
    return elapsed, usage.ru_maxrss, output.strip()


def plain_read(folder: Path) -> tuple[float, int]:
    """Seconds and bytes to read and hash every stored object, with nothing else."""
    started = time.perf_counter()
    read = 0
    for path in sorted(folder.rglob("*")):
        if path.is_file() and is_blob_id(path.name):
            digest = hashlib.sha256()
            with path.open("rb") as stored:
                while chunk := stored.read(MIB):
                    digest.update(chunk)
                    read += len(chunk)
    return time.perf_counter() - started, read


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--gib", type=float, default=10.0)
    parser.add_argument("--file-mib", type=int, default=256)
    args = parser.parse_args()
    total = int(args.gib * 1024 * MIB)
    with tempfile.TemporaryDirectory(prefix="fixity-bench-") as name:
        folder = Path(name)
        port = free_port()
        env = {
            "INTEGRITY_DATA_DIR": name,
            "INTEGRITY_DATABASE_URL": f"sqlite:///{name}/integrity.sqlite3",
            "INTEGRITY_BASE_URL": f"http://127.0.0.1:{port}",
            "INTEGRITY_LOG_LEVEL": "WARNING",
        }
        started = time.perf_counter()
        files = seed(env, folder, total, args.file_mib * MIB)
        print(f"seeded {files} files, {total / MIB:.0f} MiB, in {time.perf_counter() - started:.0f} s")
        seconds, peak, said = verify(env)
        part_seconds, part_peak, part_said = verify(env, "--share", "0/16")
        floor_seconds, floor_bytes = plain_read(folder)
        verify_rate = total / MIB / seconds
        floor_rate = floor_bytes / MIB / floor_seconds
        print(f"integrity vault verify: {said}")
        print(f"  {seconds:.1f} s, {verify_rate:.0f} MiB/s, peak RSS {peak / 1024:.0f} MiB")
        print(f"  one sixteenth (--share 0/16): {part_said}; peak RSS {part_peak / 1024:.0f} MiB")
        print(f"plain read + SHA-256 of the stored objects: {floor_rate:.0f} MiB/s")
        print(f"verify / plain read throughput: {verify_rate / floor_rate:.2f}")
        print(f"peak RSS whole / one sixteenth: {peak / part_peak:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
