"""The review workflow's API (API.md "Cases"): steps, comments and requests, conflicts of
interest and assignment, on the case's own paths."""

from __future__ import annotations

import uuid

from litestar import Controller, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from integrity.cases.schemas import (
    AssignmentIn,
    CaseOut,
    CommentIn,
    CommentOut,
    ConflictIn,
    ConflictOut,
    TransitionIn,
)
from integrity.context import ServiceContext, provide_service_context
from integrity.review import service as review
from integrity.security.guards import Principal, requires_login


class ReviewController(Controller):
    path = "/api/v1/cases"
    tags = ["cases"]
    guards = [requires_login]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    @post("/{case_id:uuid}/transitions", operation_id="transition_case", status_code=HTTP_200_OK)
    async def transition(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[TransitionIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> CaseOut:
        return await review.transition(ctx, principal, case_id, data.action, data.reason)

    @post("/{case_id:uuid}/comments", operation_id="add_comment", status_code=HTTP_201_CREATED)
    async def comment(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[CommentIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> CommentOut:
        return await review.add_comment(ctx, principal, case_id, data.body, data.kind)

    @post("/{case_id:uuid}/conflicts", operation_id="declare_conflict", status_code=HTTP_201_CREATED)
    async def conflict(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        data: JSONBody[ConflictIn | None] = None,
    ) -> ConflictOut:
        return await review.declare_conflict(ctx, principal, case_id, data.member_id if data else None)

    @post("/{case_id:uuid}/assignment", operation_id="assign_case", status_code=HTTP_200_OK)
    async def assignment(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[AssignmentIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> CaseOut:
        return await review.assign(ctx, principal, case_id, data.reviewer_id)
