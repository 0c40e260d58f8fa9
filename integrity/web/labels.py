"""What the pages call things: labels for codes (statuses, roles, kinds) and the messages for error
codes (one table, `MESSAGES_BY_CODE`), all translated through the catalogues.

Strings are marked with `N_` (and `Nn_` for singular/plural pairs) so Babel's extractor finds them;
they are translated when a page is rendered, in the page's language.
"""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context

from integrity.errors import IntegrityError, RateLimited
from integrity.reference import category, district, municipality, referral_kind, to_cyrillic, to_latin
from integrity.web.i18n import SR_CYRL, SR_LATN, gettext_for
from integrity.web.i18n import _lang as language_of_context


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 - the gettext convention
    return singular, plural


#: What waits for a review-team member (``review.queue.WAITING``).
WAITING_STEPS = {
    "triage": N_("to triage"),
    "review": N_("to review"),
    "approve": N_("to approve"),
    "publish": N_("to publish"),
    "confirm_correction": N_("correction to confirm"),
    "confirm_retraction": N_("retraction to confirm"),
    "confirm_takedown": N_("takedown to confirm"),
}
#: Identifying metadata an uploaded file carries (``redaction.metadata``).
CARRIED = {
    "location": N_("its location (GPS)"),
    "camera": N_("the camera that took it"),
    "taken": N_("the time it was taken"),
    "author": N_("an author's name"),
}
#: The orders of a case list (``cases.schemas.CaseSort``).
CASE_SORTS = {
    "newest": N_("Newest first"),
    "oldest": N_("Oldest first"),
    "changed": N_("Last changed first"),
    "waiting": N_("Waiting longest first"),
}

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
    "approval_voided": N_("Approval voided by a change to the draft"),
    "publish": N_("Publication"),
    "correct": N_("Correction proposed"),
    "confirm_correction": N_("Correction published"),
    "retract": N_("Retraction proposed"),
    "confirm_retraction": N_("Retraction"),
    "withdraw": N_("Withdrawal"),
}
#: The notice after a workflow step was taken.
DONE_MESSAGES = {
    "submit": N_("Submitted: the review team has been told."),
    "start_review": N_("The review has started: the case is assigned to you."),
    "request_info": N_("The request was sent to the member."),
    "provide_info": N_("The information was sent to the review team."),
    "verify": N_("Verified: an editor can approve it now."),
    "reject": N_("The case was rejected."),
    "reopen": N_("The review was reopened."),
    "send_back": N_("Sent back for more work."),
    "approve": N_("Approved: it can be published now."),
    "publish": N_("Published: the public can read it now."),
    "correct": N_("The correction was proposed: another editor confirms it."),
    "confirm_correction": N_("The correction is published."),
    "retract": N_("The retraction was proposed: another editor confirms it."),
    "confirm_retraction": N_("The publication was retracted."),
    "withdraw": N_("The case was withdrawn."),
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
    "correct": N_("Propose a correction"),
    "confirm_correction": N_("Confirm and publish the correction"),
    "retract": N_("Propose retracting the publication"),
    "confirm_retraction": N_("Confirm the retraction"),
    "withdraw": N_("Withdraw the case"),
}
#: The label of the text field of steps that take one.
REASON_LABELS = {
    "request_info": N_("What do you need from the member? (they read this)"),
    "reject": N_("Reason for the rejection (the member reads it)"),
    "send_back": N_("What needs more work (only the review team reads it)"),
    "correct": N_("Correction notice (published with the new revision once another editor confirms it)"),
    "retract": N_("Retraction notice (published on the case page once another editor confirms it)"),
}
TAKEDOWN_REASONS = {
    "court_order": N_("Court order"),
    "safety": N_("Someone's safety"),
    "privacy": N_("Privacy"),
    "error": N_("Published in error"),
    "other": N_("Other reason"),
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

#: What the pages say for each error code (`IntegrityError.code`), translated when a page is rendered.
#: A refusal whose code is missing here is shown with the service's own (English) detail, so a test
#: checks that every code the services raise on the pages' paths has its message here.
MESSAGES_BY_CODE = {
    # any page: what the framework itself refuses
    "not_found": N_("there is nothing at this address: it may be mistyped, or it was removed"),
    "method_not_allowed": N_("this address does not take that kind of request"),
    # public pages
    "published_case_not_found": N_("no published case has that reference"),
    "published_file_not_found": N_("the case has no such published file"),
    "revision_not_found": N_("the case has no such revision"),
    "actor_not_published": N_("no published case names that person or institution"),
    "institution_not_found": N_("no published case was sent to that institution"),
    "municipality_not_found": N_("no such municipality"),
    "district_not_found": N_("no such district"),
    "category_not_found": N_("no such category"),
    # any text field
    "text_empty": N_("write something: this must not be empty"),
    "text_too_long": N_("the text is too long"),
    "text_has_nul": N_("the text holds a character that cannot be kept (NUL)"),
    # accounts
    "login_failed": N_("wrong e-mail address, password or second-factor code"),
    "invitation_not_found": N_("no such invitation: it may be mistyped, already used or expired"),
    "pending_invitation_not_found": N_("no such pending invitation"),
    "email_invalid": N_("that is not a valid e-mail address"),
    "password_too_short": N_("the password must have at least 12 characters"),
    "password_too_long": N_("the password must have at most 1024 characters"),
    "password_common": N_("that password is on the list of common passwords: choose another"),
    "password_contains_email": N_("the password must not contain your e-mail address"),
    "display_name_length": N_("the display name must have 1 to 120 characters"),
    "email_taken": N_("a member with that e-mail address already exists"),
    "admin_self_change": N_("admins cannot demote or deactivate themselves: ask another admin"),
    "member_not_found": N_("no such member"),
    "admin_only": N_("only an admin changes members"),
    "grant_same_person": N_("a second person confirms what you asked for"),
    "grant_own_account": N_("nobody confirms a change to their own account"),
    "grant_confirmer": N_("a second admin confirms (an editor, where the platform has one admin)"),
    "grant_not_pending": N_("that change was confirmed already"),
    "grant_not_found": N_("no such change is waiting"),
    "no_second_factor": N_("that member has no second factor to reset"),
    "second_factor_enabled": N_("a second factor is already enabled for this account"),
    "totp_code_wrong": N_("that code is wrong or already used: check the authenticator app's clock"),
    "role_not_allowed": N_("your role does not allow this"),
    # written for API clients; a person needs other words
    "csrf_failed": N_(
        "This form has expired or did not come from this site. Go back, reload the page and send it again."
    ),
    "second_factor_required": N_(
        "Your role needs a second factor: set it up on the second-factor page first."
    ),
    "login_required": N_("Log in first."),
    # cases
    "case_not_found": N_("no such case"),
    "file_not_found": N_("no such file"),
    "too_many_aliases": N_("A shared record carries at most 20 other names."),
    "review_team_only": N_("Only the review team does this."),
    "referral_kind_unknown": N_("Choose the kind of referral."),
    "date_in_future": N_("The date cannot be in the future."),
    "date_too_early": N_("The date is too far in the past."),
    "institution_ambiguous": N_("Name the institution, or choose one already on record (not both)."),
    "registry_number_invalid": N_("A registry number has digits only, at most 20."),
    "not_an_institution": N_("A referral goes to an institution."),
    "answer_before_referral": N_("The answer cannot have come before the referral was sent."),
    "appeal_before_referral": N_("The appeal cannot have been sent before what it appeals."),
    "referral_closed": N_("The referral is closed."),
    "referral_not_found": N_("The case has no such referral."),
    "document_role_unknown": N_("Choose what the documents are."),
    "document_role_mismatch": N_("A document of an answer is the answer."),
    "answer_not_found": N_("The referral has no such answer."),
    # legal holds
    "four_eyes_hold": N_("Another editor confirms this step: you asked for it."),
    "hold_not_waiting": N_("Nothing of this hold waits for a confirmation."),
    "hold_not_active": N_("Only an active hold can be released."),
    "hold_not_found": N_("The case has no such hold."),
    "legal_hold": N_("The case is under legal hold: nothing of it may be deleted."),
    # retention and shredding
    "case_not_closed": N_("Only a withdrawn or rejected case is shredded."),
    "case_published": N_("A published case is not shredded: its publication stands."),
    "originals_shredded": N_("The published case's originals are shredded already."),
    "four_eyes_shred": N_("Another editor confirms the shredding: you asked for it."),
    "shred_request_not_found": N_("The case has no such request to shred it."),
    "shred_request_stale": N_(
        "The request to shred is out of date (the case changed, or it was asked for too long ago): "
        "ask again if it is still wanted."
    ),
    "case_changed": N_("The case changed meanwhile: look at it again."),
    "file_shredded": N_(
        "This original was shredded: nothing more can be made from it; its published copies remain."
    ),
    # erasure
    "erasure_pending": N_("Your erasure is already asked for."),
    "four_eyes_erasure": N_("Another admin confirms this erasure."),
    "erasure_done": N_("The member is erased already."),
    "erasure_not_found": N_("No such erasure request."),
    "admins_only": N_("Erasures are confirmed by admins."),
    # exports
    "export_lapsed": N_("The export lapsed: ask for it again, and another editor approves it again."),
    "recipient_invalid": N_(
        "That is not an age public key: copy the recipient's whole public key (age1 and 58 more "
        "letters and digits)."
    ),
    "editors_only": N_("Exports are asked for and approved by editors."),
    "four_eyes_export": N_("Another editor approves the export: you asked for it."),
    "export_approved": N_("The export is approved already."),
    "export_not_approved": N_("The export waits for a second editor's approval."),
    "export_not_found": N_("The case has no such export."),
    "export_not_yours": N_("The package goes to the editors who asked for and approved it."),
    "case_submitted": N_("the case has been submitted: filed material can no longer change"),
    "autosave_too_large": N_(
        "The form is longer than a case can be: shorten the narrative before it is saved."
    ),
    "evidence_not_accepted": N_(
        "evidence can be added to a draft, or as an answer to a request for information"
    ),
    "evidence_closed": N_("the case no longer accepts evidence"),
    "evidence_filed": N_("filed evidence can no longer be removed"),
    "case_not_submitted": N_("the case has not been submitted yet"),
    "submitter_only": N_("Only the member who filed the case may do this."),
    "incident_date_future": N_("incident_date must not be in the future"),
    "incident_date_too_old": N_("incident_date is too far in the past"),
    "type_not_allowed": N_(
        "this type of file is not accepted; send photos (JPEG, PNG, WebP, HEIC), PDF, plain text, "
        "audio (MP3, M4A, OGG, WAV), video (MP4, MOV, WebM) or documents (DOCX, XLSX, ODT)"
    ),
    "file_empty": N_("the file is empty"),
    "upload_too_large": N_("the upload is larger than the platform accepts"),
    "file_too_large": N_("the file is larger than the platform accepts"),
    "not_multipart": N_("the form data is not valid multipart/form-data"),
    "multipart_truncated": N_("the form data ended before its closing boundary"),
    "file_missing": N_("choose a file"),
    "internal_error": N_("something went wrong on our side; nothing you sent has been logged"),
    # the review workflow
    "request_info_needs_reason": N_("request info needs a reason"),
    "reject_needs_reason": N_("reject needs a reason"),
    "send_back_needs_reason": N_("send back needs a reason"),
    "correct_needs_reason": N_("correct needs a reason"),
    "retract_needs_reason": N_("retract needs a reason"),
    "own_case": N_("nobody reviews, verifies or approves a case they filed"),
    "conflict_declared": N_("you declared a conflict of interest on this case"),
    "conflict_already_declared": N_("a conflict of interest is already recorded for them on this case"),
    "conflict_editor_only": N_("only an editor records another team member's conflict of interest"),
    "conflict_not_team": N_("choose an active reviewer or editor"),
    "assignee_conflicted": N_("that reviewer declared a conflict of interest on this case"),
    "four_eyes": N_("approval needs an editor other than the reviewer who verified the case (four eyes)"),
    "assignee_is_submitter": N_("nobody reviews a case they filed"),
    "answer_not_expected": N_("answers are given while the case waits for information"),
    "answer_missing": N_("write your answer to the request before sending the information"),
    "confirmation_missing": N_("tick the box to confirm what this does"),
    "comment_empty": N_("the comment must not be empty"),
    "notes_team_only": N_("internal notes come from the review team"),
    "answer_submitter_only": N_("only the member who filed the case answers requests for information"),
    "actor_link_ambiguous": N_("choose a shared record, or give the name of one"),
    "actor_link_name_empty": N_("give the name of the shared record"),
    "actor_kind_mismatch": N_("a person is linked to a person, an institution to an institution"),
    "actor_protected": N_("a protected person's name stays within the case: it is never linked"),
    "actor_in_draft": N_("the publication draft shows this actor: take it off the public actors first"),
    "actor_already_linked": N_("the actor is linked to that record already"),
    "actor_not_found": N_("no such shared actor"),
    # publication
    "draft_team_only": N_("the public version is written by the review team"),
    "own_case_publication": N_("nobody prepares the publication of a case they filed"),
    "draft_incomplete": N_(
        "The publication draft is not complete yet: the draft page lists what is missing."
    ),
    "boxes_missing": N_("draw at least one box (to publish without boxes, choose publish as filed)"),
    "no_redaction_path": N_("this type of file has no redaction path yet: it can only be withheld"),
    "no_page_preview": N_("this type of file has no page preview"),
    "protected_actor_public": N_("an actor whose identity is protected is never shown publicly"),
    "public_actor_not_linked": N_(
        "link the actor to a shared record on the case page before showing it publicly"
    ),
    "leak_in_note": N_(
        "The note names a protected person or the member who filed the case: write it without the name."
    ),
    "four_eyes_draft": N_("Another editor approves: you were the last to change the publication draft."),
    "four_eyes_proposal": N_("Another editor confirms it: you proposed this change."),
    "no_correction_proposed": N_("No correction has been proposed."),
    "no_retraction_proposed": N_("Retracting the publication has not been proposed."),
    "proposal_stale": N_("The draft changed after the correction was proposed: propose it again."),
    "approval_stale": N_("The draft is not what was approved: send the case back and approve it again."),
    "redaction_after_approval": N_(
        "The case was approved while the copy was being made: the approved copy stays. Send the case "
        "back to make another."
    ),
    "takedown_editors_only": N_("Only editors withdraw what was published."),
    "four_eyes_takedown": N_("Another editor confirms the withdrawal: you asked for it."),
    "takedown_done": N_("The withdrawal has been carried out already."),
    "already_withdrawn": N_("That revision has been withdrawn already."),
    "file_not_published": N_("No copy of that file was published in that revision."),
    "takedown_form": N_("Choose a revision, a reason and, for one file, the file."),
    "withdrawn": N_("This was published once and has been withdrawn."),
    "ocr_unavailable": N_(
        "The files cannot be read for protected names: Tesseract is not installed on the server."
    ),
}

#: The rate limits' messages (`integrity.security.ratelimit.Rule`, named by the rules of
#: `integrity.accounts`), in the pages' words, with the wait in minutes.
RATE_LIMITS = {
    "too_many_login_account": Nn_(
        "Too many failed log-ins for this account: it is locked for %(num)d minute. Wait, then try "
        "again (or use a recovery code if the second factor is the trouble).",
        "Too many failed log-ins for this account: it is locked for %(num)d minutes. Wait, then try "
        "again (or use a recovery code if the second factor is the trouble).",
    ),
    "too_many_login_client": Nn_(
        "Too many failed log-ins from your connection: wait %(num)d minute.",
        "Too many failed log-ins from your connection: wait %(num)d minutes.",
    ),
    "too_many_totp_account": Nn_(
        "Too many wrong codes for this account: wait %(num)d minute.",
        "Too many wrong codes for this account: wait %(num)d minutes.",
    ),
    "too_many_totp_client": Nn_(
        "Too many wrong codes from your connection: wait %(num)d minute.",
        "Too many wrong codes from your connection: wait %(num)d minutes.",
    ),
    "too_many_invitation_token": Nn_(
        "Too many attempts with this invitation: wait %(num)d minute.",
        "Too many attempts with this invitation: wait %(num)d minutes.",
    ),
    "too_many_invitation_client": Nn_(
        "Too many failed invitation attempts from your connection: wait %(num)d minute.",
        "Too many failed invitation attempts from your connection: wait %(num)d minutes.",
    ),
}


def _sentence(text: str) -> str:
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!?":
        text += "."
    return text


def translate_problem(lang: str, problem: IntegrityError | str) -> str:
    """What a page says about `problem` in its language.

    A refusal is looked up by its code: rate limits keep their wait, other known codes give their
    translated message, and an unknown code shows the service's detail (translated where the
    catalogue has it). A page's own message (a string marked with `N_`) is translated as it is.
    Either way with a capital and a full stop.
    """
    t = gettext_for(lang)
    if isinstance(problem, str):
        return _sentence(t.gettext(problem))
    if isinstance(problem, RateLimited) and problem.code in RATE_LIMITS:
        singular, plural = RATE_LIMITS[problem.code]
        num = problem.minutes
        return t.ngettext(singular, plural, num) % {"num": num}
    message = MESSAGES_BY_CODE.get(problem.code)
    # A detail with no message of its own is still translated when the catalogue has it (a page's
    # own wording passed on as a refusal's detail).
    return _sentence(t.gettext(message or problem.detail))


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
def problem_text(context: Any, problem: IntegrityError | str) -> str:
    return translate_problem(language_of_context(context), problem)


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


#: Referrals to institutions (``integrity.referrals``).
REFERRAL_CHANNELS = {
    "post": N_("by post"),
    "email": N_("by e-mail"),
    "in_person": N_("in person"),
    "portal": N_("through the institution's portal"),
    "other": N_("another way"),
}
REFERRAL_OUTCOMES = {
    "answered": N_("answered"),
    "partly_answered": N_("partly answered"),
    "refused": N_("refused"),
    "forwarded": N_("forwarded to another institution"),
    "proceedings_opened": N_("proceedings opened"),
    "dismissed": N_("dismissed"),
    "no_competence": N_("not competent"),
}
REFERRAL_STATUSES = {
    "awaiting": N_("awaiting an answer"),
    "overdue": N_("overdue"),
    "long_overdue": N_("long overdue"),
    "answered": N_("answered"),
    "closed": N_("closed"),
}
REFERRAL_MADE_BY = {"network": N_("by the network"), "member": N_("by the member who filed the case")}
#: Legal holds (``integrity.preservation.holds``).
HOLD_STATUSES = {
    "pending": N_("Asked for: waiting for a second editor"),
    "active": N_("Holding"),
    "releasing": N_("Holding: its release waits for a second editor"),
    "released": N_("Released"),
}
REFERRAL_DOCUMENTS = {
    "sent": N_("the document sent"),
    "delivery_proof": N_("the proof of delivery"),
    "answer": N_("the answer"),
    "other": N_("a document"),
}


@pass_context
def referral_kind_name(context: Any, code: str) -> str:
    found = referral_kind(code)
    return found.name(language_of_context(context)) if found else code


TEMPLATE_GLOBALS = {
    "referral_channel_label": _label(REFERRAL_CHANNELS),
    "referral_outcome_label": _label(REFERRAL_OUTCOMES),
    "referral_status_label": _label(REFERRAL_STATUSES),
    "referral_made_by_label": _label(REFERRAL_MADE_BY),
    "referral_document_label": _label(REFERRAL_DOCUMENTS),
    "hold_status_label": _label(HOLD_STATUSES),
    "referral_kind_name": referral_kind_name,
    "status_label": _label(CASE_STATUSES),
    "waiting_label": _label(WAITING_STEPS),
    "sort_label": _label(CASE_SORTS),
    "carried_label": _label(CARRIED),
    "kind_label": _label(ACTOR_KINDS),
    "actor_role_label": _label(ACTOR_ROLES),
    "precision_label": _label(DATE_PRECISIONS),
    "action_label": _label(ACTIONS),
    "action_button": _label(ACTION_BUTTONS),
    "done_message": _label(DONE_MESSAGES),
    "reason_label": _label(REASON_LABELS),
    "comment_kind_label": _label(COMMENT_KINDS),
    "takedown_reason_label": _label(TAKEDOWN_REASONS),
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
