"""The review workflow's API (API.md "Cases"): steps, comments and requests, conflicts of
interest and assignment, on the case's own paths; linking a case's actors to shared records, and
the shared records themselves (``integrity.review.actors``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
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
from integrity.cases.tables import ActorKind
from integrity.context import ServiceContext, provide_service_context
from integrity.review import actors
from integrity.review import service as review
from integrity.review.actors import ActorLinkIn, ActorMergeIn, SharedActorOut
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

    @post(
        "/{case_id:uuid}/actors/{actor_id:uuid}/link", operation_id="link_case_actor", status_code=HTTP_200_OK
    )
    async def link_actor(
        self,
        case_id: FromPath[uuid.UUID],
        actor_id: FromPath[uuid.UUID],
        data: JSONBody[ActorLinkIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> CaseOut:
        return await actors.link_actor(ctx, principal, case_id, actor_id, data)


class ActorController(Controller):
    """Shared actor records, for the review team: find one to link a case's actor to; merge two."""

    path = "/api/v1/actors"
    tags = ["cases"]
    guards = [requires_login]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    @get("/", operation_id="list_shared_actors")
    async def list_shared(
        self,
        principal: NamedDependency[Principal],
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        kind: Annotated[ActorKind | None, QueryParameter()] = None,
    ) -> list[SharedActorOut]:
        return await actors.shared_actors(principal, q, kind)

    @post("/{actor_id:uuid}/merge", operation_id="merge_shared_actors", status_code=HTTP_200_OK)
    async def merge(
        self,
        actor_id: FromPath[uuid.UUID],
        data: JSONBody[ActorMergeIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> SharedActorOut:
        return await actors.merge_actors(ctx, principal, actor_id, data.into)
