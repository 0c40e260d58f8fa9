"""Dependency providers for the shared security machinery kept in the app's state."""

from __future__ import annotations

from litestar.datastructures import State

from integrity.security.ratelimit import RateLimiter
from integrity.security.system_keys import SystemKeys
from integrity.settings import Settings


def provide_rate_limiter(state: State) -> RateLimiter:
    limiter: RateLimiter = state.rate_limiter
    return limiter


def provide_system_keys(state: State) -> SystemKeys:
    keys: SystemKeys = state.system_keys
    return keys


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_csrf_key(state: State) -> bytes:
    key: bytes = state.csrf_key
    return key
