"""The review team's pages and the public site in Debian's Chromium, with JavaScript on and off: a
member files a case, a reviewer takes it through review, redacts its PDF (drawing the box with the
mouse, or typing its numbers), drafts the public version; an editor approves and publishes it; the
public finds it by searching in Cyrillic and checks a file. Screenshots on a desktop and a phone go to
INTEGRITY_TEST_ARTIFACTS."""

from __future__ import annotations

import hashlib
import io
import re
import time
import urllib.request
from pathlib import Path
from typing import Any

import feedparser
import pytest
from PIL import Image

from integrity.accounts.tables import Role
from tests import samples
from tests.conftest import LiveServer
from tests.web.test_members_browser import (
    DESKTOP,
    PHONE,
    Session,
    create_member,
    enrol_second_factor,
    file_a_case,
)

pytestmark = pytest.mark.browser


def team_session(browser: Any, server: LiveServer, email: str, *, javascript: bool) -> Session:
    create_member(server, email, Role.reviewer if email.startswith("reviewer") else Role.editor)
    session = Session(browser, server, javascript=javascript)
    session.log_in(email)
    session.page.wait_for_url("**/app/totp")
    enrol_second_factor(session)
    session.page.get_by_role("link", name="I have saved the codes: continue").click()
    session.page.wait_for_url("**/app/")
    return session


def take_step(session: Session, name: str) -> None:
    session.page.get_by_role("button", name=name, exact=True).click()
    session.page.wait_for_load_state()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_case_goes_from_review_through_redaction_to_the_public(
    browser: Any, live_server: LiveServer, tmp_path: Path, javascript: bool
) -> None:
    suffix = "js" if javascript else "nojs"
    member = Session(browser, live_server, javascript=javascript)
    # One word for the member's name: the leak check protects the member who filed the case, and a
    # "member-nojs" would be found in the public title's "nojs" (rightly).
    member.log_in(create_member(live_server, f"member{suffix}@example.org"))
    member.page.wait_for_url("**/app/")
    file_a_case(member, tmp_path, suffix=suffix)
    member.close()

    reviewer = team_session(browser, live_server, f"reviewer-{suffix}@example.org", javascript=javascript)
    page = reviewer.page
    page.get_by_role("link", name="Review queue").first.click()
    page.get_by_label("Status").select_option("submitted")
    page.get_by_role("button", name="Show").click()
    reviewer.shot(f"review-queue-{suffix}")
    page.get_by_role("link", name=re.compile(f"Tender for school repairs {suffix}")).click()
    take_step(reviewer, "Start the review")
    page.get_by_label("Internal note").fill("Checking the tender documents with the municipality.")
    page.get_by_role("button", name="Add the note").click()
    assert "Checking the tender documents" in page.locator("#comments").inner_text()
    reviewer.shot(f"review-case-{suffix}")

    # The public version: texts from scratch, the PDF to be published redacted.
    page.get_by_role("link", name="Publication draft").first.click()
    page.get_by_label("Public title").fill(f"Žmirić i tender za popravku škole {suffix}")
    page.get_by_label("Summary").fill("Ugovor o popravci škole dobila je firma povezana sa opštinom.")
    page.get_by_label("Body").fill("Opštinska uprava je raspisala tender.\n\nDrugih ponuda nije bilo.")
    page.get_by_label("Publish the redacted copy").check()
    page.get_by_role("button", name="Save and check").click()
    assert "The draft was saved." in page.locator("main").inner_text()
    assert "Make a redacted copy of evidence-" in page.locator(".missing").inner_text()
    reviewer.shot(f"publication-draft-{suffix}")

    page.get_by_role("link", name="Open the redaction tool").click()
    page.locator("[data-redact-image]").wait_for()
    page.wait_for_function("document.querySelector('[data-redact-image]').naturalWidth > 0")
    if javascript:
        # Draw the box over the top of the page with the mouse.
        box = page.locator("[data-redact-image]").bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * 0.05)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2, steps=6)
        page.mouse.up()
        assert float(page.locator("input[name=box-0-x]").input_value()) == pytest.approx(10, abs=1)
        assert float(page.locator("input[name=box-0-width]").input_value()) == pytest.approx(70, abs=1)
        assert page.locator("[data-redact-svg] rect").count() == 1
        # And one more with the keyboard.
        page.locator("[data-redact-canvas]").focus()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Shift+ArrowRight")
        page.keyboard.press("Enter")
        assert page.locator("input[name=box-1-y]").input_value() == "11"
        assert page.locator("input[name=box-1-width]").input_value() == "31"
    else:
        page.get_by_label("Box 1: x").fill("10")
        page.get_by_label("Box 1: y").fill("5")
        page.get_by_label("Box 1: width").fill("70")
        page.get_by_label("Box 1: height").fill("15")
        page.get_by_role("button", name="More rows").click()
        assert page.locator("input[name=box-5-x]").count() == 1
        assert page.locator("[data-redact-svg] rect").count() == 1  # drawn by the server
    reviewer.shot(f"redaction-{suffix}")
    page.get_by_role("button", name="Create the redacted copy").click()
    assert "Redacted copy created" in page.locator("main").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", page.locator(".rendition-sha256").inner_text())
    reviewer.shot(f"redaction-done-{suffix}")
    reviewer.page.set_viewport_size(PHONE)
    assert reviewer.page_width() <= PHONE["width"]
    reviewer.shot(f"phone-redaction-done-{suffix}")
    reviewer.page.set_viewport_size(DESKTOP)
    page.get_by_role("link", name="Publication draft").last.click()
    page.get_by_role("button", name="Save and check").click()
    # The copy is read for names in the background; the page says how far, and a reload shows more.
    assert "being read for protected names" in page.locator("main").inner_text()
    reviewer.shot(f"publication-reading-{suffix}")
    deadline = time.monotonic() + 240  # one page: seconds, but CI machines are shared and slow
    while page.locator("#files-reading").count() and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        page.get_by_role("link", name="Reload the page to see the result.").click()
    text = page.locator("main").inner_text()
    assert "No protected name was found" in text and "The draft is complete" in text, page.locator(
        "#leak-check"
    ).inner_text()
    page.get_by_role("link", name=re.compile("PR-")).first.click()
    take_step(reviewer, "Mark as verified")
    reviewer.close()

    editor = team_session(browser, live_server, f"editor-{suffix}@example.org", javascript=javascript)
    page = editor.page
    page.get_by_role("link", name="Review queue").first.click()
    # The verified case waits for this editor's approval.
    page.get_by_role("link", name=re.compile(r"Waiting for me \(\d+\)")).click()
    page.get_by_role("link", name=re.compile(f"Tender for school repairs {suffix}")).click()
    page.get_by_role("link", name="Publication preview").first.click()
    assert "Žmirić i tender" in page.locator("article").inner_text()
    editor.shot(f"publication-preview-{suffix}")
    take_step(editor, "Approve for publication")
    assert "Approved: it can be published now." in page.locator("main").inner_text()
    take_step(editor, "Publish")
    assert "Propose retracting the publication" in page.locator("main").inner_text()
    # A notice with the way to the public page.
    assert page.get_by_role("link", name=re.compile("The public page of ")).count() == 1
    editor.page.set_viewport_size(PHONE)
    editor.goto("/app/queue")
    editor.shot(f"phone-review-queue-{suffix}")
    editor.close()

    reader = Session(browser, live_server, javascript=javascript, viewport=PHONE if not javascript else None)
    reader.goto("/?lang=sr-Cyrl")
    reader.page.get_by_role("searchbox").fill("Жмирић")
    reader.page.get_by_role("button", name="Претражи").click()
    results = reader.page.locator(".case-list").inner_text()
    assert "Жмирић и тендер за поправку школе" in results
    reader.shot(f"public-search-cyrillic-{suffix}")
    # A place finds its cases in either script.
    reader.goto("/?q=%D0%A7%D0%B0%D1%87%D0%B0%D0%BA&lang=sr-Cyrl")  # Чачак
    assert "Жмирић и тендер за поправку школе" in reader.page.locator(".case-list").inner_text()
    reader.goto("/?q=Cacak&lang=sr-Cyrl")
    assert "Жмирић и тендер за поправку школе" in reader.page.locator(".case-list").inner_text()
    reader.page.locator(".case-list h3 a").first.click()
    assert "Објављене датотеке" in reader.page.locator("main").inner_text()
    # The published PDF is read in the page, one picture per page.
    first_page = reader.page.locator(".inline-pages img").first
    picture = first_page.get_attribute("src")
    assert picture
    # The picture itself, as any client gets it: a PNG of the page (drawn on first request, so a
    # slow machine is given time here rather than in the browser's wait below).
    with urllib.request.urlopen(live_server.url + picture, timeout=120) as response:  # noqa: S310 - loopback
        assert response.headers["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(response.read())).size[0] > 0
    first_page.scroll_into_view_if_needed()
    reader.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=first_page.element_handle()
    )
    reader.shot(f"public-case-{suffix}")
    case_address = reader.page.url
    # Its municipality has a page of its own, with its numbers and its feed.
    reader.page.locator(".details a[href^='/municipalities/']").click()
    assert reader.page.locator("h1").inner_text() == "Чачак"
    assert "1 објављен" in reader.page.locator(".topic-total").inner_text()
    feed_address = reader.page.locator("a[href^='/feed.atom?municipality=']").first.get_attribute("href")
    with urllib.request.urlopen(live_server.url + feed_address) as response:  # noqa: S310 - loopback
        feed = feedparser.parse(response.read())
    assert not feed.bozo and len(feed.entries) == 1
    assert feed.entries[0].title.startswith("Жмирић и тендер за поправку школе")
    reader.shot(f"public-municipality-{suffix}")
    reader.page.goto(case_address)
    published = reader.page.locator(".files a[download]").first.get_attribute("href")
    assert published
    copy = tmp_path / "downloaded.pdf"
    with urllib.request.urlopen(live_server.url + published) as response:  # noqa: S310 - loopback
        copy.write_bytes(response.read())
    reader.page.get_by_role("link", name="Провери").first.click()
    # Reached by a link: it says what is published with the hash, and that nothing was checked.
    linked = reader.page.locator("main").inner_text()
    assert "Датотека са овим SHA-256 објављена је уз" in linked and "Ништа још није проверено" in linked
    assert "Ова датотека је објављена уз" not in linked
    # Checking a copy: hashed in the browser with JavaScript, uploaded and hashed without it.
    reader.goto("/verify")
    reader.page.get_by_label("Датотека").set_input_files(str(copy))
    reader.page.get_by_role("button", name="Провери датотеку").click()
    reader.page.wait_for_url(re.compile(r"/verify\?sha256=[0-9a-f]{64}" if javascript else r"/verify/file$"))
    assert "Ова датотека је објављена уз" in reader.page.locator("#file").inner_text()
    reader.shot(f"public-verify-{suffix}")
    reader.goto("/stats?lang=en")
    assert reader.page.locator("svg.chart").count() == 3
    reader.shot(f"public-stats-{suffix}")
    reader.goto("/about")
    reader.shot(f"public-about-{suffix}")
    reader.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_member_answers_a_request_with_text_and_files_and_gets_a_receipt_that_verifies(
    browser: Any, live_server: LiveServer, tmp_path: Path, javascript: bool
) -> None:
    """The answer form cannot be sent empty; an answer with a file yields a signed supplementary
    receipt that /verify accepts. Without JavaScript, on a phone."""
    from tests.web.test_members_browser import create_member, file_a_case

    suffix = "answer-js" if javascript else "answer-nojs"
    viewport = None if javascript else PHONE
    member = Session(browser, live_server, javascript=javascript, viewport=viewport)
    member.log_in(create_member(live_server, f"member-{suffix}@example.org"))
    member.page.wait_for_url("**/app/")
    file_a_case(member, tmp_path, suffix=suffix)

    reviewer = team_session(browser, live_server, f"reviewer-{suffix}@example.org", javascript=javascript)
    reviewer.goto("/app/queue?lang=en")
    reviewer.page.get_by_role("link", name=re.compile(f"Tender for school repairs {suffix}")).click()
    take_step(reviewer, "Start the review")
    reviewer.page.get_by_label("What do you need from the member? (they read this)").fill(
        "Please send the signed contract."
    )
    take_step(reviewer, "Ask the member for information")
    assert "The request was sent to the member." in reviewer.page.locator("main").inner_text()
    reviewer.close()

    member.goto("/app/?lang=en")
    member.page.get_by_role("link", name=re.compile(f"Tender for school repairs {suffix}")).click()
    assert "Please send the signed contract." in member.page.locator("main").inner_text()
    send = member.page.get_by_role("button", name="Send the answer and the files to the review team")
    # Empty, the browser does not send it (the server would refuse it too: answer_missing).
    send.click()
    assert member.page.locator("#answer-text").evaluate("area => area.validity.valueMissing")
    assert "/receipt" not in member.page.url
    contract = tmp_path / f"contract-{suffix}.pdf"
    contract.write_bytes(samples.pdf("Potpisan ugovor"))
    member.page.get_by_label("Your answer").fill("The signed contract is attached.")
    member.page.get_by_label("Files that support it (optional)").set_input_files(str(contract))
    send.click()
    member.page.wait_for_url(re.compile(r".*/receipt"))
    answers = member.page.locator(".supplement").inner_text()
    assert f"contract-{suffix}.pdf" in answers
    member.shot(f"receipt-with-answer-{suffix}")
    address = member.page.get_by_role("link", name="Download the receipt of answer 1 (JSON)").get_attribute(
        "href"
    )
    receipt = member.page.request.get(live_server.url + address).text()
    assert hashlib.sha256(samples.pdf("Potpisan ugovor")).hexdigest() in receipt

    member.goto("/verify?lang=en")
    member.page.get_by_label("Receipt (JSON)").fill(receipt)
    member.page.get_by_role("button", name="Check the receipt").click()
    member.page.wait_for_load_state()
    assert "The signature is valid" in member.page.locator("#receipt").inner_text()
    member.close()


def test_the_team_records_a_referral_and_its_answer_without_javascript_on_a_phone(
    browser: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    from tests.web.test_members_browser import create_member, file_a_case

    member = Session(browser, live_server)
    member.log_in(create_member(live_server, "member-referral@example.org"))
    member.page.wait_for_url("**/app/")
    file_a_case(member, tmp_path, suffix="referral")
    member.close()

    reviewer = team_session(browser, live_server, "reviewer-referral@example.org", javascript=False)
    reviewer.page.set_viewport_size(PHONE)
    page = reviewer.page
    reviewer.goto("/app/queue?lang=en")
    page.get_by_role("link", name=re.compile("Tender for school repairs referral")).click()
    page.get_by_role("link", name="Referrals to institutions").click()
    assert "The case has not been sent to any institution yet." in page.locator("main").inner_text()
    form = page.locator("section[aria-labelledby=new-referral-heading]")
    form.get_by_label("Kind").select_option("information_request")
    form.get_by_label("Institution", exact=True).fill("Opštinska uprava Primer")
    form.get_by_label("Registry number (optional)").fill("07100001")
    form.get_by_label("How it was sent").select_option("post")
    form.get_by_role("button", name="Record the referral").click()
    text = page.locator("main").inner_text()
    assert "The referral is recorded" in text and "awaiting an answer" in text
    assert "Request for access to information of public importance: Opštinska uprava Primer" in text
    page.get_by_text("Record the answer").first.click()  # opens the <details>
    page.get_by_label("Outcome").first.select_option("answered")
    page.get_by_label("What it says (optional; kept encrypted)").fill("Dostavljen je ugovor.")
    page.get_by_role("button", name="Record the answer").click()
    text = page.locator("main").inner_text()
    assert "The answer is recorded." in text and "in time, after 0 days" in text
    assert reviewer.page_width() <= PHONE["width"]
    reviewer.shot("phone-referrals-nojs")
    reviewer.close()
