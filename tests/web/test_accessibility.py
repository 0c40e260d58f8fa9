"""axe-core (Deque's accessibility engine, the copy `axe-playwright-python` ships) finds no violation
on any page: the public side, a member's, the review team's and the admin's, the new ones included
(notifications, what waits for me, the answer form, facets, /verify reached by a link), on a desktop
and a phone."""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest

from integrity.accounts.tables import Role
from tests.conftest import LiveServer
from tests.web.test_members_browser import DESKTOP, PHONE, Session, create_member, enrol_second_factor
from tests.web.test_review_browser import team_session

pytestmark = pytest.mark.browser


def violations(session: Session) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(session.page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


def check(session: Session, paths: list[str], found: dict[str, list[str]]) -> None:
    for path in paths:
        response = session.goto(path)
        assert response.status < 400, (path, response.status)
        problems = violations(session)
        if problems:
            found[path] = problems


def test_axe_finds_no_violation_on_any_page(browser: Any, live_server: LiveServer) -> None:
    seeded = subprocess.run(
        [sys.executable, "-m", "integrity.cli", "seed-demo"],
        env=live_server.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr
    found: dict[str, list[str]] = {}

    reader = Session(browser, live_server)
    reader.goto("/?lang=en")
    case_link = reader.page.locator(".case-list a").first.get_attribute("href")
    assert case_link is not None
    reader.goto(case_link)
    actor_links = reader.page.locator('a[href^="/actors/"]')
    actor_link = actor_links.first.get_attribute("href") if actor_links.count() else None
    file_hashes = re.findall(r"/verify\?sha256=([0-9a-f]{64})", reader.page.content())
    public = [
        "/?lang=en",
        "/?q=ugovora&municipality=kraljevo&lang=en",
        "/?district=raski&order=oldest&lang=sr-Cyrl",
        case_link + "?lang=sr-Latn",
        "/stats?lang=en",
        "/municipalities/kraljevo?lang=en",
        "/districts/raski?lang=sr-Cyrl",
        "/categories/procurement_public_money?lang=sr-Latn",
        "/about?lang=en",
        "/verify?lang=en",
        "/login?lang=en",
    ]
    if actor_link:
        public.append(actor_link + "?lang=en")
    # The institutions the demo's cases were sent to, and a case file with its referral.
    reader.goto("/institutions?lang=en")
    institution_link = reader.page.locator("table.institutions a").first.get_attribute("href")
    assert institution_link is not None
    reader.goto(institution_link)
    referred_case = reader.page.locator(".case-list a").first.get_attribute("href")
    assert referred_case is not None
    public += [
        "/institutions?lang=sr-Cyrl",
        institution_link + "?lang=en",
        referred_case.split("#")[0] + "?lang=en",
    ]
    if file_hashes:
        public.append(f"/verify?sha256={file_hashes[0]}&lang=en")
    check(reader, public, found)
    reader.page.set_viewport_size(PHONE)
    check(reader, ["/?lang=sr-Cyrl", case_link], found)
    # The check catches what it guards against: an image without a text alternative.
    reader.page.evaluate(
        "document.querySelector('main')"
        ".append(Object.assign(document.createElement('img'), {src: '/static/none.png'}))"
    )
    assert any(problem.startswith("image-alt") for problem in violations(reader))
    reader.errors.clear()  # the missing image's 404 in the console is this check's own doing
    reader.close()

    member = Session(browser, live_server)
    member.log_in(create_member(live_server, "member-axe@example.org"))
    member.page.wait_for_url("**/app/")
    check(member, ["/app/?lang=en", "/app/cases/new?lang=en", "/app/notifications?lang=en"], found)
    # The form saved while written comes back with its notice.
    member.goto("/app/cases/new?lang=en")
    member.page.get_by_label("Title").fill("Most preko Ibra")
    member.page.locator("#part-what").get_by_role("button", name="Save what I wrote so far").click()
    member.page.locator("[data-autosave-status]").filter(has_text="Saved at").wait_for()
    check(member, ["/app/cases/new?lang=en", "/app/cases/new?saved=1&lang=sr-Cyrl"], found)
    member.close()

    reviewer = team_session(browser, live_server, "reviewer-axe@example.org", javascript=True)
    reviewer.goto("/app/queue?waiting=1&lang=en")
    queue_links = reviewer.page.locator("table.cases a[href^='/app/cases/']")
    team_case = queue_links.first.get_attribute("href") if queue_links.count() else None
    team_pages = [
        "/app/queue?lang=en",
        "/app/queue?waiting=1&sort=waiting&lang=en",
        "/app/notifications?lang=en",
    ]
    if team_case:
        team_pages += [team_case + "?lang=en", team_case + "/referrals?lang=en"]
    check(reviewer, team_pages, found)
    reviewer.page.set_viewport_size(PHONE)
    check(reviewer, ["/app/queue?waiting=1&lang=sr-Latn"], found)
    reviewer.page.set_viewport_size(DESKTOP)
    reviewer.close()

    create_member(live_server, "admin-axe@example.org", Role.admin)
    admin = Session(browser, live_server)
    admin.log_in("admin-axe@example.org")
    admin.page.wait_for_url("**/app/totp")
    enrol_second_factor(admin)
    admin.page.get_by_role("link", name="I have saved the codes: continue").click()
    admin.page.wait_for_url("**/app/")
    check(admin, ["/app/admin/members?lang=en", "/app/admin/invitations?lang=en"], found)
    admin.close()

    assert found == {}, found
