"""The members' pages in Debian's Chromium against a real server: log in, file a case with a file,
submit it and see the receipt, with JavaScript on and off; a reviewer enrols TOTP; screenshots of the
main pages on a desktop and a phone go to INTEGRITY_TEST_ARTIFACTS."""

from __future__ import annotations

import base64
import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from integrity import db
from integrity.accounts import members as accounts_members
from integrity.accounts.tables import Role
from integrity.settings import DatabaseSettings
from tests import samples
from tests.conftest import LiveServer, run_async

ARTIFACTS = Path(os.environ.get("INTEGRITY_TEST_ARTIFACTS", "test-artifacts"))
PASSWORD = "violet harbour lantern 42"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.browser


async def _create(url: str, email: str, role: Role) -> None:
    engine = db.create_engine(DatabaseSettings(url=url))
    db.bind_engine(engine)
    await accounts_members.create_member(
        email=email, password=PASSWORD, display_name=email.split("@")[0], role=role
    )


def create_member(server: LiveServer, email: str, role: Role = Role.member) -> str:
    run_async(_create(server.env["INTEGRITY_DATABASE_URL"], email, role))
    return email


class Session:
    """One browser context (a person), failing the test on any console error."""

    def __init__(self, browser: Any, server: LiveServer, *, javascript: bool = True, viewport: Any = None):
        self.server = server
        self.context = browser.new_context(java_script_enabled=javascript, viewport=viewport or DESKTOP)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def goto(self, path: str) -> Any:
        response = self.page.goto(self.server.url + path)
        assert response is not None
        return response

    def page_width(self) -> int:
        """How wide the page lays out, once it and its stylesheet have loaded (on a busy machine
        the text can be there before the styles are)."""
        self.page.wait_for_load_state("load")
        return int(self.page.evaluate("document.documentElement.scrollWidth"))

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def log_in(self, email: str, *, lang: str = "en") -> None:
        self.goto(f"/login?lang={lang}")
        self.page.get_by_label(re.compile("E-mail|Adresa")).fill(email)
        self.page.get_by_label(re.compile("Password|Lozinka")).fill(PASSWORD)
        self.page.locator("main button[type=submit]").click()

    def close(self) -> None:
        assert self.errors == [], self.errors
        self.context.close()


def file_a_case(session: Session, tmp_path: Path, *, suffix: str) -> str:
    """Fill the new-case form (with one file) and submit it; returns the receipt page's text."""
    page = session.page
    page.get_by_role("link", name="File a new case").first.click()
    page.wait_for_url("**/app/cases/new")
    page.get_by_label("Title").fill(f"Tender for school repairs {suffix}")
    page.get_by_label("Narrative").fill("The contract went to the mayor's brother.\n\nNobody else bid.")
    page.get_by_label("Date of the incident").fill("2026-03-12")
    page.get_by_label("Municipality or city").select_option("cacak")
    page.get_by_label("Public procurement and public money").check()
    page.get_by_label("Name").first.fill("Petar Petrović")
    page.locator("#actor-0-kind").select_option("person")
    page.locator("#actor-0-role").select_option("alleged_perpetrator")
    page.locator("#actor-0-protect").check()
    evidence = tmp_path / f"evidence-{suffix}.pdf"
    evidence.write_bytes(samples.pdf("Ugovor o javnoj nabavci"))
    page.get_by_label("Files (optional)").set_input_files(str(evidence))
    session.shot(f"case-new-filled-{suffix}")
    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_url(re.compile(r".*/app/cases/[0-9a-f-]{36}(#files)?$"))
    assert page.get_by_role("link", name=f"evidence-{suffix}.pdf").count() == 1
    session.shot(f"case-draft-{suffix}")
    page.get_by_role("link", name="Submit to the review team").click()
    page.wait_for_url("**/submit")
    session.shot(f"case-submit-confirm-{suffix}")
    page.get_by_role("button", name="Yes, submit the case").click()
    page.wait_for_url("**/receipt")
    session.shot(f"case-receipt-{suffix}")
    return page.locator("main").inner_text()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_member_files_a_case_with_evidence_and_gets_the_receipt(
    browser: Any, live_server: LiveServer, tmp_path: Path, javascript: bool
) -> None:
    suffix = "js" if javascript else "nojs"
    email = create_member(live_server, f"member-{suffix}@example.org")
    session = Session(browser, live_server, javascript=javascript)
    session.goto("/app/")
    assert "/login" in session.page.url
    session.shot(f"login-{suffix}")
    session.log_in(email)
    session.page.wait_for_url("**/app/")
    session.shot(f"my-cases-empty-{suffix}")
    text = file_a_case(session, tmp_path, suffix=suffix)
    assert re.search(r"Receipt for case PR-\d{4}-\d{4}", text)
    assert "SHA-256" in text
    # The case list shows it as submitted.
    session.goto("/app/")
    assert "Submitted" in session.page.locator("table").inner_text()
    session.shot(f"my-cases-{suffix}")
    session.close()


def test_pages_on_a_phone_and_in_serbian(browser: Any, live_server: LiveServer, tmp_path: Path) -> None:
    email = create_member(live_server, "phone@example.org")
    session = Session(browser, live_server, viewport=PHONE)
    session.log_in(email, lang="sr-Latn")
    session.page.wait_for_url("**/app/")
    assert session.page.locator("html").get_attribute("lang") == "sr-Latn"
    session.goto("/app/cases/new")
    assert session.page.get_by_role("heading", level=1).inner_text() == "Prijavi novi slučaj"
    # Nothing wider than the phone's screen.
    assert session.page_width() <= PHONE["width"]
    session.shot("phone-case-new-sr-latn")
    session.goto("/app/?lang=sr-Cyrl")
    session.shot("phone-my-cases-sr-cyrl")
    assert session.page.locator("html").get_attribute("lang") == "sr-Cyrl"
    assert "Моји случајеви" in session.page.locator("h1").inner_text()
    # The choice is kept in the cookie.
    session.goto("/app/cases/new")
    assert session.page.locator("html").get_attribute("lang") == "sr-Cyrl"
    session.shot("phone-case-new-sr-cyrl")
    session.close()


def _code(secret: str, at: float) -> str:
    raw = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return TOTP(raw, 6, SHA1(), 30, enforce_key_length=False).generate(int(at)).decode()  # noqa: S303


def enrol_second_factor(session: Session, *, shots: bool = False) -> str:
    """On the second-factor page: start, read the key from the page, confirm with a code."""
    page = session.page
    page.get_by_role("button", name="Set up the second factor").click()
    page.wait_for_url("**/app/totp")
    assert page.locator("svg.qr-code").count() == 1
    if shots:
        session.shot("totp-enrolment")
    secret = page.locator("#totp-secret").get_attribute("data-secret")
    assert secret and re.fullmatch(r"[A-Z2-7]+", secret)
    page.get_by_label("Enter the code the app shows now").fill(_code(secret, time.time()))
    page.get_by_role("button", name="Turn on the second factor").click()
    assert len(page.locator("#recovery-codes li").all_inner_texts()) == 10
    if shots:
        session.shot("totp-recovery-codes")
    return secret


def test_a_reviewer_must_enrol_a_second_factor_before_anything_else(
    browser: Any, live_server: LiveServer
) -> None:
    email = create_member(live_server, "reviewer@example.org", Role.reviewer)
    session = Session(browser, live_server)
    session.log_in(email)
    session.page.wait_for_url("**/app/totp")
    # Every other members' page sends them back here.
    session.goto("/app/")
    assert session.page.url.endswith("/app/totp")
    secret = enrol_second_factor(session, shots=True)
    session.page.get_by_role("link", name="I have saved the codes: continue").click()
    session.page.wait_for_url("**/app/")
    assert session.page.get_by_role("heading", level=1).inner_text() == "Filed cases"
    # Log out, and in again: now the code is asked for.
    session.page.get_by_role("button", name="Log out").click()
    session.page.wait_for_url("**/login")
    session.log_in(email)
    session.page.get_by_label("Code from your authenticator app").fill(_code(secret, time.time() + 30))
    session.shot("login-second-factor")
    session.page.get_by_role("button", name="Continue").click()
    session.page.wait_for_url("**/app/")
    session.close()


def test_an_admin_invites_and_manages_members(browser: Any, live_server: LiveServer) -> None:
    email = create_member(live_server, "admin@example.org", Role.admin)
    create_member(live_server, "journalist@example.org")
    session = Session(browser, live_server)
    session.log_in(email)
    session.page.wait_for_url("**/app/totp")
    enrol_second_factor(session)
    session.page.get_by_role("link", name="I have saved the codes: continue").click()
    session.page.get_by_role("link", name="Invitations").click()
    session.page.get_by_label("E-mail address").fill("new.member@example.org")
    session.page.get_by_label("Role", exact=True).select_option("reviewer")
    session.page.get_by_role("button", name="Create the invitation").click()
    link = session.page.locator("#invitation-link").input_value()
    assert "/join/" in link
    session.shot("admin-invitation-created")
    session.page.get_by_role("link", name="Members").click()
    session.page.get_by_role("row", name=re.compile("journalist@example.org")).get_by_role(
        "button", name="Deactivate"
    ).click()
    # Deactivating asks once more, saying what it does.
    assert (
        "Their sessions and API tokens end at once"
        in session.page.locator("#confirm-deactivation").inner_text()
    )
    session.page.get_by_role("button", name="Yes, deactivate").click()
    assert (
        "deactivated"
        in session.page.get_by_role("row", name=re.compile("journalist@example.org")).inner_text()
    )
    session.shot("admin-members")
    session.page.set_viewport_size(PHONE)
    session.goto("/app/admin/members?lang=sr-Latn")
    session.shot("phone-admin-members-sr-latn")
    # An error is a page too.
    session.goto("/app/cases/00000000-0000-4000-8000-000000000000")
    assert session.page.get_by_role("heading", level=1).inner_text() == "Nije pronađeno"
    session.errors.clear()  # the browser logs the 404 itself
    session.shot("phone-error-sr-latn")
    session.close()

    # The invited person joins through the link, with JavaScript off.
    guest = Session(browser, live_server, javascript=False, viewport=PHONE)
    guest.page.goto(link + "?lang=en")
    guest.page.get_by_label("Your name as the review team sees it").fill("Nova")
    guest.page.get_by_label("Profession").select_option("journalist")
    guest.page.get_by_label("Password", exact=True).fill(PASSWORD)
    guest.page.get_by_label("The same password again").fill(PASSWORD)
    guest.shot("phone-join")
    guest.page.get_by_role("button", name="Join").click()
    assert "Welcome to the Integrity Network" in guest.page.locator("h1").inner_text()
    guest.close()


def test_the_browser_refuses_a_file_of_a_refused_type_before_sending(
    browser: Any, live_server: LiveServer, tmp_path: Path
) -> None:
    """The file input says what is accepted, and its script refuses anything else before a long
    upload starts (the server still decides by the content)."""
    session = Session(browser, live_server)
    session.log_in(create_member(live_server, "member-types@example.org"))
    session.page.wait_for_url("**/app/")
    session.goto("/app/cases/new?lang=en")
    field = session.page.get_by_label("Files (optional)")
    accept = field.get_attribute("accept") or ""
    assert ".pdf" in accept and ".jpg" in accept and ".exe" not in accept
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ" + bytes(64))
    field.set_input_files(str(program))
    message = field.evaluate("input => input.validationMessage")
    assert "setup.exe" in message and "not accepted" in message
    assert field.evaluate("input => input.form.checkValidity()") is False
    evidence = tmp_path / "ugovor.pdf"
    evidence.write_bytes(samples.pdf("Ugovor"))
    field.set_input_files(str(evidence))
    assert field.evaluate("input => input.validationMessage") == ""
    session.close()


async def _end_sessions(url: str) -> None:
    from integrity.accounts.tables import MemberSession

    engine = db.create_engine(DatabaseSettings(url=url))
    db.bind_engine(engine)
    await MemberSession.delete(force=True)


def test_a_report_is_saved_as_it_is_written_and_survives_a_session_that_ends(
    browser: Any, live_server: LiveServer
) -> None:
    """With JavaScript: the form is saved while the member types, comes back after leaving the page,
    and when the session ends, the save button keeps the text through a new log-in."""
    email = create_member(live_server, "member-autosave@example.org")
    session = Session(browser, live_server)
    session.log_in(email)
    session.page.wait_for_url("**/app/")
    session.goto("/app/cases/new")
    page = session.page
    story = "The mayor's cousin won the bridge tender; two other bids were thrown out. " * 20
    page.get_by_label("Title").fill("Bridge over the Morava")
    page.get_by_label("Narrative").fill(story)
    status = page.locator("[data-autosave-status]")
    status.filter(has_text="Saved at").wait_for()
    # Leaving and coming back: the form is as it was written.
    session.goto("/app/")
    session.goto("/app/cases/new")
    assert page.get_by_label("Narrative").input_value() == story
    assert "This is what you were writing" in page.locator("main").inner_text()

    # The session ends while the member goes on writing: the page says so, nothing is lost.
    run_async(_end_sessions(live_server.env["INTEGRITY_DATABASE_URL"]))
    page.get_by_label("Narrative").fill(story + "Written after the session ended.")
    status.filter(has_text="session has ended").wait_for()
    session.errors.clear()  # the browser reports the refused request (401) in its console
    page.locator("#part-what").get_by_role("button", name="Save what I wrote so far").click()
    page.get_by_label(re.compile("E-mail")).fill(email)
    page.get_by_label(re.compile("Password")).fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    page.get_by_role("button", name="Send it").click()
    page.wait_for_url(re.compile(r".*/app/cases/new\?saved=1#part-what$"))
    assert page.get_by_label("Narrative").input_value() == story + "Written after the session ended."
    session.errors.clear()
    session.close()


def test_without_javascript_each_part_of_the_form_has_a_save_button_on_a_phone(
    browser: Any, live_server: LiveServer
) -> None:
    email = create_member(live_server, "member-parts@example.org")
    session = Session(browser, live_server, javascript=False, viewport=PHONE)
    session.log_in(email)
    session.page.wait_for_url("**/app/")
    session.goto("/app/cases/new")
    page = session.page
    page.get_by_label("Title").fill("School roof repairs")
    page.get_by_label("Municipality or city").select_option("cacak")
    # Required fields left empty do not stop a save: it is not a submission.
    page.locator("#part-when").get_by_role("button", name="Save what I wrote so far").click()
    page.wait_for_url(re.compile(r".*/app/cases/new\?saved=1#part-when$"))
    assert "Saved (" in page.locator("main").inner_text()
    assert page.get_by_label("Title").input_value() == "School roof repairs"
    assert page.get_by_label("Municipality or city").input_value() == "cacak"
    assert session.page_width() <= PHONE["width"]
    session.shot("phone-case-new-saved-part")
    page.get_by_role("button", name="Start over with an empty form").click()
    page.wait_for_url("**/app/cases/new")
    assert page.get_by_label("Title").input_value() == ""
    session.close()
