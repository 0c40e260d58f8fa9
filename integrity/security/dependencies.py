"""Dependency providers for the shared security machinery kept in the app's state."""

from __future__ import annotations

from litestar.datastructures import State

from integrity.security.ratelimit import RateLimiter
from integrity.security.system_keys import SystemKeys


def provide_rate_limiter(state: State) -> RateLimiter:
    limiter: RateLimiter = state.rate_limiter
    return limiter


def provide_system_keys(state: State) -> SystemKeys:
    keys: SystemKeys = state.system_keys
    return keys
