"""HTTP load for the benchmarks: `wrk` when it is installed, otherwise a lean Python client.

    measure(base_url, paths, connections=32, seconds=10) -> LoadResult

Each request picks one of `paths` at random, over `connections` keep-alive HTTP/1.1 connections
held open for `seconds`. `wrk` (Debian package `wrk`) gets the paths through a Lua script; the
Python client (asyncio protocols over raw sockets, one request in flight per connection, uvloop
when installed) runs in a process of its own, so it never shares an interpreter with the caller:

    python benchmarks/load.py --base-url http://127.0.0.1:8000 --paths-file paths.txt

prints one JSON line (requests, seconds, non_2xx, errors). Both tools count a 304 as a failure:
the benchmark's requests send no validators, so every answer should be a 200 with its body.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

#: Picks a path at random for every request; each wrk thread seeds its own generator.
WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("LOAD_PATHS_FILE")) do
  if #line > 0 then paths[#paths + 1] = line end
end
local count = #paths
function setup(thread)
  thread:set("seed", math.random(1, 2147483647))
end
function init(args)
  math.randomseed(seed)
end
function request()
  return wrk.format("GET", paths[math.random(1, count)])
end
"""


@dataclass(frozen=True)
class LoadResult:
    tool: str
    requests: int
    seconds: float
    non_2xx: int
    errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def tool_name() -> str:
    """The load tool `measure` will use: `wrk` if it is on PATH, else the Python client."""
    return "wrk" if shutil.which("wrk") else "python"


def measure(base_url: str, paths: list[str], *, connections: int = 32, seconds: float = 10.0) -> LoadResult:
    with tempfile.TemporaryDirectory(prefix="load-") as folder:
        paths_file = Path(folder) / "paths.txt"
        paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
        if tool_name() == "wrk":
            return _wrk(base_url, paths_file, Path(folder), connections, seconds)
        return _python(base_url, paths_file, connections, seconds)


# --- wrk ----------------------------------------------------------------------------------------


def _wrk(base_url: str, paths_file: Path, folder: Path, connections: int, seconds: float) -> LoadResult:
    script = folder / "random-paths.lua"
    script.write_text(WRK_SCRIPT, encoding="utf-8")
    done = subprocess.run(
        [
            "wrk",
            "--threads",
            "1",
            "--connections",
            str(connections),
            "--duration",
            f"{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "--script",
            str(script),
            base_url,
        ],
        env={**os.environ, "LOAD_PATHS_FILE": str(paths_file)},
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    summary = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if summary is None:
        raise RuntimeError("cannot read wrk's summary:\n" + out + done.stderr)
    unit = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[summary.group(3)]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return LoadResult(
        tool="wrk",
        requests=int(summary.group(1)),
        seconds=float(summary.group(2)) * unit,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


# --- the Python client --------------------------------------------------------------------------


def _python(base_url: str, paths_file: Path, connections: int, seconds: float) -> LoadResult:
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--base-url",
            base_url,
            "--paths-file",
            str(paths_file),
            "--connections",
            str(connections),
            "--seconds",
            str(seconds),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return LoadResult(tool="python", **result)


class _Connection(asyncio.Protocol):
    """One keep-alive connection: sends a request, reads the whole answer, sends the next."""

    def __init__(self, requests: list[bytes], stop_at: float, finished: asyncio.Future[None]) -> None:
        self.requests = requests
        self.stop_at = stop_at
        self.finished = finished
        self.buffer = bytearray()
        self.done = 0
        self.non_2xx = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        self.transport.write(random.choice(self.requests))

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).lower()
            found = re.search(rb"\r\ncontent-length: *(\d+)", head)
            if found is None:
                self._fail(RuntimeError("an answer without content-length"))
                return
            total = end + 4 + int(found.group(1))
            if len(self.buffer) < total:
                return
            if not head.startswith(b"http/1.1 2"):
                self.non_2xx += 1
            del self.buffer[:total]
            self.done += 1
            if time.monotonic() >= self.stop_at:
                if self.transport is not None:
                    self.transport.close()
                if not self.finished.done():
                    self.finished.set_result(None)
                return
            self._send()

    def _fail(self, exc: Exception) -> None:
        if not self.finished.done():
            self.finished.set_exception(exc)
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.finished.done():
            self._fail(exc or ConnectionError("the server closed the connection"))


async def _run_python(base_url: str, paths: list[str], connections: int, seconds: float) -> dict[str, object]:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [
        f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: integrity-bench\r\n\r\n".encode()
        for path in paths
    ]
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    stop_at = started + seconds
    protocols: list[_Connection] = []
    waits = []
    for _ in range(connections):
        finished: asyncio.Future[None] = loop.create_future()
        _, protocol = await loop.create_connection(
            lambda f=finished: _Connection(requests, stop_at, f), host, port
        )
        protocols.append(protocol)
        waits.append(finished)
    outcomes = await asyncio.gather(*waits, return_exceptions=True)
    elapsed = time.monotonic() - started
    return {
        "requests": sum(p.done for p in protocols),
        "seconds": elapsed,
        "non_2xx": sum(p.non_2xx for p in protocols),
        "errors": sum(1 for o in outcomes if isinstance(o, BaseException)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--paths-file", required=True, type=Path)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    paths = [line for line in args.paths_file.read_text(encoding="utf-8").splitlines() if line]
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    result = runner(_run_python(args.base_url, paths, args.connections, args.seconds))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
