"""Browser tests run last in a session: Playwright's sync API keeps an event loop running in the main
thread once the session's `browser` starts, and pytest-asyncio's tests cannot run after that (this
matters when `tests/web` is named before other folders on the command line)."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
