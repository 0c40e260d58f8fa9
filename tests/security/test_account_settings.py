"""The accounts' settings: session lifetimes, invitation lifetime, Redis."""

from __future__ import annotations

import pytest

from integrity.errors import ConfigurationError
from integrity.settings import Settings


def test_account_settings_have_safe_defaults() -> None:
    accounts = Settings.from_env({}).accounts
    assert (accounts.session_idle_minutes, accounts.session_max_hours, accounts.invitation_days) == (
        30,
        12,
        7,
    )
    assert accounts.redis_url is None


def test_account_settings_are_read_and_the_redis_url_is_not_shown() -> None:
    accounts = Settings.from_env(
        {
            "INTEGRITY_SESSION_IDLE_MINUTES": "10",
            "INTEGRITY_SESSION_MAX_HOURS": "8",
            "INTEGRITY_INVITATION_DAYS": "2",
            "INTEGRITY_REDIS_URL": "redis://:hunter2@cache:6379/0",
        }
    ).accounts
    assert (accounts.session_idle_minutes, accounts.session_max_hours, accounts.invitation_days) == (10, 8, 2)
    assert accounts.redis_url == "redis://:hunter2@cache:6379/0"
    assert "hunter2" not in repr(accounts)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("INTEGRITY_SESSION_IDLE_MINUTES", "0", "at least 1"),
        ("INTEGRITY_SESSION_MAX_HOURS", "soon", "whole number"),
        ("INTEGRITY_REDIS_URL", "http://cache", "redis://"),
    ],
)
def test_bad_account_settings_are_one_clear_error(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env({name: value})
