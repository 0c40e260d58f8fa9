"""The editors' page of a case's court-ready exports (``/app/cases/{id}/exports``): ask for a
package for a recipient's age key, approve another editor's request, and download an approved
package. Plain forms: it works without JavaScript."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from integrity.cases import service as cases_service
from integrity.context import ServiceContext, provide_service_context
from integrity.errors import IntegrityError
from integrity.preservation import exports, holds
from integrity.security.guards import Principal
from integrity.web.labels import N_
from integrity.web.pages import page, requires_page_review_team, see_other

DONE = {
    "requested": N_(
        "The export is asked for: another editor approves it, then either of you can download it."
    ),
    "approved": N_("The export is approved: the package can be downloaded."),
}


class ExportPages(Controller):
    path = "/app/cases/{case_id:uuid}/exports"
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
        recipient: str = "",
    ) -> Template:
        found = await exports.list_exports(principal, case_id)
        return page(
            "app/exports.html",
            status_code,
            case=await cases_service.get_case(ctx, principal, case_id),
            exports=found,
            done=DONE.get(done or ""),
            error=error,
            recipient=recipient,
        )

    @get("/", operation_id="exports_page")
    async def view(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        done: Annotated[str | None, QueryParameter(max_length=20)] = None,
    ) -> Template:
        return await self._page(ctx, principal, case_id, done=done)

    @post("/", operation_id="export_request_submit", status_code=303)
    async def request_export(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        form = await request.form()
        recipient = form.get("recipient")
        recipient = recipient[:200] if isinstance(recipient, str) else ""
        try:
            made = await exports.request_export(ctx, principal, case_id, recipient)
        except IntegrityError as exc:
            return await self._page(ctx, principal, case_id, exc.status_code, error=exc, recipient=recipient)
        return see_other(f"/app/cases/{case_id}/exports?done=requested#export-{made.id}")

    @post("/{export_id:uuid}/approve", operation_id="export_approve_submit", status_code=303)
    async def approve(
        self,
        case_id: FromPath[uuid.UUID],
        export_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        try:
            await exports.approve_export(ctx, principal, case_id, export_id)
        except IntegrityError as exc:
            return await self._page(ctx, principal, case_id, exc.status_code, error=exc)
        return see_other(f"/app/cases/{case_id}/exports?done=approved#export-{export_id}")


HOLD_DONE = {
    "requested": N_("The hold is asked for: it holds once another editor confirms it."),
    "confirmed": N_("Confirmed."),
    "release": N_("The release is asked for: the hold stands until another editor confirms it."),
}


class HoldPages(Controller):
    """The editors' page of a case's legal holds (``/app/cases/{id}/holds``)."""

    path = "/app/cases/{case_id:uuid}/holds"
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
        reason: str = "",
    ) -> Template:
        found = await holds.list_holds(ctx, principal, case_id)
        return page(
            "app/holds.html",
            status_code,
            case=await cases_service.get_case(ctx, principal, case_id),
            holds=found,
            done=HOLD_DONE.get(done or ""),
            error=error,
            reason=reason,
        )

    @get("/", operation_id="holds_page")
    async def view(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        done: Annotated[str | None, QueryParameter(max_length=20)] = None,
    ) -> Template:
        return await self._page(ctx, principal, case_id, done=done)

    @post("/", operation_id="hold_request_submit", status_code=303)
    async def request_hold(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        form = await request.form()
        reason = form.get("reason")
        reason = reason[:4000] if isinstance(reason, str) else ""
        try:
            made = await holds.request_hold(ctx, principal, case_id, reason)
        except IntegrityError as exc:
            return await self._page(ctx, principal, case_id, exc.status_code, error=exc, reason=reason)
        return see_other(f"/app/cases/{case_id}/holds?done=requested#hold-{made.id}")

    async def _step(
        self, ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, step: Any, done: str
    ) -> Template | Redirect:
        try:
            made = await step()
        except IntegrityError as exc:
            return await self._page(ctx, principal, case_id, exc.status_code, error=exc)
        return see_other(f"/app/cases/{case_id}/holds?done={done}#hold-{made.id}")

    @post("/{hold_id:uuid}/confirm", operation_id="hold_confirm_submit", status_code=303)
    async def confirm(
        self,
        case_id: FromPath[uuid.UUID],
        hold_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        return await self._step(
            ctx, principal, case_id, lambda: holds.confirm(ctx, principal, case_id, hold_id), "confirmed"
        )

    @post("/{hold_id:uuid}/release", operation_id="hold_release_submit", status_code=303)
    async def release(
        self,
        case_id: FromPath[uuid.UUID],
        hold_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Template | Redirect:
        return await self._step(
            ctx, principal, case_id, lambda: holds.release(ctx, principal, case_id, hold_id), "release"
        )
