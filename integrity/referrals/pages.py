"""The review team's page of a case's referrals (``/app/cases/{id}/referrals``): the list with each
referral's deadline and status, and the forms that record a referral, an answer, an appeal and the
closing. Plain forms: everything works without JavaScript."""

from __future__ import annotations

import datetime
import uuid
from contextlib import aclosing
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from integrity.cases import service as cases_service
from integrity.cases.filetypes import ACCEPT
from integrity.context import ServiceContext, provide_service_context
from integrity.errors import IntegrityError, Invalid
from integrity.http.multipart import FormPart, drain, then
from integrity.http.uploads import form_parts
from integrity.reference import referral_kinds
from integrity.referrals import deadlines, documents
from integrity.referrals import service as referrals
from integrity.referrals.schemas import AnswerIn, CloseIn, InstitutionIn, ReferralIn
from integrity.referrals.tables import Channel, DocumentRole, MadeBy, Outcome
from integrity.security.guards import Principal
from integrity.web.labels import N_
from integrity.web.pages import page, requires_page_review_team, see_other

#: What the page says after each step.
DONE = {
    "recorded": N_("The referral is recorded; its deadline is computed from its kind."),
    "answered": N_("The answer is recorded."),
    "appealed": N_("The appeal is recorded, with its own deadline."),
    "closed": N_("The referral is closed."),
    "documents": N_("The documents are added to the referral and to the case's evidence."),
}


def _text(form: Any, name: str, limit: int = 20_000) -> str:
    value = form.get(name)
    return value[:limit].strip() if isinstance(value, str) else ""


def _day(value: str, field: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise Invalid("give a date", code="date_missing", field=field) from None


def _referral_in(form: Any) -> ReferralIn:
    """A referral (or an appeal) as the form gives it."""
    try:
        channel = Channel(_text(form, "channel"))
        made_by = MadeBy(_text(form, "made_by") or MadeBy.network.value)
    except ValueError:
        raise Invalid("choose how it was sent", code="channel_missing", field="channel") from None
    return ReferralIn(
        kind=_text(form, "kind", 40),
        sent_at=_day(_text(form, "sent_at", 10), "sent_at"),
        channel=channel,
        # The page names the institution; one on record is found by its registry number or name.
        institution=InstitutionIn(
            name=_text(form, "institution_name", 400),
            registry_number=_text(form, "registry_number", 40) or None,
        ),
        reference_number=_text(form, "reference_number", 200) or None,
        made_by=made_by,
    )


def _outcome(form: Any) -> Outcome:
    try:
        return Outcome(_text(form, "outcome", 40))
    except ValueError:
        raise Invalid("choose the outcome", code="outcome_missing", field="outcome") from None


class ReferralPages(Controller):
    path = "/app/cases/{case_id:uuid}/referrals"
    include_in_schema = False
    guards = [requires_page_review_team]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    async def _page(
        self,
        ctx: ServiceContext,
        principal: Principal,
        case_id: uuid.UUID,
        status_code: int = 200,
        *,
        done: str | None = None,
        error: IntegrityError | None = None,
        failed_form: str | None = None,
        values: dict[str, str] | None = None,
    ) -> Template:
        case = await cases_service.get_case(ctx, principal, case_id)
        return page(
            "app/referrals.html",
            status_code,
            case=case,
            referrals=await referrals.list_referrals(ctx, principal, case_id),
            kinds=referrals.kinds(ctx.settings),
            kind_codes=[kind.code for kind in referral_kinds()],
            document_roles=[r.value for r in DocumentRole if r != DocumentRole.answer],
            upload_accept=ACCEPT,
            channels=[c.value for c in Channel],
            outcomes=[o.value for o in Outcome],
            made_by=[m.value for m in MadeBy],
            today=deadlines.today().isoformat(),
            done=DONE.get(done or ""),
            error=error,
            failed_form=failed_form,
            values=values or {},
        )

    @get("/", operation_id="referrals_page")
    async def view(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        done: Annotated[str | None, QueryParameter(max_length=20)] = None,
    ) -> Template:
        return await self._page(ctx, principal, case_id, done=done)

    async def _act(
        self,
        request: Request[Any, Any, Any],
        ctx: ServiceContext,
        principal: Principal,
        case_id: uuid.UUID,
        form_id: str,
        step: Any,
        done: str,
    ) -> Template | Redirect:
        form = await request.form()
        try:
            made = await step(form)
        except (IntegrityError, msgspec.ValidationError) as exc:
            problem = exc if isinstance(exc, IntegrityError) else Invalid(str(exc), code="invalid")
            values = {k: v for k, v in form.items() if isinstance(v, str) and k != "_csrf_token"}
            return await self._page(
                ctx,
                principal,
                case_id,
                problem.status_code,
                error=problem,
                failed_form=form_id,
                values=values,
            )
        return see_other(f"/app/cases/{case_id}/referrals?done={done}#referral-{made.id}")

    @post("/", operation_id="referral_record_submit", status_code=303)
    async def record(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        async def step(form: Any) -> Any:
            return await referrals.record_referral(ctx, principal, case_id, _referral_in(form))

        return await self._act(request, ctx, principal, case_id, "new", step, "recorded")

    @post("/{referral_id:uuid}/answers", operation_id="referral_answer_submit", status_code=303)
    async def answer(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        referral_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        async def step(form: Any) -> Any:
            data = AnswerIn(
                received_at=_day(_text(form, "received_at", 10), "received_at"),
                outcome=_outcome(form),
                text=_text(form, "text") or None,
            )
            return await referrals.record_answer(ctx, principal, case_id, referral_id, data)

        return await self._act(request, ctx, principal, case_id, f"answer-{referral_id}", step, "answered")

    @post("/{referral_id:uuid}/appeals", operation_id="referral_appeal_submit", status_code=303)
    async def appeal(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        referral_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        async def step(form: Any) -> Any:
            return await referrals.record_referral(
                ctx, principal, case_id, _referral_in(form), appeal_of=referral_id
            )

        return await self._act(request, ctx, principal, case_id, f"appeal-{referral_id}", step, "appealed")

    @post(
        "/{referral_id:uuid}/files",
        operation_id="referral_files_submit",
        status_code=303,
        request_max_body_size=None,
    )
    async def files(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        referral_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        """The form's choice of what the documents are comes first, then the files, which stream
        into the vault as the API's do."""
        parts = form_parts(request, max_part_bytes=ctx.settings.max_upload_bytes, max_field_bytes=1024)
        async with aclosing(parts):
            fields: dict[str, str] = {}
            first_file: FormPart | None = None
            async for part in parts:
                if part.filename is None:
                    fields[part.name] = await part.read_text(1024)
                    continue
                first_file = part
                break
            # "answer:ID" is a document of that answer; otherwise the role itself.
            role, _, answer = fields.get("role", "").partition(":")
            try:
                answer_id = uuid.UUID(answer) if answer else None
            except ValueError:
                answer_id = None
                role = "?"
            try:
                if first_file is None:
                    raise Invalid("choose one or more files", code="files_missing", field="file")
                await documents.add_documents(
                    ctx,
                    principal,
                    case_id,
                    referral_id,
                    then(first_file, parts),
                    role=role,
                    answer_id=answer_id,
                )
            except IntegrityError as exc:
                if first_file is not None:
                    await drain(then(first_file, parts))
                return await self._page(
                    ctx,
                    principal,
                    case_id,
                    exc.status_code,
                    error=exc,
                    failed_form=f"files-{referral_id}",
                    values={"role": fields.get("role", "")},
                )
        return see_other(f"/app/cases/{case_id}/referrals?done=documents#referral-{referral_id}")

    @post("/{referral_id:uuid}/close", operation_id="referral_close_submit", status_code=303)
    async def close(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        referral_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        async def step(form: Any) -> Any:
            return await referrals.close_referral(
                ctx, principal, case_id, referral_id, CloseIn(outcome=_outcome(form))
            )

        return await self._act(request, ctx, principal, case_id, f"close-{referral_id}", step, "closed")
