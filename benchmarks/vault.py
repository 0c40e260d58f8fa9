"""Vault throughput next to the bare `minio` client on the same S3 server, in one run.

    python benchmarks/vault.py [--size-mib 256] [--rounds 3]

Puts and gets the same generated data through the vault (sha256 + Cobblestone-256 + multipart upload;
download + decrypt + sha256 check) and directly through `minio` (`put_object` / `get_object`), and
prints time ratios vault / direct (1.00 = no overhead) and the process's peak RSS, after the vault's
rounds (which run first) and after the direct ones. Starts its own SeaweedFS (tests/s3server.py)
unless `INTEGRITY_TEST_S3_ENDPOINT` names another server. On a small machine the server competes
with the vault's hashing and decryption for the same cores, which shows in the get ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import secrets
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integrity.settings import Settings  # noqa: E402
from integrity.vault import build_vault  # noqa: E402
from tests.s3server import S3Endpoint, endpoint_from_env, running_weed  # noqa: E402

if TYPE_CHECKING:
    from minio import Minio

MIB = 1024 * 1024
PART_SIZE = 8 * MIB


class Generated:
    """The benchmark's data, made 1 MiB at a time: an async stream for the vault, a file for minio."""

    def __init__(self, size: int, block: bytes) -> None:
        self.size = size
        self.block = block

    def pieces(self) -> Iterator[bytes]:
        sent, counter = 0, 0
        while sent < self.size:
            counter += 1
            piece = (counter.to_bytes(8, "big") + self.block[8:])[: self.size - sent]
            sent += len(piece)
            yield piece

    async def stream(self) -> AsyncIterator[bytes]:
        for piece in self.pieces():
            yield piece

    def reader(self) -> _Reader:
        return _Reader(self.pieces())


class _Reader:
    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._buffer = bytearray()

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._buffer += piece
        size = len(self._buffer) if size < 0 else min(size, len(self._buffer))
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out


def rss_mib() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (MIB if sys.platform == "darwin" else 1024)


async def run(endpoint: S3Endpoint, size: int, rounds: int) -> None:
    data = Generated(size, os.urandom(MIB))
    bucket = "vault-bench-" + secrets.token_hex(4)
    with tempfile.TemporaryDirectory(prefix="vault-bench-") as folder:
        settings = Settings.from_env(
            {
                "INTEGRITY_DATA_DIR": folder,
                "INTEGRITY_STORAGE": "s3",
                "INTEGRITY_S3_ENDPOINT": endpoint.endpoint,
                "INTEGRITY_S3_ACCESS_KEY": endpoint.access_key,
                "INTEGRITY_S3_SECRET_KEY": endpoint.secret_key,
                "INTEGRITY_S3_SECURE": "true" if endpoint.secure else "false",
                "INTEGRITY_S3_BUCKET": bucket,
                **({"INTEGRITY_S3_REGION": endpoint.region} if endpoint.region else {}),
            }
        )
        client = endpoint.client()
        baseline = rss_mib()
        vault = await build_vault(settings)
        times: dict[str, list[float]] = {"vault put": [], "vault get": [], "direct put": [], "direct get": []}
        try:
            # The vault first, so the peak RSS after its rounds is the vault's own. The first round is
            # a warm-up, untimed: the server allocates its volumes on the first large writes.
            for round_number in range(rounds + 1):
                started = time.perf_counter()
                blob = await vault.put(data.stream(), expected_size=size)
                put_time = time.perf_counter() - started

                started = time.perf_counter()
                got = 0
                async for piece in vault.open(blob):
                    got += len(piece)
                get_time = time.perf_counter() - started
                assert got == size
                await vault.delete(blob)
                if round_number:
                    times["vault put"].append(put_time)
                    times["vault get"].append(get_time)
            vault_peak = rss_mib()
            for _ in range(rounds):
                await _direct_round(client, bucket, data, times)
        finally:
            await vault.aclose()
            with contextlib.suppress(Exception):
                client.remove_bucket(bucket_name=bucket)

    best = {key: min(values) for key, values in times.items()}
    mib = size / MIB
    print(f"vault benchmark: {mib:.0f} MiB through {endpoint.endpoint}, best of {rounds} rounds")
    for operation in ("put", "get"):
        direct, through_vault = best[f"direct {operation}"], best[f"vault {operation}"]
        print(
            f"  {operation}: direct {direct:6.2f} s ({mib / direct:7.1f} MiB/s)   "
            f"vault {through_vault:6.2f} s ({mib / through_vault:7.1f} MiB/s)   "
            f"ratio vault/direct {through_vault / direct:.2f}"
        )
    print(
        f"  peak RSS {vault_peak:.0f} MiB after the vault rounds, {rss_mib():.0f} MiB after the direct ones "
        f"(before any transfer: {baseline:.0f} MiB)"
    )


async def _direct_round(client: Minio, bucket: str, data: Generated, times: dict[str, list[float]]) -> None:
    name = "direct/" + secrets.token_hex(8)
    started = time.perf_counter()
    await asyncio.to_thread(
        client.put_object,
        bucket_name=bucket,
        object_name=name,
        data=cast(BinaryIO, data.reader()),  # minio only calls read()
        length=data.size,
        part_size=PART_SIZE,
    )
    times["direct put"].append(time.perf_counter() - started)
    started = time.perf_counter()
    await asyncio.to_thread(_direct_get, client, bucket, name, data.size)
    times["direct get"].append(time.perf_counter() - started)
    await asyncio.to_thread(client.remove_object, bucket_name=bucket, object_name=name)


def _direct_get(client: Minio, bucket: str, name: str, size: int) -> None:
    response = client.get_object(bucket_name=bucket, object_name=name)
    try:
        got = sum(len(piece) for piece in response.stream(MIB))
    finally:
        response.close()
        response.release_conn()
    assert got == size


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
        asyncio.run(run(configured, size, args.rounds))
        return
    with running_weed() as server:
        asyncio.run(run(server.endpoint, size, args.rounds))


if __name__ == "__main__":
    main()
