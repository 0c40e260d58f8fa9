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


def test_the_api_schema_page_asks_no_other_origin_for_anything(browser, live_server: LiveServer) -> None:
    """Swagger UI comes from the platform itself (the `swagger-ui-py` package), not a CDN: a
    page on the members' origin must not run code another party can change."""
    context = browser.new_context()
    page = context.new_page()
    requested: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto(live_server.url + "/api/v1/schema")
    assert response is not None and response.status == 200
    # The UI ran: it rendered the document's title and its operations.
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "Integrity Network API" in page.inner_text(".swagger-ui .info .title")
    assert page.locator(".opblock").count() > 20
    foreign = [url for url in requested if not url.startswith((live_server.url, "data:"))]
    assert foreign == [] and len(requested) >= 4, requested
    assert "cdn" not in response.headers["content-security-policy"]
    assert errors == []
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js-desktop", "no-js-phone"])
def test_a_reader_searches_places_and_inflected_words_counts_facets_and_exports_the_search(
    browser, live_server: LiveServer, javascript: bool
) -> None:
    """On the demo's published cases, as a reader would: "Kraljevo" and "Краљево" find the same
    cases, "ugovora" the same as "ugovor"; a facet's count is what its choice shows; the export of
    a search holds exactly the cases the search lists."""
    import json
    import re
    import subprocess
    import sys

    from tests.web.test_members_browser import PHONE, Session

    seeded = subprocess.run(
        [sys.executable, "-m", "integrity.cli", "seed-demo"],
        env=live_server.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr
    reader = Session(browser, live_server, javascript=javascript, viewport=None if javascript else PHONE)

    def listed(path: str) -> set[str]:
        reader.goto(path)
        return set(reader.page.locator(".case-list .reference").all_inner_texts())

    latin, cyrillic = (
        listed("/?q=Kraljevo&lang=sr-Latn"),
        listed("/?q=%D0%9A%D1%80%D0%B0%D1%99%D0%B5%D0%B2%D0%BE"),
    )
    assert len(latin) >= 2 and latin == cyrillic
    declined, base = listed("/?q=ugovora&lang=en"), listed("/?q=ugovor&lang=en")
    assert declined and declined == base

    reader.goto("/?lang=en")
    option = reader.page.locator('#municipality option[value="kraljevo"]').text_content() or ""
    count = int(re.search(r"\((\d+)\)", option).group(1))
    reader.goto("/?municipality=kraljevo&lang=en")
    shown = re.search(r"(\d+) case files? found", reader.page.locator("main").inner_text())
    assert shown and int(shown.group(1)) == count == len(listed("/?municipality=kraljevo&lang=en"))

    reader.goto("/?q=ugovor&lang=en")
    export = reader.page.get_by_role("link", name="These cases as JSON").get_attribute("href")
    assert export is not None
    items = json.loads(reader.page.request.get(live_server.url + export).text())["items"]
    assert {item["reference"] for item in items} == base
    reader.close()
