"""`/api/v1/me/notifications`: what needs the caller's action."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from integrity.notifications import service
from integrity.notifications.service import NotificationPage
from integrity.security.guards import Principal, requires_login


class NotificationController(Controller):
    path = "/api/v1/me/notifications"
    tags = ["notifications"]
    guards = [requires_login]

    @get("/", operation_id="list_notifications")
    async def list_notifications(
        self,
        principal: NamedDependency[Principal],
        unread: Annotated[bool, QueryParameter()] = False,
    ) -> NotificationPage:
        return await service.list_notifications(principal, unread_only=unread)

    @post(
        "/{notification_id:uuid}/read", operation_id="mark_notification_read", status_code=HTTP_204_NO_CONTENT
    )
    async def mark_read(
        self, notification_id: FromPath[uuid.UUID], principal: NamedDependency[Principal]
    ) -> None:
        await service.mark_read(principal, notification_id)
