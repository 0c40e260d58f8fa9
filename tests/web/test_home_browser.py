"""The home page in Debian's Chromium: it renders, and the security headers reach the browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import LiveServer

ARTIFACTS = Path(os.environ.get("INTEGRITY_TEST_ARTIFACTS", "test-artifacts"))

pytestmark = pytest.mark.browser


def test_home_page_in_chromium(browser, live_server: LiveServer) -> None:
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    response = page.goto(live_server.url + "/?lang=en")
    assert response is not None and response.status == 200
    assert page.title() == "Case files · Integrity Network"
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert page.get_by_role("heading", level=1).inner_text().startswith("Case files")
    # The stylesheet loaded under the CSP (no console error, computed style applied).
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
    assert errors == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
    context.close()
