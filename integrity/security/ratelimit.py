"""Rate limits and lock-outs shared by every app process: counters in the database, or in Redis.

A `Rule` says how many events one key may cause in a fixed window. Keys (e-mail addresses, member
ids, client addresses) are never stored: the counter is found by an HMAC of rule and key under a key
derived from the key ring, and counters disappear when their window has passed.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from dataclasses import dataclass
from typing import Any, Protocol

from integrity.errors import RateLimited
from integrity.security.tables import RateLimitCounter

PURGE_INTERVAL_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    limit: int
    window_seconds: int
    #: The problem detail when the limit is reached; `{minutes}` is replaced by the wait.
    message: str = "too many attempts: wait {minutes} minute(s) before trying again"

    def refusal(self, retry_after: int) -> RateLimited:
        minutes = max(1, -(-retry_after // 60))
        return RateLimited(
            self.message.format(minutes=minutes),
            retry_after=max(1, retry_after),
            code="too_many_" + self.name.replace("-", "_"),
        )


class CounterStore(Protocol):
    async def count(self, key_hash: str, now: int) -> tuple[int, int]:
        """Hits in the current window and when it ends (0, 0 if none)."""

    async def add(self, key_hash: str, window_seconds: int, now: int) -> tuple[int, int]:
        """Count one hit; the hits in the window and when it ends."""

    async def clear(self, key_hash: str) -> None: ...


class DatabaseCounters:
    """Counters in the `rate_limit_counter` table (SQLite or PostgreSQL), updated with one upsert."""

    def __init__(self) -> None:
        self._last_purge = 0.0

    async def count(self, key_hash: str, now: int) -> tuple[int, int]:
        row = (
            await RateLimitCounter.select(RateLimitCounter.hits, RateLimitCounter.window_ends)
            .where(RateLimitCounter.key_hash == key_hash)
            .first()
        )
        if row is None or row["window_ends"] <= now:
            return 0, 0
        return row["hits"], row["window_ends"]

    async def add(self, key_hash: str, window_seconds: int, now: int) -> tuple[int, int]:
        await self._purge(now)
        ends = now + window_seconds
        # One statement, so concurrent hits from several processes are all counted.
        rows = await RateLimitCounter.raw(
            "INSERT INTO rate_limit_counter (key_hash, hits, window_ends) VALUES ({}, 1, {}) "
            "ON CONFLICT (key_hash) DO UPDATE SET "
            "hits = CASE WHEN rate_limit_counter.window_ends <= {} THEN 1 "
            "ELSE rate_limit_counter.hits + 1 END, "
            "window_ends = CASE WHEN rate_limit_counter.window_ends <= {} THEN {} "
            "ELSE rate_limit_counter.window_ends END "
            "RETURNING hits, window_ends",
            key_hash,
            ends,
            now,
            now,
            ends,
        )
        return rows[0]["hits"], rows[0]["window_ends"]

    async def clear(self, key_hash: str) -> None:
        await RateLimitCounter.delete().where(RateLimitCounter.key_hash == key_hash)

    async def _purge(self, now: int) -> None:
        if now - self._last_purge < PURGE_INTERVAL_SECONDS:
            return
        self._last_purge = now
        await RateLimitCounter.delete().where(RateLimitCounter.window_ends <= now)


class RedisCounters:
    """Counters in Redis (`INTEGRITY_REDIS_URL`): INCR with an expiry, so Redis forgets them itself."""

    def __init__(self, url: str) -> None:
        try:
            from redis import asyncio as redis_asyncio
        except ImportError:  # pragma: no cover - depends on the installation
            from integrity.errors import ConfigurationError

            raise ConfigurationError(
                "INTEGRITY_REDIS_URL is set but the redis client is missing: pip install 'integrity[redis]'"
            ) from None
        self._client: Any = redis_asyncio.from_url(url)

    @staticmethod
    def _name(key_hash: str) -> str:
        return "integrity:rate-limit:" + key_hash

    async def count(self, key_hash: str, now: int) -> tuple[int, int]:
        async with self._client.pipeline(transaction=True) as pipe:
            hits, ttl = await pipe.get(self._name(key_hash)).pttl(self._name(key_hash)).execute()
        if hits is None or ttl <= 0:
            return 0, 0
        return int(hits), now + -(-ttl // 1000)

    async def add(self, key_hash: str, window_seconds: int, now: int) -> tuple[int, int]:
        name = self._name(key_hash)
        async with self._client.pipeline(transaction=True) as pipe:
            hits, _, ttl = await pipe.incr(name).expire(name, window_seconds, nx=True).pttl(name).execute()
        return int(hits), now + max(1, -(-ttl // 1000))

    async def clear(self, key_hash: str) -> None:
        await self._client.delete(self._name(key_hash))

    async def close(self) -> None:
        await self._client.aclose()


class RateLimiter:
    def __init__(self, store: CounterStore, key: bytes) -> None:
        self.store = store
        self._key = key

    def _hash(self, rule: Rule, key: str) -> str:
        return hmac.new(self._key, f"{rule.name}\0{key}".encode(), hashlib.sha256).hexdigest()

    async def check(self, rule: Rule, key: str) -> None:
        """Raise `RateLimited` if `key` has used up `rule` in the current window (counts nothing)."""
        now = int(time.time())
        hits, ends = await self.store.count(self._hash(rule, key), now)
        if hits >= rule.limit:
            raise rule.refusal(ends - now)

    async def hit(self, rule: Rule, key: str) -> int:
        """Count one event; return how many the window holds now."""
        hits, _ = await self.store.add(self._hash(rule, key), rule.window_seconds, int(time.time()))
        return hits

    async def consume(self, rule: Rule, key: str) -> None:
        """Count one event and raise `RateLimited` if that went over the limit."""
        now = int(time.time())
        hits, ends = await self.store.add(self._hash(rule, key), rule.window_seconds, now)
        if hits > rule.limit:
            raise rule.refusal(ends - now)

    async def reset(self, rule: Rule, key: str) -> None:
        await self.store.clear(self._hash(rule, key))

    async def close(self) -> None:
        if isinstance(self.store, RedisCounters):
            await self.store.close()


def create_rate_limiter(redis_url: str | None, key: bytes) -> RateLimiter:
    store: CounterStore = RedisCounters(redis_url) if redis_url else DatabaseCounters()
    return RateLimiter(store, key)


def client_key(client: tuple[str, int] | list[Any] | None) -> str:
    """What identifies a client for rate limits: its address (an IPv6 client by its /64 network,
    which one machine usually has whole). Only ever used through the limiter's keyed hash."""
    if not client:
        return "unknown"
    host = str(client[0])
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
