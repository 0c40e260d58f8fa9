"""The notifications page (`/app/notifications`): what needs the member's action, newest first, each
leading to its case; and the unread count every page shows in its header."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from integrity.notifications import service
from integrity.notifications.tables import NotificationKind
from integrity.security.guards import Principal, principal_of
from integrity.web.labels import N_
from integrity.web.pages import page, requires_page_login, see_other

__all__ = ["UNREAD_SCOPE_KEY", "NotificationPages", "count_unread"]

#: Where a page's unread count is kept for its header (``integrity.web.i18n.unread_count``).
UNREAD_SCOPE_KEY = "integrity_unread"

#: What each notification says on the page (the e-mail says the same in English).
MESSAGES = {
    NotificationKind.new_submission: N_("New submission to triage: %(reference)s"),
    NotificationKind.info_requested: N_("The review team asks for more information: %(reference)s"),
    NotificationKind.info_provided: N_("The submitter answered: %(reference)s"),
    NotificationKind.ready_to_approve: N_("Verified and ready for approval: %(reference)s"),
    NotificationKind.assigned: N_("A case was assigned to you: %(reference)s"),
    NotificationKind.approval_voided: N_(
        "The draft changed after you approved it; it needs approving again: %(reference)s"
    ),
    NotificationKind.proposal_voided: N_(
        "The draft changed after you proposed the correction; propose it again: %(reference)s"
    ),
    NotificationKind.referral_due_soon: N_(
        "An institution's answer to a referral is due soon: %(reference)s"
    ),
    NotificationKind.referral_overdue: N_("An institution's answer to a referral is overdue: %(reference)s"),
    NotificationKind.fixity_failed: N_(
        "Stored files failed the fixity check, starting with those of %(reference)s: "
        "run integrity vault verify"
    ),
    NotificationKind.hold_confirmation_needed: N_(
        "A legal hold or a shredding of %(reference)s waits for a second editor"
    ),
    NotificationKind.export_approval_needed: N_(
        "An export of %(reference)s waits for a second editor's approval"
    ),
    NotificationKind.erasure_requested: N_("A member asked to be forgotten: two admins confirm it"),
}

PATH = "/app/notifications"


async def count_unread(request: Request[Any, Any, Any]) -> None:
    """Before every page: the logged-in member's unread notifications, for the header."""
    principal = principal_of(request)
    if principal is not None:
        request.scope[UNREAD_SCOPE_KEY] = await service.unread_count(principal)  # type: ignore[literal-required]


class NotificationPages(Controller):
    path = PATH
    include_in_schema = False
    guards = [requires_page_login]

    @get("/", operation_id="notifications_page")
    async def list_page(self, principal: NamedDependency[Principal]) -> Template:
        found = await service.list_notifications(principal)
        return page(
            "app/notifications.html", notifications=found.items, unread=found.unread, messages=MESSAGES
        )

    @post("/{notification_id:uuid}/read", operation_id="notification_read_submit", status_code=303)
    async def mark_read(
        self, notification_id: FromPath[uuid.UUID], principal: NamedDependency[Principal]
    ) -> Redirect:
        await service.mark_read(principal, notification_id)
        return see_other(PATH)

    @post("/read", operation_id="notifications_read_all_submit", status_code=303)
    async def mark_all_read(self, principal: NamedDependency[Principal]) -> Redirect:
        await service.mark_all_read(principal)
        return see_other(PATH)
