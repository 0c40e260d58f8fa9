"""A referral walked end to end in Chromium with JavaScript off, the server's clock moved forward
with libfaketime (Debian's `faketime`) as the days pass: recorded and published awaiting an answer;
the team reminded by the job queue before the deadline; overdue on the public case file, in the
institution's figures and as a feed event after it; the answer with its document, redacted,
published as a correction confirmed by a second editor; an appeal with its own deadline."""

from __future__ import annotations

import datetime
import glob
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import feedparser
import pytest

from integrity import db
from integrity.accounts.tables import Role
from integrity.referrals import deadlines
from integrity.referrals.tables import Referral
from integrity.settings import DatabaseSettings
from tests import samples
from tests.conftest import LiveServer, run_async
from tests.s3server import free_port
from tests.web.test_members_browser import (
    Session,
    _code,
    create_member,
    enrol_second_factor,
    file_a_case,
)
from tests.web.test_review_browser import take_step

pytestmark = pytest.mark.browser

DAY = 86_400


def faketime_library() -> str:
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if not found:
        if os.environ.get("CI"):
            pytest.fail("CI must move the server's clock: apt-get install -y faketime")
        pytest.skip("libfaketime is not installed (apt-get install -y faketime)")
    return found[0]


def moved_server(server: LiveServer, days: int, log: Path) -> LiveServer:
    """`integrity serve` on the same database and data, its clocks `days` ahead (libfaketime; the
    monotonic clock moves too: left alone, it makes subprocess timeouts fail with EINVAL)."""
    port = free_port()
    env = {
        **server.env,
        "INTEGRITY_BASE_URL": f"http://127.0.0.1:{port}",
        "LD_PRELOAD": faketime_library(),
        "FAKETIME": f"+{days}d",
        "FAKETIME_DONT_FAKE_MONOTONIC": "0",
    }
    output = open(log, "wb")  # noqa: SIM115 - the process writes it until the test ends
    process = subprocess.Popen(
        [sys.executable, "-m", "integrity.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):  # noqa: S310 - loopback
                return LiveServer(url=url, env=env, process=process, output=output)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                output.close()
                raise RuntimeError("the moved server did not start:\n" + log.read_text()) from None
            time.sleep(0.2)


def enrolled(browser: Any, server: LiveServer, email: str, role: Role) -> tuple[Session, str]:
    """A review team member logged in for the first time, with their second factor's key."""
    create_member(server, email, role)
    session = Session(browser, server, javascript=False)
    session.log_in(email)
    session.page.wait_for_url("**/app/totp")
    secret = enrol_second_factor(session)
    session.page.get_by_role("link", name="I have saved the codes: continue").click()
    session.page.wait_for_url("**/app/")
    return session, secret


def logged_in(browser: Any, server: LiveServer, email: str, secret: str, days: int) -> Session:
    """Log in on a server whose clock is `days` ahead: the code is the one for its time."""
    session = Session(browser, server, javascript=False)
    session.log_in(email)
    session.page.get_by_label("Code from your authenticator app").fill(
        _code(secret, time.time() + days * DAY)
    )
    session.page.get_by_role("button", name="Continue").click()
    session.page.wait_for_url("**/app/")
    return session


async def _due_at(url: str) -> datetime.date:
    db.bind_engine(db.create_engine(DatabaseSettings(url=url)))
    row = await Referral.select(Referral.due_at).where(Referral.appeal_of.is_null()).first()
    assert row is not None
    due: datetime.date = row["due_at"]
    return due


def text_of(session: Session) -> str:
    return str(session.page.locator("main").inner_text())


def wait_for_reading(session: Session) -> None:
    """On the draft page: reload until the leak check has read the files to be published."""
    deadline = time.monotonic() + 240
    while session.page.locator("#files-reading").count() and time.monotonic() < deadline:
        session.page.wait_for_timeout(500)
        session.page.get_by_role("link", name="Reload the page to see the result.").click()


def test_a_referral_ages_is_answered_and_appealed_in_chromium_without_javascript(
    browser: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    faketime_library()
    today = deadlines.today()
    member = Session(browser, live_server, javascript=False)
    member.log_in(create_member(live_server, "memberwalk@example.org"))
    member.page.wait_for_url("**/app/")
    file_a_case(member, tmp_path, suffix="walk")
    member.close()

    # Day 0: the reviewer records the referral and the draft that shows it; an editor publishes.
    reviewer, reviewer_key = enrolled(browser, live_server, "reviewer-walk@example.org", Role.reviewer)
    page = reviewer.page
    reviewer.goto("/app/queue?lang=en")
    page.get_by_role("link", name=re.compile("Tender for school repairs walk")).click()
    case_address = page.url.split("?")[0].split("#")[0]
    take_step(reviewer, "Start the review")
    page.get_by_role("link", name="Referrals to institutions").click()
    form = page.locator("section[aria-labelledby=new-referral-heading]")
    form.get_by_label("Kind").select_option("information_request")
    form.get_by_label("Institution", exact=True).fill("Opštinska uprava Primer")
    form.get_by_label("Registry number (optional)").fill("07100001")
    form.get_by_label("How it was sent").select_option("post")
    form.get_by_role("button", name="Record the referral").click()
    assert "awaiting an answer" in text_of(reviewer)
    due = run_async(_due_at(live_server.env["INTEGRITY_DATABASE_URL"]))
    days_left = (due - today).days
    assert days_left >= 3, due

    reviewer.goto(case_address.removeprefix(live_server.url) + "/publication?lang=en")
    page.get_by_label("Public title").fill("Tender za popravku škole")
    page.get_by_label("Summary").fill("Ugovor o popravci škole dobila je firma povezana sa opštinom.")
    page.get_by_label("Body").fill("Opštinska uprava je raspisala tender.\n\nDrugih ponuda nije bilo.")
    page.get_by_label(re.compile("Request for access to information of public importance: Opštinska")).check()
    page.locator("input[type=radio][value=withhold]").check()
    page.get_by_role("button", name="Save and check").click()
    assert "The draft was saved." in text_of(reviewer)
    reviewer.goto(case_address.removeprefix(live_server.url) + "?lang=en")
    take_step(reviewer, "Mark as verified")
    reviewer.close()

    editor, editor_key = enrolled(browser, live_server, "editor-walk@example.org", Role.editor)
    editor.goto(case_address.removeprefix(live_server.url) + "/publication/preview?lang=en")
    take_step(editor, "Approve for publication")
    take_step(editor, "Publish")
    public_path = editor.page.get_by_role("link", name=re.compile("The public page of ")).get_attribute(
        "href"
    )
    assert public_path
    editor.close()
    reader = Session(browser, live_server, javascript=False)
    reader.goto(public_path + "?lang=en")
    assert "awaiting an answer" in reader.page.locator(".referral-timeline").inner_text().lower()
    reader.close()
    live_server.stop()

    # A day before the deadline: the job queue reminds the team.
    servers: list[LiveServer] = []
    try:
        soon_days = days_left - 1
        servers.append(moved_server(live_server, soon_days, tmp_path / "soon.log"))
        reviewer = logged_in(browser, servers[-1], "reviewer-walk@example.org", reviewer_key, soon_days)
        deadline = time.monotonic() + 120
        while True:
            reviewer.goto("/app/notifications?lang=en")
            if "An institution's answer to a referral is due soon" in text_of(reviewer):
                break
            assert time.monotonic() < deadline, text_of(reviewer)
            reviewer.page.wait_for_timeout(1000)
        reviewer.close()
        servers[-1].stop()

        # Three days past it: overdue for the public, in the institution's figures, in the feed.
        late_days = days_left + 3
        servers.append(moved_server(live_server, late_days, tmp_path / "late.log"))
        server = servers[-1]
        reader = Session(browser, server, javascript=False)
        reader.goto(public_path + "?lang=en")
        timeline = reader.page.locator(".referral-timeline").inner_text()
        assert "overdue" in timeline.lower() and "3 days late" in timeline, timeline
        reader.page.locator(".referral-timeline a[href^='/institutions/']").first.click()
        figures = text_of(reader)
        assert "Opštinska uprava Primer" in figures and "Overdue now\n1" in figures, figures
        assert "3 days late" in figures
        with urllib.request.urlopen(server.url + "/feed.atom?lang=en") as response:  # noqa: S310 - loopback
            feed = feedparser.parse(response.read())
        assert not feed.bozo
        assert any(entry.title.startswith("The answer of") for entry in feed.entries), [
            entry.title for entry in feed.entries
        ]
        reader.close()

        # The answer comes, with its document naming the protected person: redacted, then published
        # as a correction one editor proposes and another confirms.
        reviewer = logged_in(browser, server, "reviewer-walk@example.org", reviewer_key, late_days)
        page = reviewer.page
        reviewer.goto(case_address.removeprefix(live_server.url) + "/referrals?lang=en")
        page.get_by_text("Record the answer").first.click()
        page.get_by_label("Outcome").first.select_option("refused")
        page.get_by_role("button", name="Record the answer").click()
        assert "The answer is recorded." in text_of(reviewer)
        answer = tmp_path / "odgovor.pdf"
        answer.write_bytes(samples.pdf("Resenje: Petar Petrovic je svedok u postupku."))
        page.get_by_text("Add documents: the one sent, the proof of delivery, the answer").first.click()
        role = page.get_by_label("What they are").first
        role.select_option(role.locator("option[value^='answer:']").first.get_attribute("value"))
        page.get_by_label("Files").first.set_input_files(str(answer))
        page.get_by_role("button", name="Add the documents").first.click()
        assert "The documents are added to the referral" in text_of(reviewer)

        reviewer.goto(case_address.removeprefix(live_server.url) + "/publication?lang=en")
        document = page.locator("fieldset.decision", has_text="odgovor.pdf")
        document.locator("input[value=publish_redacted]").check()
        page.get_by_role("button", name="Save and check").click()
        document = page.locator("fieldset.decision", has_text="odgovor.pdf")
        document.get_by_role("link", name="Open the redaction tool").click()
        page.get_by_label("Box 1: x").fill("0")
        page.get_by_label("Box 1: y").fill("5")
        page.get_by_label("Box 1: width").fill("100")
        page.get_by_label("Box 1: height").fill("10")
        page.get_by_role("button", name="Create the redacted copy").click()
        assert "Redacted copy created" in text_of(reviewer)
        page.get_by_role("link", name="Publication draft").last.click()
        page.get_by_role("button", name="Save and check").click()
        wait_for_reading(reviewer)
        assert "No protected name was found" in text_of(reviewer), page.locator("#leak-check").inner_text()

        editor = logged_in(browser, server, "editor-walk@example.org", editor_key, late_days)
        editor.goto(case_address.removeprefix(live_server.url) + "/publication/preview?lang=en")
        editor.page.get_by_label(re.compile("Correction notice")).fill("Dodat je odgovor opštinske uprave.")
        take_step(editor, "Propose a correction")
        editor.close()
        create_member(server, "editor2-walk@example.org", Role.editor)
        second = Session(browser, server, javascript=False)
        second.log_in("editor2-walk@example.org")
        second.page.wait_for_url("**/app/totp")
        page = second.page
        page.get_by_role("button", name="Set up the second factor").click()
        key = page.locator("#totp-secret").get_attribute("data-secret")
        assert key
        page.get_by_label("Enter the code the app shows now").fill(_code(key, time.time() + late_days * DAY))
        page.get_by_role("button", name="Turn on the second factor").click()
        page.get_by_role("link", name="I have saved the codes: continue").click()
        second.goto(case_address.removeprefix(live_server.url) + "/publication/preview?lang=en")
        take_step(second, "Confirm and publish the correction")
        assert "The correction is published." in text_of(second)
        second.close()

        reader = Session(browser, server, javascript=False)
        reader.goto(public_path + "?lang=en")
        timeline = reader.page.locator(".referral-timeline").inner_text()
        assert "refused" in timeline and "The answer" in timeline, timeline
        link = reader.page.locator(".referral-documents a").first.get_attribute("href")
        assert link
        with urllib.request.urlopen(server.url + link) as response:  # noqa: S310 - loopback
            assert response.read().startswith(b"%PDF")
        reader.close()

        # The refusal is appealed to the Commissioner, with a deadline of its own.
        page = reviewer.page
        reviewer.goto(case_address.removeprefix(live_server.url) + "/referrals?lang=en")
        page.get_by_text("Record an appeal or a complaint to a supervising body").first.click()
        appeal = page.locator("details", has_text="Record an appeal").first
        appeal.get_by_label("Kind").select_option("commissioner_complaint")
        appeal.get_by_label("Institution", exact=True).fill("Poverenik za informacije od javnog značaja")
        appeal.get_by_label("How it was sent").select_option("post")
        appeal.get_by_role("button", name="Record the appeal").click()
        shown = text_of(reviewer)
        assert "The appeal is recorded, with its own deadline." in shown
        assert "the referral it appeals" in shown and shown.count("Answer due by") == 2
        reviewer.close()
    finally:
        for moved in servers:
            moved.stop()
