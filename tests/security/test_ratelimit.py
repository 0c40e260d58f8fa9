"""Rate limits shared by app processes: the database counters and the Redis counters."""

from __future__ import annotations

import os
import socket

import pytest

from integrity import db
from integrity.errors import RateLimited
from integrity.security.ratelimit import RateLimiter, Rule, client_key, create_rate_limiter
from integrity.security.tables import RateLimitCounter

RULE = Rule("test", 3, 60, "slow down for {minutes} minute(s)")
REDIS_URL = "redis://127.0.0.1:6379/15"


async def exercise(limiter: RateLimiter) -> None:
    await limiter.check(RULE, "someone@example.org")
    for _ in range(3):
        await limiter.hit(RULE, "someone@example.org")
    with pytest.raises(RateLimited) as refused:
        await limiter.check(RULE, "someone@example.org")
    assert 0 < refused.value.retry_after <= 60
    assert refused.value.detail == "slow down for 1 minute(s)"
    # Other keys and other rules are counted apart.
    await limiter.check(RULE, "other@example.org")
    await limiter.check(Rule("other", 3, 60), "someone@example.org")
    await limiter.reset(RULE, "someone@example.org")
    await limiter.check(RULE, "someone@example.org")
    await limiter.consume(RULE, "k")
    await limiter.consume(RULE, "k")
    await limiter.consume(RULE, "k")
    with pytest.raises(RateLimited):
        await limiter.consume(RULE, "k")


async def test_database_counters_limit_and_store_no_keys_in_the_clear(engine: db.Engine) -> None:
    limiter = create_rate_limiter(None, b"k" * 32)
    await exercise(limiter)
    rows = await RateLimitCounter.select()
    assert rows
    assert all("example.org" not in row["key_hash"] for row in rows)


async def test_database_counters_start_again_after_the_window(engine: db.Engine) -> None:
    limiter = create_rate_limiter(None, b"k" * 32)
    for _ in range(3):
        await limiter.hit(RULE, "x")
    await RateLimitCounter.update({RateLimitCounter.window_ends: 1}, force=True)
    await limiter.check(RULE, "x")
    assert await limiter.hit(RULE, "x") == 1


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


async def test_redis_counters_limit_across_limiters() -> None:
    if not redis_reachable():
        if os.environ.get("CI"):
            pytest.fail("CI must test the Redis rate-limit backend: nothing answers on 127.0.0.1:6379")
        pytest.skip("no Redis on 127.0.0.1:6379")
    key = os.urandom(32)
    first = create_rate_limiter(REDIS_URL, key)
    second = create_rate_limiter(REDIS_URL, key)
    try:
        await exercise(first)
        # A second process with the same key ring sees the same counters.
        for _ in range(3):
            await first.hit(RULE, "shared")
        with pytest.raises(RateLimited):
            await second.check(RULE, "shared")
    finally:
        await first.close()
        await second.close()


def test_client_keys_group_ipv6_by_network_and_never_fail() -> None:
    assert client_key(("203.0.113.7", 5000)) == "203.0.113.7"
    assert client_key(("2001:db8::1", 1)) == client_key(("2001:db8::ffff", 2)) == "2001:db8::/64"
    assert client_key(("::ffff:203.0.113.7", 1)) == "203.0.113.7"
    assert client_key(None) == "unknown"
    assert client_key(("testclient", 50000)) == "testclient"
