"""Evidence up- and download through the API of a live `integrity serve` process with S3 storage, next
to the bare `minio` client against the same SeaweedFS server, in one run.

    python benchmarks/upload.py [--size-mib 256] [--rounds 3]

The API path is the whole of it: HTTP and multipart parsing, type detection, sha256 and Cobblestone-256
encryption, multipart upload to S3, the database row and custody entry; the download streams back,
decrypted and checked. The direct path is `minio`'s `put_object` / `get_object` of the same bytes.
Prints throughput ratios API / direct (1.00 = no overhead) and the server process's peak RSS above
its idle RSS (`/proc/<pid>/status` VmHWM after the transfers, VmRSS before; the peak is reset after
start-up through `/proc/<pid>/clear_refs`), for a file a sixteenth the size and for the timed ones,
so that memory flat in the file size shows as two close figures. Starts its own SeaweedFS
(tests/s3server.py) unless `INTEGRITY_TEST_S3_ENDPOINT` names another server.

It also prints the CPU time each process spent per MiB moved (`/proc/<pid>/stat` utime + stime of the
server and of SeaweedFS when this script started it; `getrusage` of this client), on both paths, in
the same rounds. On a machine with few cores the transfer is CPU-bound and the wall-time ratio follows
from these: the API path adds the server's work (decrypting, hashing, HTTP) to what the S3 server
and the client already spend.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402
import urllib3  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from benchmarks.vault import MIB, PART_SIZE, Generated  # noqa: E402
from integrity import db  # noqa: E402
from integrity.accounts.login import create_api_token  # noqa: E402
from integrity.accounts.members import principal_from  # noqa: E402
from integrity.accounts.tables import Member  # noqa: E402
from integrity.custody.signing import Signer  # noqa: E402
from integrity.security.passwords import hash_password  # noqa: E402
from integrity.settings import DatabaseSettings  # noqa: E402
from tests.s3server import S3Endpoint, endpoint_from_env, free_port, running_weed  # noqa: E402

CASE = {
    "title": "Benchmark case",
    "narrative": "A fictional case for the upload benchmark.",
    "incident_date": "2026-01-15",
    "municipality": "cacak",
    "categories": ["procurement_public_money"],
}


class Evidence(Generated):
    """The benchmark's data, starting with JPEG magic so the platform accepts it as a photo."""

    MAGIC = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"

    def pieces(self) -> Iterator[bytes]:
        first = True
        for piece in super().pieces():
            if first:
                piece, first = self.MAGIC + piece[len(self.MAGIC) :], False
            yield piece


def proc_status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (`/proc/<pid>/stat` fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Meter:
    """Wall time and CPU time of the server, the S3 server (when known) and this client, per path."""

    def __init__(self, server_pid: int, s3_pid: int | None) -> None:
        self.pids = {"server": server_pid, **({"S3 server": s3_pid} if s3_pid else {})}
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, dict[str, float]] = {}

    def _cpu(self) -> dict[str, float]:
        return {"client": own_cpu_seconds()} | {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    @contextlib.contextmanager
    def measure(self, path: str) -> Iterator[None]:
        cpu_before, started = self._cpu(), time.perf_counter()
        yield
        elapsed, cpu_after = time.perf_counter() - started, self._cpu()
        self.wall.setdefault(path, []).append(elapsed)
        spent = self.cpu.setdefault(path, {})
        for name, seconds in cpu_after.items():
            spent[name] = spent.get(name, 0.0) + seconds - cpu_before[name]


def reset_peak_rss(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def make_member_token(database_url: str) -> str:
    settings = DatabaseSettings(url=database_url)
    engine = db.create_engine(settings)
    await db.migrate(engine, settings)
    member_id = uuid.uuid4()
    await Member.insert(
        Member(
            id=member_id,
            email="bench@example.org",
            display_name="Benchmark",
            role="member",
            profession="other",
            password_hash=hash_password(secrets.token_urlsafe(24)),
            is_active=True,
        )
    )
    member = await Member.objects().where(Member.id == member_id).first()
    assert member is not None
    # Only the token is kept: the server finds the member behind it with its own keys, so the
    # principal here needs no signer of the server's.
    signer = Signer.from_private_key(Ed25519PrivateKey.generate())
    _, token = await create_api_token(
        principal_from(member, via="token", credential_id=uuid.uuid4(), signer=signer), name="bench"
    )
    return token


def multipart(data: Evidence, boundary: str) -> tuple[Iterator[bytes], int]:
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="snimak.jpg"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from data.pieces()
        yield tail

    return body(), len(head) + data.size + len(tail)


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "integrity.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2):
                return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the server did not start:\n" + log.read_text()) from None
            time.sleep(0.2)


def run(endpoint: S3Endpoint, size: int, rounds: int, s3_pid: int | None = None) -> None:
    data = Evidence(size, os.urandom(MIB))
    small = Evidence(max(size // 16, MIB), os.urandom(MIB))
    bucket = "upload-bench-" + secrets.token_hex(4)
    client = endpoint.client()
    with tempfile.TemporaryDirectory(prefix="upload-bench-") as folder:
        port = free_port()
        env = {
            "INTEGRITY_DATA_DIR": folder,
            "INTEGRITY_DATABASE_URL": f"sqlite:///{folder}/integrity.sqlite3",
            "INTEGRITY_BASE_URL": f"http://127.0.0.1:{port}",
            "INTEGRITY_STORAGE": "s3",
            "INTEGRITY_S3_ENDPOINT": endpoint.endpoint,
            "INTEGRITY_S3_ACCESS_KEY": endpoint.access_key,
            "INTEGRITY_S3_SECRET_KEY": endpoint.secret_key,
            "INTEGRITY_S3_SECURE": "true" if endpoint.secure else "false",
            "INTEGRITY_S3_BUCKET": bucket,
            "INTEGRITY_MAX_UPLOAD_BYTES": str(size + 64 * MIB),
            "INTEGRITY_LOG_LEVEL": "WARNING",
            **({"INTEGRITY_S3_REGION": endpoint.region} if endpoint.region else {}),
        }
        token = asyncio.run(make_member_token(env["INTEGRITY_DATABASE_URL"]))
        server = start_server(env, port, Path(folder) / "server.log")
        meter = Meter(server.pid, s3_pid)
        try:
            api = httpx.Client(
                base_url=env["INTEGRITY_BASE_URL"],
                headers={"authorization": f"Bearer {token}"},
                timeout=httpx.Timeout(600),
            )
            # Downloads are read with urllib3, the HTTP library minio reads the direct path with, in the
            # same pieces: the two paths differ by the server alone, not by the client's library.
            reader = urllib3.HTTPConnectionPool(
                "127.0.0.1", port, headers={"authorization": f"Bearer {token}"}, timeout=600.0
            )
            case = api.post("/api/v1/cases", json=CASE)
            case.raise_for_status()
            case_id = case.json()["id"]
            # Warm-up, untimed: the S3 server allocates its volumes on the first large writes.
            _direct_round(client, bucket, data, Meter(server.pid, s3_pid))
            for _ in range(3):
                api.get("/readyz")
            idle_kib = proc_status_kib(server.pid, "VmRSS")
            # The peak for a file a sixteenth the size first (the heap only grows), then for the
            # timed rounds: flat in the file size means the two are about the same.
            peak_reset = reset_peak_rss(server.pid)
            _api_round(api, reader, case_id, small, Meter(server.pid, s3_pid))
            small_peak_kib = proc_status_kib(server.pid, "VmHWM")
            peak_reset = reset_peak_rss(server.pid) and peak_reset
            for _ in range(rounds):
                _api_round(api, reader, case_id, data, meter)
                _direct_round(client, bucket, data, meter)
            peak_kib = proc_status_kib(server.pid, "VmHWM")
            api.close()
            reader.close()
        finally:
            server.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=15)
            server.kill()
            for item in client.list_objects(bucket_name=bucket, recursive=True):
                with contextlib.suppress(Exception):
                    client.remove_object(bucket_name=bucket, object_name=item.object_name or "")
            with contextlib.suppress(Exception):
                client.remove_bucket(bucket_name=bucket)

    best = {key: min(values) for key, values in meter.wall.items()}
    mib = size / MIB
    print(f"upload benchmark: {mib:.0f} MiB through integrity serve (S3) and minio, {endpoint.endpoint}")
    print(f"  best of {rounds} rounds; throughput ratio API / direct (1.00 = no overhead)")
    for label, key in (("upload", "up"), ("download", "down")):
        direct, through_api = best[f"direct {key}"], best[f"api {key}"]
        print(
            f"  {label:8}: direct {direct:6.2f} s ({mib / direct:7.1f} MiB/s)   "
            f"API {through_api:6.2f} s ({mib / through_api:7.1f} MiB/s)   "
            f"ratio API/direct {direct / through_api:.2f}"
        )
    print(f"  CPU time per MiB moved, ms (mean of {rounds} rounds; the machine has {os.cpu_count()} cores):")
    for key, spent in meter.cpu.items():
        parts = "   ".join(
            f"{name} {seconds * 1000 / (mib * rounds):5.2f}" for name, seconds in spent.items()
        )
        total = sum(spent.values()) * 1000 / (mib * rounds)
        print(f"    {key:11}: {parts}   all {total:5.2f}")
    totals = {key: sum(spent.values()) for key, spent in meter.cpu.items()}
    print(
        "    when the cores are saturated, throughput API/direct cannot pass CPU direct / CPU API: "
        f"upload {totals['direct up'] / totals['api up']:.2f}, "
        f"download {totals['direct down'] / totals['api down']:.2f}"
    )
    note = "" if peak_reset else " (peak not reset after start-up: includes it)"
    print(
        f"  server RSS: idle {idle_kib / 1024:.0f} MiB, peak {peak_kib / 1024:.0f} MiB, "
        f"+{(peak_kib - idle_kib) / 1024:.0f} MiB above idle{note}"
    )
    print(
        f"  server peak RSS above idle by file size: {small.size / MIB:g} MiB file "
        f"+{(small_peak_kib - idle_kib) / 1024:.0f} MiB, {mib:g} MiB files "
        f"+{(peak_kib - idle_kib) / 1024:.0f} MiB"
    )


def _api_round(
    api: httpx.Client, reader: urllib3.HTTPConnectionPool, case_id: str, data: Evidence, meter: Meter
) -> None:
    boundary = "bench-" + secrets.token_hex(8)
    body, length = multipart(data, boundary)
    with meter.measure("api up"):
        response = api.post(
            f"/api/v1/cases/{case_id}/attachments",
            content=body,
            headers={
                "content-type": f"multipart/form-data; boundary={boundary}",
                "content-length": str(length),
            },
        )
    response.raise_for_status()
    attachment = response.json()[0]
    assert attachment["size"] == data.size
    url = f"/api/v1/cases/{case_id}/attachments/{attachment['id']}"
    with meter.measure("api down"):
        download = reader.request("GET", url + "/content", preload_content=False)
        try:
            assert download.status == 200, download.status
            got = sum(len(piece) for piece in download.stream(MIB))
        finally:
            download.release_conn()
    assert got == data.size
    api.delete(url).raise_for_status()


def _direct_round(client: object, bucket: str, data: Evidence, meter: Meter) -> None:
    from minio import Minio

    minio = cast(Minio, client)
    if not minio.bucket_exists(bucket_name=bucket):
        minio.make_bucket(bucket_name=bucket)
    name = "direct/" + secrets.token_hex(8)
    with meter.measure("direct up"):
        minio.put_object(
            bucket_name=bucket,
            object_name=name,
            data=cast(BinaryIO, data.reader()),
            length=data.size,
            part_size=PART_SIZE,
        )
    with meter.measure("direct down"):
        response = minio.get_object(bucket_name=bucket, object_name=name)
        try:
            got = sum(len(piece) for piece in response.stream(MIB))
        finally:
            response.close()
            response.release_conn()
    assert got == data.size
    minio.remove_object(bucket_name=bucket, object_name=name)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = args.size_mib * MIB
    configured = endpoint_from_env()
    if configured is not None:
        run(configured, size, args.rounds)
        return
    with running_weed() as server:
        run(server.endpoint, size, args.rounds, server.process.pid if server.process else None)


if __name__ == "__main__":
    main()
