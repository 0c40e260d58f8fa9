"""The members' case pages under /app/: my cases, filing with evidence, the case, editing a draft,
adding and removing files, submission with a confirmation step, and the signed receipt.

Handlers call the same service functions as the JSON API (`integrity.cases.service`). Uploads are
streamed exactly as the API streams them: the form's text fields come first (the CSRF token first of
all), then the files, which go part by part from the request into the vault through
`iter_form_parts`; nothing is spooled.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from integrity.cases import autosave
from integrity.cases import evidence as cases_evidence
from integrity.cases import service as cases_service
from integrity.cases import submission as cases_submission
from integrity.cases.filetypes import ACCEPT
from integrity.cases.forms import (
    MESSAGES,
    CaseForm,
    category_codes,
    field_of,
    form_fields,
    municipality_groups,
    parse_case_form,
)
from integrity.cases.schemas import CaseOut, CaseUpdate, ReceiptOut
from integrity.cases.tables import ActorKind, ActorRole, CaseStatus, CommentKind, DatePrecision
from integrity.context import ServiceContext, provide_service_context
from integrity.errors import (
    BadRequest,
    IntegrityError,
    Invalid,
    NotFound,
    TooLarge,
    UnsupportedType,
    WrongState,
)
from integrity.http.multipart import FormPart, drain, then
from integrity.http.uploads import form_parts
from integrity.review import service as review
from integrity.review.case_page import case_page
from integrity.security.guards import Principal
from integrity.web.i18n import language_of_scope
from integrity.web.labels import DONE_MESSAGES
from integrity.web.pages import (
    page,
    requires_page_login,
    see_other,
)

#: Text fields of the case form; the narrative may be long (100 000 characters of UTF-8).
MAX_FIELD_BYTES = 512 * 1024
PAGE_SIZE = 20


#: An answer to a request for information, in UTF-8 bytes.
MAX_ANSWER_BYTES = 80_000


def _form_parts(request: Request[Any, Any, Any], ctx: ServiceContext) -> AsyncGenerator[FormPart, None]:
    return form_parts(request, max_part_bytes=ctx.settings.max_upload_bytes, max_field_bytes=MAX_FIELD_BYTES)


#: The parts of the case form, each with its own "save this part" button (the anchor to come back to).
FORM_PARTS = ("part-what", "part-when", "part-categories", "part-actors")


def _form_page(
    request: Request[Any, Any, Any],
    form: CaseForm,
    *,
    case: CaseOut | None,
    status: int = 200,
    saved: autosave.SavedForm | None = None,
    just_saved: bool = False,
) -> Template:
    lang = language_of_scope(request.scope)
    form_path = f"/app/cases/{case.id}/edit" if case is not None else "/app/cases/new"
    return page(
        "app/case_form.html",
        status,
        form=form,
        case=case,
        autosave_url=f"{form_path}/autosave",
        saved_at=saved.saved_at if saved is not None else None,
        just_saved=just_saved,
        form_parts=FORM_PARTS,
        municipality_groups=municipality_groups(lang),
        category_codes=category_codes(),
        precisions=[p.value for p in DatePrecision],
        actor_kinds=[k.value for k in ActorKind],
        actor_roles=[r.value for r in ActorRole],
        upload_accept=ACCEPT,
    )


def _restored_form(saved: autosave.SavedForm) -> CaseForm:
    """The form as it was saved: what was typed, without judging it yet (it was not sent)."""
    form, _ = parse_case_form(form_fields(saved.fields))
    form.errors.clear()
    return form


async def _autosave(
    request: Request[Any, Any, Any], principal: Principal, ctx: ServiceContext, case_id: uuid.UUID | None
) -> Response[dict[str, str]] | Redirect:
    """The page's script saves as the member writes and is answered in JSON; a "save this part"
    button (no script) comes back to the form, at the part it was pressed in."""
    form = await request.form()
    saved_at = await autosave.save(
        ctx,
        principal,
        case_id,
        [(name, value) for name, value in form.multi_items() if isinstance(value, str)],
    )
    if "application/json" in (request.headers.get("accept") or ""):
        return Response({"saved_at": saved_at.isoformat()}, status_code=200)
    part = form.get("save_part")
    anchor = f"#{part}" if part in FORM_PARTS else ""
    form_path = f"/app/cases/{case_id}/edit" if case_id is not None else "/app/cases/new"
    return see_other(f"{form_path}?saved=1{anchor}")


class CasePages(Controller):
    path = "/app"
    include_in_schema = False
    guards = [requires_page_login]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    @get("/", operation_id="my_cases_page", name="my_cases")
    async def my_cases(
        self,
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        status: Annotated[str | None, QueryParameter(max_length=20)] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=10_000)] = 1,
    ) -> Template:
        wanted = CaseStatus(status) if status is not None and status in CaseStatus.__members__ else None
        found = await cases_service.list_cases(
            ctx, principal, status=wanted, page=page_number, page_size=PAGE_SIZE
        )
        pages = max(1, -(-found.total // PAGE_SIZE))
        return page(
            "app/cases.html",
            cases=found.items,
            total=found.total,
            page_number=page_number,
            pages=pages,
            status=wanted.value if wanted else "",
            statuses=[s.value for s in CaseStatus],
        )

    @get("/cases/new", operation_id="new_case_page")
    async def new_case_form(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        saved_now: Annotated[bool, QueryParameter(name="saved")] = False,
    ) -> Template:
        saved = await autosave.restore(ctx, principal, None)
        form = _restored_form(saved) if saved is not None else CaseForm()
        return _form_page(request, form, case=None, saved=saved, just_saved=saved_now and saved is not None)

    @post("/cases/new/autosave", operation_id="new_case_autosave", status_code=200)
    async def autosave_new(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Response[dict[str, str]] | Redirect:
        return await _autosave(request, principal, ctx, None)

    @post("/cases/new/autosave/discard", operation_id="new_case_autosave_discard", status_code=303)
    async def discard_new(self, principal: NamedDependency[Principal]) -> Redirect:
        await autosave.discard(principal, None)
        return see_other("/app/cases/new")

    @post("/cases/new", operation_id="new_case_submit", status_code=303, request_max_body_size=None)
    async def file_case(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        """Text fields first, then the files: the case is created once the last text field has
        arrived, and the files stream straight into it."""
        async with aclosing(_form_parts(request, ctx)) as parts:
            fields: list[tuple[str, str]] = []
            first_file: FormPart | None = None
            async for part in parts:
                if part.filename is None:
                    fields.append((part.name, await part.read_text(MAX_FIELD_BYTES)))
                    continue
                first_file = part
                break
            form, data = parse_case_form(form_fields(fields))
            chose_files = first_file is not None and bool(first_file.filename)
            if data is None:
                if first_file is not None:
                    await drain(then(first_file, parts))
                if chose_files:
                    form.errors.setdefault("file", MESSAGES["files_lost"])
                return _form_page(request, form, case=None, status=422)
            try:
                case = await cases_service.create_case(ctx, principal, data)
            except Invalid as exc:
                if first_file is not None:
                    await drain(then(first_file, parts))
                form.errors[field_of(exc)] = exc
                if chose_files:
                    form.errors.setdefault("file", MESSAGES["files_lost"])
                return _form_page(request, form, case=None, status=422)
            # Filed: what was saved while writing has served its purpose.
            await autosave.discard(principal, None)
            if not chose_files or first_file is None:
                if first_file is not None:
                    await drain(then(first_file, parts))
                return see_other(f"/app/cases/{case.id}")
            try:
                await cases_evidence.add_attachments(ctx, principal, case.id, then(first_file, parts))
            except (Invalid, UnsupportedType, TooLarge, BadRequest) as exc:
                # The case is saved as a draft; the files were refused all together.
                saved = await cases_service.get_case(ctx, principal, case.id)
                return await case_page(principal, saved, exc.status_code, upload_error=exc, just_filed=True)
        return see_other(f"/app/cases/{case.id}")

    @get("/cases/{case_id:uuid}", operation_id="case_page")
    async def view(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        done: Annotated[str | None, QueryParameter(max_length=40)] = None,
    ) -> Template:
        case = await cases_service.get_case(ctx, principal, case_id)
        return await case_page(principal, case, done=done if done in DONE_MESSAGES else None)

    @get("/cases/{case_id:uuid}/edit", operation_id="edit_case_page")
    async def edit_form(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        saved_now: Annotated[bool, QueryParameter(name="saved")] = False,
    ) -> Template | Redirect:
        case = await cases_service.get_case(ctx, principal, case_id)
        if "edit" not in case.actions:
            return see_other(f"/app/cases/{case.id}")
        saved = await autosave.restore(ctx, principal, case_id)
        form = _restored_form(saved) if saved is not None else CaseForm.from_case(case)
        return _form_page(request, form, case=case, saved=saved, just_saved=saved_now and saved is not None)

    @post("/cases/{case_id:uuid}/edit/autosave", operation_id="edit_case_autosave", status_code=200)
    async def autosave_edit(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Response[dict[str, str]] | Redirect:
        return await _autosave(request, principal, ctx, case_id)

    @post(
        "/cases/{case_id:uuid}/edit/autosave/discard",
        operation_id="edit_case_autosave_discard",
        status_code=303,
    )
    async def discard_edit(
        self, case_id: FromPath[uuid.UUID], principal: NamedDependency[Principal]
    ) -> Redirect:
        await autosave.discard(principal, case_id)
        return see_other(f"/app/cases/{case_id}/edit")

    @post("/cases/{case_id:uuid}/edit", operation_id="edit_case_submit", status_code=303)
    async def edit(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        submitted = await request.form()
        form, data = parse_case_form(form_fields(submitted.multi_items()))
        case = await cases_service.get_case(ctx, principal, case_id)
        if data is not None:
            update = CaseUpdate(
                title=data.title,
                narrative=data.narrative,
                incident_date=data.incident_date,
                incident_date_precision=data.incident_date_precision,
                municipality=data.municipality,
                categories=data.categories,
                location_detail=data.location_detail or "",
                actors=data.actors,
            )
            try:
                await cases_service.update_case(ctx, principal, case_id, update)
            except Invalid as exc:
                form.errors[field_of(exc)] = exc
            else:
                await autosave.discard(principal, case_id)
                return see_other(f"/app/cases/{case_id}")
        return _form_page(request, form, case=case, status=422)

    @post(
        "/cases/{case_id:uuid}/files",
        operation_id="add_files_submit",
        status_code=303,
        request_max_body_size=None,
    )
    async def add_files(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        async with aclosing(_form_parts(request, ctx)) as parts:
            try:
                await cases_evidence.add_attachments(ctx, principal, case_id, parts)
            except (Invalid, UnsupportedType, TooLarge, BadRequest) as exc:
                case = await cases_service.get_case(ctx, principal, case_id)
                problem = exc if not isinstance(exc, Invalid) else MESSAGES["no_files"]
                return await case_page(principal, case, exc.status_code, upload_error=problem)
        return see_other(f"/app/cases/{case_id}#files")

    @post(
        "/cases/{case_id:uuid}/answer",
        operation_id="answer_submit",
        status_code=303,
        request_max_body_size=None,
    )
    async def answer(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        """The member's answer to a request for information: the text and any files, sent to the
        review team in one step, with a signed receipt. An empty answer is refused before any file
        is stored; a refused file stores nothing and keeps the text."""
        answer = ""
        first_file: FormPart | None = None

        async def refused(problem: IntegrityError | str, status: int) -> Template:
            case = await cases_service.get_case(ctx, principal, case_id)
            # A browser cannot keep chosen files across a refusal: the page says to choose them again.
            lost = first_file is not None and bool(first_file.filename)
            return await case_page(
                principal,
                case,
                status,
                answer_error=problem,
                values={"answer": answer},
                answer_files_lost=lost,
            )

        async with aclosing(_form_parts(request, ctx)) as parts:
            async for part in parts:
                if part.filename is None:
                    if part.name == "answer":
                        answer = await part.read_text(MAX_ANSWER_BYTES)
                    else:
                        await part.skip()
                    continue
                first_file = part
                break
            if not answer.strip():
                if first_file is not None:
                    await first_file.skip()
                await drain(parts)
                return await refused(MESSAGES["answer_empty"], 422)
            if first_file is not None:
                try:
                    await cases_evidence.add_attachments(ctx, principal, case_id, then(first_file, parts))
                except Invalid as exc:
                    if exc.code != "files_missing":  # no file chosen: an answer alone is fine
                        return await refused(exc, exc.status_code)
                except (UnsupportedType, TooLarge, BadRequest, WrongState) as exc:
                    return await refused(exc, exc.status_code)
        try:
            await review.add_comment(ctx, principal, case_id, answer, CommentKind.answer)
            await review.transition(ctx, principal, case_id, "provide_info", None)
        except (Invalid, WrongState) as exc:
            return await refused(exc, exc.status_code)
        return see_other(f"/app/cases/{case_id}/receipt?answered=1#supplements")

    @post(
        "/cases/{case_id:uuid}/files/{attachment_id:uuid}/delete",
        operation_id="delete_file_submit",
        status_code=303,
    )
    async def delete_file(
        self,
        case_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Redirect:
        await cases_evidence.delete_attachment(ctx, principal, case_id, attachment_id)
        return see_other(f"/app/cases/{case_id}#files")

    @get("/cases/{case_id:uuid}/submit", operation_id="submit_case_page")
    async def confirm_submission(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        case = await cases_service.get_case(ctx, principal, case_id)
        if "submit" not in case.actions:
            return see_other(f"/app/cases/{case.id}")
        return page("app/submit.html", case=case)

    @post("/cases/{case_id:uuid}/submit", operation_id="submit_case_submit", status_code=303)
    async def submit(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Redirect:
        await cases_submission.submit_case(ctx, principal, case_id)
        return see_other(f"/app/cases/{case_id}/receipt")

    @get("/cases/{case_id:uuid}/receipt", operation_id="receipt_page")
    async def receipt(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        answered: Annotated[str | None, QueryParameter(max_length=1)] = None,
    ) -> Template:
        receipt, *later = await cases_submission.list_receipts(principal, case_id)
        case = await cases_service.get_case(ctx, principal, case_id)
        payload = json.loads(receipt.payload)
        supplements = [
            (number, json.loads(r.payload), _receipt_json(r)) for number, r in enumerate(later, start=1)
        ]
        return page(
            "app/receipt.html",
            case=case,
            receipt=receipt,
            payload=payload,
            submitted_at=datetime.datetime.fromisoformat(payload["submitted_at"]),
            # The receipt names files by their hashes only; the member's own page adds the names.
            names={attachment.sha256: attachment.filename for attachment in case.attachments},
            # One signed receipt for each answer to a request for information.
            supplements=[
                (number, body, text, datetime.datetime.fromisoformat(body["answered_at"]))
                for number, body, text in supplements
            ],
            answered=answered == "1",
            receipt_json=_receipt_json(receipt),
            base_url=ctx.settings.base_url,
        )

    @get(
        "/cases/{case_id:uuid}/receipts/{number:int}",
        operation_id="supplement_receipt_download",
        media_type="application/json",
    )
    async def supplement_file(
        self, case_id: FromPath[uuid.UUID], number: FromPath[int], principal: NamedDependency[Principal]
    ) -> Response[str]:
        """The signed receipt of the member's ``number``-th answer to a request for information."""
        _, *later = await cases_submission.list_receipts(principal, case_id)
        if not 1 <= number <= len(later):
            raise NotFound("no such receipt", code="receipt_not_found")
        return _supplement_download(later[number - 1], number)

    @get("/cases/{case_id:uuid}/receipt.json", operation_id="receipt_download", media_type="application/json")
    async def receipt_file(
        self, case_id: FromPath[uuid.UUID], principal: NamedDependency[Principal]
    ) -> Response[str]:
        receipt = await cases_submission.get_receipt(principal, case_id)
        reference = json.loads(receipt.payload)["reference"]
        return Response(
            _receipt_json(receipt),
            media_type="application/json",
            headers={"content-disposition": f'attachment; filename="receipt-{reference}.json"'},
        )


def _supplement_download(receipt: ReceiptOut, number: int) -> Response[str]:
    reference = json.loads(receipt.payload)["reference"]
    return Response(
        _receipt_json(receipt),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="receipt-{reference}-answer-{number}.json"'},
    )


def _receipt_json(receipt: ReceiptOut) -> str:
    return json.dumps(
        {"payload": receipt.payload, "signature": receipt.signature, "key_id": receipt.key_id},
        indent=2,
        ensure_ascii=False,
    )
