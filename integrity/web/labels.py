"""What the pages call things: labels for codes (statuses, roles, kinds) and readable versions of the
services' error messages, all translated through the catalogues.

Strings are marked with `N_` (and `Nn_` for singular/plural pairs) so Babel's extractor finds them;
they are translated when a page is rendered, in the page's language.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import pass_context

from integrity.accounts import invitations, login, second_factor
from integrity.reference import category, district, municipality, to_cyrillic, to_latin
from integrity.web.i18n import SR_CYRL, SR_LATN, gettext_for
from integrity.web.i18n import _lang as language_of_context


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - the gettext convention
    return singular, plural


CASE_STATUSES = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "in_review": N_("In review"),
    "needs_info": N_("Needs information"),
    "verified": N_("Verified"),
    "approved": N_("Approved"),
    "published": N_("Published"),
    "rejected": N_("Rejected"),
    "withdrawn": N_("Withdrawn"),
    "retracted": N_("Retracted"),
}
ACTOR_KINDS = {
    "person": N_("Person"),
    "institution": N_("Institution"),
    "company": N_("Company"),
    "party": N_("Political party"),
    "media": N_("Media outlet"),
}
ACTOR_ROLES = {
    "alleged_perpetrator": N_("Alleged perpetrator"),
    "affected_person": N_("Affected person"),
    "witness": N_("Witness"),
    "institution_involved": N_("Institution involved"),
    "source": N_("Source"),
}
DATE_PRECISIONS = {
    "day": N_("Exact day"),
    "month": N_("Month only"),
    "year": N_("Year only"),
}
ACTIONS = {
    "submit": N_("Submission"),
    "start_review": N_("Review started"),
    "request_info": N_("Information requested"),
    "provide_info": N_("Information provided"),
    "verify": N_("Verification"),
    "reject": N_("Rejection"),
    "reopen": N_("Reopened"),
    "send_back": N_("Sent back for more work"),
    "approve": N_("Approval"),
    "publish": N_("Publication"),
    "correct": N_("Correction"),
    "retract": N_("Retraction"),
    "withdraw": N_("Withdrawal"),
}
#: What the button of each workflow step says.
ACTION_BUTTONS = {
    "start_review": N_("Start the review"),
    "request_info": N_("Ask the member for information"),
    "provide_info": N_("Send the information to the review team"),
    "verify": N_("Mark as verified"),
    "reject": N_("Reject the case"),
    "reopen": N_("Reopen the review"),
    "send_back": N_("Send back to review"),
    "approve": N_("Approve for publication"),
    "publish": N_("Publish"),
    "correct": N_("Publish a correction"),
    "retract": N_("Retract the publication"),
    "withdraw": N_("Withdraw the case"),
}
#: The label of the text field of steps that take one.
REASON_LABELS = {
    "request_info": N_("What do you need from the member? (they read this)"),
    "reject": N_("Reason for the rejection (the member reads it)"),
    "send_back": N_("What needs more work (only the review team reads it)"),
    "correct": N_("Correction notice (published with the new revision)"),
    "retract": N_("Retraction notice (published on the case page)"),
}
COMMENT_KINDS = {
    "note": N_("Internal note"),
    "request": N_("Request for information"),
    "answer": N_("Answer"),
}
DECISIONS = {
    "withhold": N_("Withhold"),
    "publish_redacted": N_("Publish the redacted copy"),
    "publish_as_filed": N_("Publish as filed (cleaned of metadata)"),
}
MEMBER_ROLES = {
    "member": N_("Member"),
    "reviewer": N_("Reviewer"),
    "editor": N_("Editor"),
    "admin": N_("Administrator"),
}
PROFESSIONS = {
    "police": N_("Police officer"),
    "journalist": N_("Journalist"),
    "lawyer": N_("Lawyer"),
    "academic": N_("Academic"),
    "activist": N_("Activist"),
    "other": N_("Other"),
}

#: Titles of problem details (`integrity.http.problems` and `integrity.errors`).
PROBLEM_TITLES = [
    N_("Bad request"),
    N_("Not logged in"),
    N_("Not allowed"),
    N_("Not found"),
    N_("Method not allowed"),
    N_("Not allowed in this state"),
    N_("Too large"),
    N_("File type not allowed"),
    N_("Invalid input"),
    N_("Too many requests"),
    N_("Internal error"),
    N_("Service unavailable"),
    N_("Evidence storage unavailable"),
    N_("Database unavailable"),
    N_("Range not satisfiable"),
    N_("Stored evidence failed its integrity check"),
    N_("Configuration error"),
    N_("Error"),
]

#: Messages of the services, word for word, that members can meet on the pages. A test checks
#: that the services still say these (so a reworded message is noticed here).
SERVICE_MESSAGES = [
    N_("wrong e-mail address, password or second-factor code"),
    N_("no such invitation: it may be mistyped, already used or expired"),
    N_("no such pending invitation"),
    N_("that is not a valid e-mail address"),
    N_("the password must have at least 12 characters"),
    N_("the password must have at most 1024 characters"),
    N_("that password is on the list of common passwords: choose another"),
    N_("the password must not contain your e-mail address"),
    N_("the display name must have 1 to 120 characters"),
    N_("a member with that e-mail address already exists"),
    N_("admins cannot demote or deactivate themselves: ask another admin"),
    N_("no such member"),
    N_("only an admin changes members"),
    N_("a second factor is already enabled for this account"),
    N_("that code is wrong or already used: check the authenticator app's clock"),
    N_("your role does not allow this"),
    N_("no such case"),
    N_("no such file"),
    N_("the case has been submitted: filed material can no longer change"),
    N_("evidence can be added to a draft, or as an answer to a request for information"),
    N_("the case no longer accepts evidence"),
    N_("filed evidence can no longer be removed"),
    N_("the case has not been submitted yet"),
    N_("only the member who filed the case may edit it"),
    N_("only the member who filed the case may submit it"),
    N_("only the member who filed the case may add evidence"),
    N_("only the member who filed the case may remove evidence"),
    N_("only the member who filed the case may fetch its receipt"),
    N_("incident_date must not be in the future"),
    N_("incident_date is too far in the past"),
    N_(
        "this type of file is not accepted; send photos (JPEG, PNG, WebP, HEIC), PDF, plain text, "
        "audio (MP3, M4A, OGG, WAV), video (MP4, MOV, WebM) or documents (DOCX, XLSX, ODT)"
    ),
    N_("the file is empty"),
    N_("the upload is larger than the platform accepts"),
    N_("the file is larger than the platform accepts"),
    N_("the form data is not valid multipart/form-data"),
    N_("the form data ended before its closing boundary"),
    N_("something went wrong on our side; nothing you sent has been logged"),
    # integrity.review.service, integrity.cases.workflow, integrity.publication.service
    N_("request info needs a reason"),
    N_("reject needs a reason"),
    N_("send back needs a reason"),
    N_("correct needs a reason"),
    N_("retract needs a reason"),
    N_("nobody reviews, verifies or approves a case they filed"),
    N_("you declared a conflict of interest on this case"),
    N_("you have already declared a conflict of interest on this case"),
    N_("that reviewer declared a conflict of interest on this case"),
    N_("approval needs an editor other than the reviewer who verified the case (four eyes)"),
    N_("nobody reviews a case they filed"),
    N_("answers are given while the case waits for information"),
    N_("the comment must not be empty"),
    N_("internal notes come from the review team"),
    N_("only the member who filed the case answers requests for information"),
    N_("the public version is written by the review team"),
    N_("nobody prepares the publication of a case they filed"),
    N_("draw at least one box (to publish without boxes, choose publish as filed)"),
    N_("this type of file has no redaction path yet: it can only be withheld"),
    N_("this type of file has no page preview"),
    N_("an actor whose identity is protected is never shown publicly"),
    N_("choose a file"),
]

#: Replacements for messages written for API clients, where a person needs other words.
FRIENDLIER = {
    # integrity.security.csrf.FAILED
    "the CSRF token is missing or wrong": N_(
        "This form has expired or did not come from this site. Go back, reload the page and send it again."
    ),
    # integrity.security.guards.ENROL_FIRST
    "your role needs a second factor": N_(
        "Your role needs a second factor: set it up on the second-factor page first."
    ),
    "log in first": N_("Log in first."),
    # integrity.publication.service.publication_problem (names files by id)
    "the publication draft is not complete": N_(
        "The publication draft is not complete yet: the draft page lists what is missing."
    ),
}

#: The rate limits' messages (`integrity.accounts.login`), in the pages' words, per rule.
RATE_LIMITS = {
    login.LOGIN_PER_ACCOUNT.message: Nn_(
        "Too many failed log-ins for this account: it is locked for %(num)d minute. Wait, then try "
        "again (or use a recovery code if the second factor is the trouble).",
        "Too many failed log-ins for this account: it is locked for %(num)d minutes. Wait, then try "
        "again (or use a recovery code if the second factor is the trouble).",
    ),
    login.LOGIN_PER_CLIENT.message: Nn_(
        "Too many failed log-ins from your connection: wait %(num)d minute.",
        "Too many failed log-ins from your connection: wait %(num)d minutes.",
    ),
    second_factor.TOTP_PER_ACCOUNT.message: Nn_(
        "Too many wrong codes for this account: wait %(num)d minute.",
        "Too many wrong codes for this account: wait %(num)d minutes.",
    ),
    second_factor.TOTP_PER_CLIENT.message: Nn_(
        "Too many wrong codes from your connection: wait %(num)d minute.",
        "Too many wrong codes from your connection: wait %(num)d minutes.",
    ),
    invitations.INVITATION_PER_TOKEN.message: Nn_(
        "Too many attempts with this invitation: wait %(num)d minute.",
        "Too many attempts with this invitation: wait %(num)d minutes.",
    ),
    invitations.INVITATION_PER_CLIENT.message: Nn_(
        "Too many failed invitation attempts from your connection: wait %(num)d minute.",
        "Too many failed invitation attempts from your connection: wait %(num)d minutes.",
    ),
}
_RATE_PATTERNS = [
    (re.compile("^" + re.escape(template).replace(re.escape("{minutes}"), r"(\d+)") + "$"), forms)
    for template, forms in RATE_LIMITS.items()
]


def translate_problem(lang: str, detail: str) -> str:
    """A service's message in the page's language: known messages are translated, rate limits keep
    their wait, anything else is shown as the service wrote it, with a capital and a full stop."""
    t = gettext_for(lang)
    for prefix, friendlier in FRIENDLIER.items():
        if detail.startswith(prefix):
            return t.gettext(friendlier)
    for pattern, (singular, plural) in _RATE_PATTERNS:
        match = pattern.match(detail)
        if match:
            num = int(match.group(1))
            return t.ngettext(singular, plural, num) % {"num": num}
    text = t.gettext(detail)
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!?":
        text += "."
    return text


# --- template helpers -------------------------------------------------------------------------


def _label(table: dict[str, str]) -> Any:
    @pass_context
    def label(context: Any, code: str | None) -> str:
        if code is None:
            return ""
        message = table.get(str(code))
        return gettext_for(language_of_context(context)).gettext(message) if message else str(code)

    return label


@pass_context
def problem_text(context: Any, detail: str) -> str:
    return translate_problem(language_of_context(context), detail)


@pass_context
def problem_title(context: Any, title: str) -> str:
    return gettext_for(language_of_context(context)).gettext(title)


@pass_context
def category_label(context: Any, code: str) -> str:
    found = category(code)
    return found.label(language_of_context(context)) if found else code


@pass_context
def category_description(context: Any, code: str) -> str:
    found = category(code)
    return found.description(language_of_context(context)) if found else ""


def category_label_in(lang: str, code: str) -> str:
    found = category(code)
    return found.label(lang) if found else code


@pass_context
def in_script(context: Any, text: str) -> str:
    """Published Serbian text in the reader's script (English pages show it as written)."""
    lang = language_of_context(context)
    if lang == SR_CYRL:
        return to_cyrillic(text)
    if lang == SR_LATN:
        return to_latin(text)
    return text


@pass_context
def district_name(context: Any, code: str | None) -> str:
    found = district(code) if code else None
    if found is None:
        return code or ""
    return found.name(SR_CYRL if language_of_context(context) == SR_CYRL else SR_LATN)


@pass_context
def municipality_name(context: Any, code: str) -> str:
    found = municipality(code)
    return found.name(language_of_context(context)) if found else code


def place_name(lang: str, code: str) -> str:
    """A municipality's name with its district, as the page's script writes them."""
    found = municipality(code)
    if found is None:
        return code
    region = district(found.district)
    script = SR_CYRL if lang == SR_CYRL else "sr-Latn"
    return f"{found.name(script)} ({region.name(script)})" if region else found.name(script)


TEMPLATE_GLOBALS = {
    "status_label": _label(CASE_STATUSES),
    "kind_label": _label(ACTOR_KINDS),
    "actor_role_label": _label(ACTOR_ROLES),
    "precision_label": _label(DATE_PRECISIONS),
    "action_label": _label(ACTIONS),
    "action_button": _label(ACTION_BUTTONS),
    "reason_label": _label(REASON_LABELS),
    "comment_kind_label": _label(COMMENT_KINDS),
    "decision_label": _label(DECISIONS),
    "role_label": _label(MEMBER_ROLES),
    "profession_label": _label(PROFESSIONS),
    "problem_text": problem_text,
    "problem_title": problem_title,
    "category_label": category_label,
    "category_description": category_description,
    "municipality_name": municipality_name,
    "district_name": district_name,
    "in_script": in_script,
}
