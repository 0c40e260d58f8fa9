"""The admin's pages: members (role, deactivation) and invitations (create, list, revoke)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from integrity.accounts import service
from integrity.accounts.tables import Role
from integrity.errors import Invalid, NotFound, WrongState
from integrity.security.guards import Principal
from integrity.settings import Settings
from integrity.web.pages import (
    PAGE_EXCEPTION_HANDLERS,
    ensure_csrf_state,
    page,
    requires_page_admin,
    see_other,
)

ROLES = [r.value for r in Role]
MEMBERS_PATH = "/app/admin/members"
INVITATIONS_PATH = "/app/admin/invitations"


async def _members_page(principal: Principal, status: int = 200, error: str | None = None) -> Template:
    members = await service.list_members()
    return page("admin/members.html", status, members=members, roles=ROLES, me=principal.id, error=error)


async def _invitations_page(status: int = 200, **context: Any) -> Template:
    context.setdefault("created", None)
    context.setdefault("values", {"email": "", "role": Role.member.value})
    context.setdefault("errors", {})
    invitations = await service.list_invitations()
    return page("admin/invitations.html", status, invitations=invitations, roles=ROLES, **context)


class AdminPages(Controller):
    path = "/app/admin"
    include_in_schema = False
    guards = [requires_page_admin]
    exception_handlers = PAGE_EXCEPTION_HANDLERS
    before_request = ensure_csrf_state

    @get("/members", operation_id="members_page")
    async def members(self, principal: NamedDependency[Principal]) -> Template:
        return await _members_page(principal)

    @post("/members/{member_id:uuid}", operation_id="member_update_submit", status_code=303)
    async def update_member(
        self,
        request: Request[Any, Any, Any],
        member_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
    ) -> Template | Redirect:
        form = await request.form()
        role = form.get("role")
        active = form.get("is_active")
        try:
            await service.update_member(
                principal,
                member_id,
                role=Role(role) if role in ROLES else None,
                is_active={"true": True, "false": False}.get(active) if isinstance(active, str) else None,
            )
        except WrongState as exc:
            return await _members_page(principal, exc.status_code, exc.detail)
        return see_other(MEMBERS_PATH)

    @get("/invitations", operation_id="invitations_page")
    async def invitations(self) -> Template:
        return await _invitations_page()

    @post("/invitations", operation_id="invitation_create_submit", status_code=200)
    async def invite(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        settings: NamedDependency[Settings],
    ) -> Template:
        form = await request.form()
        email = form.get("email") if isinstance(form.get("email"), str) else ""
        role = form.get("role") if form.get("role") in ROLES else Role.member.value
        values = {"email": str(email)[:320], "role": role}
        try:
            invitation, token = await service.invite(
                email=values["email"], role=Role(role), invited_by=principal.id, accounts=settings.accounts
            )
        except (Invalid, WrongState) as exc:
            return await _invitations_page(exc.status_code, values=values, errors={"email": exc.detail})
        created = {
            "email": invitation.email,
            "role": invitation.role,
            "expires_at": invitation.expires_at,
            "token": token,
            "link": f"{settings.base_url}/join/{token}",
        }
        return await _invitations_page(201, created=created)

    @post(
        "/invitations/{invitation_id:uuid}/revoke", operation_id="invitation_revoke_submit", status_code=303
    )
    async def revoke(self, invitation_id: FromPath[uuid.UUID]) -> Template | Redirect:
        try:
            await service.revoke_invitation(invitation_id)
        except NotFound as exc:
            return await _invitations_page(404, revoke_error=exc.detail)
        return see_other(INVITATIONS_PATH)
