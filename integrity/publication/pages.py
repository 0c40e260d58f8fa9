"""The review team's publication pages under /app/cases/{id}/: the draft of the public version (texts,
public actors, a decision per file, the leak check after every save), the redaction tool, and the
preview with the approve / publish / correct / retract steps.

The redaction tool works without JavaScript: boxes are rows of numbers (page, and x, y, width,
height as percentages of the page); `redact.js` lets people draw them on the preview instead and
fills in the same rows. The rows go to `create_redaction` as fractions.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from integrity.cases import service as cases_service
from integrity.cases.forms import form_fields
from integrity.cases.schemas import AttachmentOut, CaseOut
from integrity.context import ServiceContext, provide_service_context
from integrity.errors import Forbidden, Invalid, NotFound, WrongState
from integrity.publication import copies, drafts, name_search, revisions, takedowns
from integrity.publication import renditions as publication_renditions
from integrity.publication.preview_page import files_as_published, preview_page
from integrity.publication.public_schemas import PRECISIONS
from integrity.publication.schemas import BoxIn, CopyPendingOut, DecisionIn, DraftIn, DraftOut, TakedownIn
from integrity.publication.tables import CheckState, Decision, TakedownReason
from integrity.redaction.ocr import OCR_PACKAGES
from integrity.referrals import replies
from integrity.referrals import service as referrals
from integrity.security.guards import Principal
from integrity.web.labels import DONE_MESSAGES, N_
from integrity.web.pages import (
    page,
    requires_page_review_team,
    see_other,
)

#: What `revisions.preview` says when nothing has been drafted yet.
#: Empty box rows the redaction form offers, and how many "more rows" adds.
BLANK_BOXES = 3
MAX_BOXES = 200

MESSAGES = {
    "no_draft": N_("Nothing has been saved yet."),
    "texts": N_("Write the public title, summary and body."),
    "undecided": N_("Choose what happens to %(file)s."),
    "no_copy": N_("Make a redacted copy of %(file)s, or choose another decision for it."),
    "leak": N_("The leak check found protected names: remove them (see the findings)."),
    "reading": N_("Wait until %(file)s has been read for protected names."),
    "unreadable": N_("%(file)s could not be read for protected names: see the leak check."),
    "ocr_unavailable": N_(
        "Tesseract, which reads the files, is not installed on the server: the administrator installs "
        "%(packages)s."
    ),
    "read_failed": N_("The file could not be read (it is damaged, or took too long): make a new copy of it."),
    "box_number": N_("Give every value of the box as a number."),
    "box_page": N_("This page does not exist."),
    "box_range": N_("The box must lie within the page (values from 0 to 100) and have a width and a height."),
    "no_boxes": N_("Enter or draw at least one box."),
}
LOCATIONS = {
    "public_title": N_("the public title"),
    "public_summary": N_("the summary"),
    "public_body": N_("the body"),
    "actor": N_("the public actors"),
    "referral": N_("a referral shown publicly"),
    "reply": N_("a reply shown publicly"),
}


# --- the draft ------------------------------------------------------------------------------------


@dataclass
class Problem:
    """A message to translate and its values (filled in after translation)."""

    message: str
    values: dict[str, str] = field(default_factory=dict)


def _filename(case: CaseOut, attachment_id: uuid.UUID | str) -> str:
    for attachment in case.attachments:
        if str(attachment.id) == str(attachment_id):
            return attachment.filename
    return str(attachment_id)


def where_found(case: CaseOut, location: str) -> Problem:
    """A leak-check location (`public_body`, `file:<id>`, `actor:<id>`) in words."""
    if location.startswith("file:"):
        return Problem("%(file)s", {"file": _filename(case, location.removeprefix("file:"))})
    return Problem(LOCATIONS.get(location.split(":")[0], location))


#: The page's words for each of the service's blockers (`DraftOut.blockers`).
BLOCKER_MESSAGES = {
    "no_draft": MESSAGES["no_draft"],
    "texts_missing": MESSAGES["texts"],
    "file_undecided": MESSAGES["undecided"],
    "file_without_copy": MESSAGES["no_copy"],
    "protected_name": MESSAGES["leak"],
    "file_check_pending": MESSAGES["reading"],
    "file_check_failed": MESSAGES["unreadable"],
}


def _read_problem(code: str | None) -> Problem:
    """Why a file could not be read, as a message to translate."""
    if code == "ocr_unavailable":
        return Problem(MESSAGES["ocr_unavailable"], {"packages": " ".join(OCR_PACKAGES)})
    return Problem(MESSAGES["read_failed"])


def what_is_missing(case: CaseOut, draft: DraftOut) -> list[Problem]:
    """The service's blockers in the page's words, files by name (the service names them by id);
    the findings are listed beside it, so protected names are one line however many there are."""
    problems: list[Problem] = []
    for blocker in draft.blockers:
        values = {"file": _filename(case, blocker.attachment_id)} if blocker.attachment_id else {}
        problem = Problem(BLOCKER_MESSAGES.get(blocker.code, blocker.detail), values)
        if problem not in problems:
            problems.append(problem)
    return problems


def decisions_for(attachment: AttachmentOut) -> list[str]:
    """What the file's type allows: audio, video and office files are only withheld."""
    if publication_renditions.redaction_kind(attachment.content_type) is None:
        return [Decision.withhold.value]
    return [d.value for d in Decision]


@dataclass
class DraftForm:
    public_title: str
    public_summary: str
    public_body: str
    actor_ids: set[str]
    decisions: dict[str, str]
    #: The incident date's public precision ("" for the case's own).
    precision: str = ""
    #: The referrals and replies to show publicly (``referrals.public``).
    referral_ids: set[str] = field(default_factory=set)
    reply_ids: set[str] = field(default_factory=set)

    @classmethod
    def from_draft(cls, case: CaseOut, draft: DraftOut) -> DraftForm:
        fresh = draft.updated_at is None
        return cls(
            # A first draft starts from what was filed; the reviewer edits it down.
            public_title=case.title if fresh else draft.public_title,
            public_summary=draft.public_summary,
            public_body=case.narrative if fresh else draft.public_body,
            actor_ids={str(a) for a in draft.public_actor_ids},
            decisions={str(d.attachment_id): d.decision.value for d in draft.attachments if d.decision},
            precision=draft.incident_date_precision or "",
            referral_ids={str(r) for r in draft.public_referral_ids},
            reply_ids={str(r) for r in draft.public_reply_ids},
        )

    @classmethod
    def parse(cls, case: CaseOut, fields: Mapping[str, list[str]]) -> DraftForm:
        def one(name: str) -> str:
            return (fields.get(name) or [""])[0]

        allowed = {str(a.id): decisions_for(a) for a in case.attachments}
        decisions = {}
        for attachment_id, choices in allowed.items():
            chosen = one(f"decision-{attachment_id}")
            if chosen in choices:
                decisions[attachment_id] = chosen
        return cls(
            public_title=one("public_title"),
            public_summary=one("public_summary"),
            public_body=one("public_body"),
            actor_ids=set(fields.get("public_actor", [])),
            decisions=decisions,
            precision=one("incident_date_precision")[:5],
            referral_ids=set(fields.get("public_referral", [])),
            reply_ids=set(fields.get("public_reply", [])),
        )

    def draft_in(self, case: CaseOut) -> DraftIn:
        return DraftIn(
            public_title=self.public_title,
            public_summary=self.public_summary,
            public_body=self.public_body,
            public_actor_ids=[
                a.actor_id
                for a in case.actors
                if str(a.actor_id) in self.actor_ids and not a.protect_identity
            ],
            attachments=[
                DecisionIn(attachment_id=uuid.UUID(k), decision=Decision(v))
                for k, v in self.decisions.items()
            ],
            incident_date_precision=self.precision or None,
            public_referral_ids=_ids(self.referral_ids),
            public_reply_ids=_ids(self.reply_ids),
        )


def _ids(values: set[str]) -> list[uuid.UUID]:
    """The ids a form sent (one that is not an id names nothing, and the service refuses it)."""
    ids = []
    for value in sorted(values):
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            ids.append(uuid.UUID(int=0))
    return ids


async def _draft_page(
    ctx: ServiceContext,
    principal: Principal,
    case: CaseOut,
    draft: DraftOut,
    form: DraftForm,
    status_code: int = 200,
    **context: Any,
) -> Template:
    context.setdefault("error", None)
    context.setdefault("saved", False)
    return page(
        "app/publication.html",
        status_code,
        case=case,
        draft=draft,
        form=form,
        missing=what_is_missing(case, draft),
        findings=[(where_found(case, f.location), f) for f in draft.leak_check.findings],
        reading=[
            (_filename(case, d.attachment_id), d)
            for d in draft.attachments
            if d.check_state in (CheckState.pending, CheckState.running)
        ],
        unreadable=[
            (_filename(case, d.attachment_id), _read_problem(d.check_problem))
            for d in draft.attachments
            if d.check_state == CheckState.failed
        ],
        renditions={str(d.attachment_id): d.rendition_id for d in draft.attachments},
        published_files=files_as_published(case, draft),
        choices={str(a.id): decisions_for(a) for a in case.attachments},
        public_actors=[a for a in case.actors if a.shared and not a.protect_identity],
        unlinked_actors=[a for a in case.actors if not a.shared and not a.protect_identity],
        # The case's own precision and every coarser one: the date may be published less precisely.
        precisions=list(PRECISIONS[: PRECISIONS.index(case.incident_date_precision) + 1]),
        case_referrals=await referrals.list_referrals(ctx, principal, case.id),
        case_replies=await replies.list_replies(ctx, principal, case.id),
        **context,
    )


# --- the redaction tool ---------------------------------------------------------------------------


@dataclass
class BoxRow:
    page: str = "1"
    x: str = ""
    y: str = ""
    width: str = ""
    height: str = ""
    error: str | None = None
    #: Ticked to take the box out of the next copy.
    remove: str = ""

    @classmethod
    def of(cls, box: BoxIn) -> BoxRow:
        """A box of a copy already made, in the form's percent."""

        def percent(fraction: float) -> str:
            return f"{fraction * 100:.4f}".rstrip("0").rstrip(".")

        return cls(str(box.page), percent(box.x), percent(box.y), percent(box.width), percent(box.height))

    @property
    def blank(self) -> bool:
        return not (self.x.strip() or self.y.strip() or self.width.strip() or self.height.strip())

    def numbers(self) -> tuple[int, float, float, float, float] | None:
        try:
            values = [float(v.strip().replace(",", ".")) for v in (self.x, self.y, self.width, self.height)]
            number = int(self.page)
        except ValueError:
            return None
        if not all(math.isfinite(v) for v in values):
            return None
        return (number, *values)  # type: ignore[return-value]


def parse_boxes(fields: Mapping[str, list[str]]) -> list[BoxRow]:
    rows: dict[int, BoxRow] = {}
    for name, values in fields.items():
        parts = name.split("-")
        if len(parts) != 3 or parts[0] != "box" or not parts[1].isdigit() or len(parts[1]) > 3:
            continue
        if parts[2] not in ("page", "x", "y", "width", "height", "remove"):
            continue
        setattr(rows.setdefault(int(parts[1]), BoxRow()), parts[2], (values[0] if values else "")[:20])
    return [rows[i] for i in sorted(rows) if not rows[i].blank and not rows[i].remove][:MAX_BOXES]


def check_boxes(rows: list[BoxRow], pages: int) -> list[BoxIn]:
    """The boxes as fractions; marks the rows that are not boxes on a page."""
    boxes = []
    for row in rows:
        numbers = row.numbers()
        if numbers is None:
            row.error = MESSAGES["box_number"]
            continue
        number, x, y, width, height = numbers
        if not 1 <= number <= pages:
            row.error = MESSAGES["box_page"]
        elif min(x, y) < 0 or width <= 0 or height <= 0 or x + width > 100.001 or y + height > 100.001:
            row.error = MESSAGES["box_range"]
        else:
            boxes.append(
                BoxIn(
                    page=number,
                    x=x / 100,
                    y=y / 100,
                    width=min(width, 100 - x) / 100,
                    height=min(height, 100 - y) / 100,
                )
            )
    return boxes


def _redact_page(
    case: CaseOut,
    attachment: AttachmentOut,
    pages: int,
    current: int,
    rows: list[BoxRow],
    status_code: int = 200,
    *,
    blank: int = BLANK_BOXES,
    **context: Any,
) -> Template:
    context.setdefault("rendition", None)
    context.setdefault("zoom", 1)
    context.setdefault("making", False)
    context.setdefault("error", None)
    context.setdefault("reopened", False)
    context.setdefault("found", None)
    context.setdefault("wanted", "")
    context.setdefault("protected_names", [a.name for a in case.actors if a.protect_identity])
    shown = [*rows, *(BoxRow(page=str(current)) for _ in range(blank))]
    on_page = []
    for row in rows:
        numbers = row.numbers()
        if numbers is not None and numbers[0] == current and row.error is None:
            on_page.append(numbers[1:])
    return page(
        "app/redact.html",
        status_code,
        case=case,
        attachment=attachment,
        pages=pages,
        current=current,
        rows=shown,
        on_page=on_page,
        **context,
    )


def _attachment_of(case: CaseOut, attachment_id: uuid.UUID) -> AttachmentOut:
    for attachment in case.attachments:
        if attachment.id == attachment_id:
            return attachment
    from integrity.errors import NotFound

    raise NotFound("no such file", code="file_not_found")


# --- the preview ----------------------------------------------------------------------------------


class PublicationPages(Controller):
    path = "/app/cases/{case_id:uuid}"
    include_in_schema = False
    guards = [requires_page_review_team]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    @get("/publication", operation_id="publication_draft_page")
    async def draft(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template:
        draft = await drafts.get_draft(ctx, principal, case_id)
        case = await cases_service.get_case(ctx, principal, case_id)
        return await _draft_page(ctx, principal, case, draft, DraftForm.from_draft(case, draft))

    @post("/publication", operation_id="publication_draft_submit", status_code=200)
    async def save(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template:
        case = await cases_service.get_case(ctx, principal, case_id)
        form = DraftForm.parse(case, form_fields((await request.form()).multi_items()))
        try:
            draft = await drafts.save_draft(ctx, principal, case_id, form.draft_in(case))
        except (Invalid, WrongState) as exc:
            draft = await drafts.get_draft(ctx, principal, case_id)
            return await _draft_page(ctx, principal, case, draft, form, exc.status_code, error=exc)
        return await _draft_page(ctx, principal, case, draft, DraftForm.from_draft(case, draft), saved=True)

    @get("/publication/preview", operation_id="publication_preview_page")
    async def preview(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        done: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> Template:
        return await preview_page(ctx, principal, case_id, done=done if done in DONE_MESSAGES else None)

    @post("/takedowns", operation_id="takedown_submit", status_code=303)
    async def ask_takedown(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        fields = form_fields((await request.form()).multi_items())

        def one(name: str) -> str:
            return (fields.get(name) or [""])[0].strip()[:64]

        if one("confirm") != "1":
            problem = Invalid("tick the box to confirm what this does", code="confirmation_missing")
            return await preview_page(ctx, principal, case_id, 422, action_error=problem)
        try:
            file = one("attachment_id")
            data = TakedownIn(
                revision=int(one("revision") or "0"),
                reason_category=TakedownReason(one("reason_category")),
                attachment_id=uuid.UUID(file) if file else None,
            )
        except ValueError:
            problem = Invalid("choose a revision, a reason and (if one file) the file", code="takedown_form")
            return await preview_page(ctx, principal, case_id, 422, action_error=problem)
        try:
            await takedowns.propose(ctx, principal, case_id, data)
        except (Invalid, WrongState, Forbidden) as exc:
            return await preview_page(ctx, principal, case_id, exc.status_code, action_error=exc)
        return see_other(f"/app/cases/{case_id}/publication/preview#takedowns")

    @post("/takedowns/{takedown_id:uuid}/confirm", operation_id="takedown_confirm_submit", status_code=303)
    async def confirm_takedown(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        takedown_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        confirmed = (await request.form()).get("confirm")
        if confirmed != "1":
            problem = Invalid("tick the box to confirm what this does", code="confirmation_missing")
            return await preview_page(ctx, principal, case_id, 422, action_error=problem)
        try:
            await takedowns.confirm(ctx, principal, case_id, takedown_id)
        except (Invalid, WrongState, Forbidden, NotFound) as exc:
            return await preview_page(ctx, principal, case_id, exc.status_code, action_error=exc)
        return see_other(f"/app/cases/{case_id}/publication/preview#takedowns")

    @get("/files/{attachment_id:uuid}/redact", operation_id="redaction_page")
    async def redact_form(
        self,
        case_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
        zoom: Annotated[int, QueryParameter(ge=1, le=3)] = 1,
    ) -> Template:
        pages = await revisions.page_count(ctx, principal, case_id, attachment_id)
        case = await cases_service.get_case(ctx, principal, case_id)
        current = min(page_number, pages)
        # Reopened, the tool starts from the boxes of the current copy: a new copy is made from the
        # whole set, so adding a box never brings back what an earlier one covered.
        made = await publication_renditions.current_boxes(principal, case_id, attachment_id)
        rows = [BoxRow.of(box) for box in made]
        return _redact_page(
            case,
            _attachment_of(case, attachment_id),
            pages,
            current,
            rows,
            reopened=bool(rows),
            making=await copies.being_made(attachment_id, "redacted"),
            zoom=zoom,
        )

    @post("/files/{attachment_id:uuid}/redact", operation_id="redaction_submit", status_code=200)
    async def redact(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template:
        pages = await revisions.page_count(ctx, principal, case_id, attachment_id)
        case = await cases_service.get_case(ctx, principal, case_id)
        attachment = _attachment_of(case, attachment_id)
        fields = form_fields((await request.form()).multi_items())
        rows = parse_boxes(fields)
        doing = (fields.get("do") or ["create"])[0]
        try:
            current = min(max(1, int((fields.get("view_page") or ["1"])[0])), pages)
        except ValueError:
            current = 1
        boxes = check_boxes(rows, pages)
        if doing == "more":
            return _redact_page(case, attachment, pages, current, rows, blank=BLANK_BOXES * 2)
        if doing == "view":
            return _redact_page(case, attachment, pages, current, rows)
        if doing == "find":
            wanted = (fields.get("find_name") or [""])[0]
            try:
                found = await name_search.find_name(ctx, principal, case_id, attachment_id, wanted)
            except (Invalid, WrongState) as exc:
                return _redact_page(case, attachment, pages, current, rows, exc.status_code, error=exc)
            known = {row.numbers() for row in rows}
            proposed = [BoxRow.of(box) for box in found.boxes]
            added = [row for row in proposed if row.numbers() not in known]
            if added:
                current = int(added[0].page)
            return _redact_page(
                case,
                attachment,
                pages,
                current,
                [*rows, *added],
                found=found,
                found_added=len(added),
                wanted=wanted,
            )
        if any(row.error for row in rows):
            return _redact_page(case, attachment, pages, current, rows, 422)
        if not boxes:
            return _redact_page(case, attachment, pages, current, rows, 422, error=MESSAGES["no_boxes"])
        try:
            made = await copies.create_redaction(ctx, principal, case_id, attachment_id, boxes)
        except (Invalid, WrongState) as exc:
            return _redact_page(case, attachment, pages, current, rows, exc.status_code, error=exc)
        if isinstance(made, CopyPendingOut):
            return _redact_page(case, attachment, pages, current, rows, 202, making=True)
        return _redact_page(case, attachment, pages, current, rows, 201, rendition=made)
