"""Referrals on the API (API.md "Second wave"): the kinds with their deadlines, and a case's
referrals, answers, appeals and closing."""

from __future__ import annotations

import builtins
import uuid
from contextlib import aclosing
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from integrity.cases.schemas import AttachmentOut
from integrity.context import ServiceContext, provide_service_context
from integrity.errors import Invalid
from integrity.http.uploads import form_parts
from integrity.referrals import documents, replies
from integrity.referrals import service as referrals
from integrity.referrals.schemas import (
    AnswerIn,
    CloseIn,
    ReferralIn,
    ReferralKindOut,
    ReferralOut,
    ReplyIn,
    ReplyOut,
    ReplyReceivedIn,
)
from integrity.security.guards import Principal, requires_login


class ReferralKindController(Controller):
    path = "/api/v1/referral-kinds"
    tags = ["referrals"]

    @get("/", operation_id="list_referral_kinds")
    async def kinds(self, state: State) -> list[ReferralKindOut]:
        return referrals.kinds(state.settings)


class ReferralController(Controller):
    path = "/api/v1/cases/{case_id:uuid}/referrals"
    tags = ["referrals"]
    guards = [requires_login]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    @post("/", operation_id="record_referral", status_code=HTTP_201_CREATED)
    async def record(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[ReferralIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> ReferralOut:
        return await referrals.record_referral(ctx, principal, case_id, data)

    @get("/", operation_id="list_referrals")
    async def list(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> list[ReferralOut]:
        return await referrals.list_referrals(ctx, principal, case_id)

    @post("/{referral_id:uuid}/answers", operation_id="record_referral_answer", status_code=HTTP_201_CREATED)
    async def answer(
        self,
        case_id: FromPath[uuid.UUID],
        referral_id: FromPath[uuid.UUID],
        data: JSONBody[AnswerIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> ReferralOut:
        return await referrals.record_answer(ctx, principal, case_id, referral_id, data)

    @post("/{referral_id:uuid}/appeals", operation_id="record_referral_appeal", status_code=HTTP_201_CREATED)
    async def appeal(
        self,
        case_id: FromPath[uuid.UUID],
        referral_id: FromPath[uuid.UUID],
        data: JSONBody[ReferralIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> ReferralOut:
        return await referrals.record_referral(ctx, principal, case_id, data, appeal_of=referral_id)

    @post(
        "/{referral_id:uuid}/files",
        operation_id="upload_referral_documents",
        status_code=HTTP_201_CREATED,
        # Streamed and limited per file as the case's own files are (``cases.controller``).
        request_max_body_size=None,
        description=(
            "multipart/form-data with one or more `file` parts: the referral's documents, kept as "
            "the case's evidence (sealed, custody-logged, frozen). `role` is `sent` (the default), "
            "`delivery_proof`, `answer` (the default with `answer_id`) or `other`."
        ),
    )
    async def files(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        referral_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        role: Annotated[str | None, QueryParameter(max_length=20)] = None,
        answer_id: FromQuery[uuid.UUID | None] = None,
    ) -> builtins.list[AttachmentOut]:
        parts = form_parts(
            request,
            max_part_bytes=ctx.settings.max_upload_bytes,
            not_multipart=Invalid,
            not_multipart_detail="send the files as multipart/form-data",
        )
        async with aclosing(parts):
            return await documents.add_documents(
                ctx, principal, case_id, referral_id, parts, role=role, answer_id=answer_id
            )

    @post("/{referral_id:uuid}/close", operation_id="close_referral", status_code=HTTP_200_OK)
    async def close(
        self,
        case_id: FromPath[uuid.UUID],
        referral_id: FromPath[uuid.UUID],
        data: JSONBody[CloseIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> ReferralOut:
        return await referrals.close_referral(ctx, principal, case_id, referral_id, data)


class ReplyController(Controller):
    """The right of reply (API.md "Second wave"), with ``.../replies/{rid}/received`` added for a
    reply that comes after the question was recorded."""

    path = "/api/v1/cases/{case_id:uuid}/replies"
    tags = ["referrals"]
    guards = [requires_login]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    @post("/", operation_id="record_reply_request", status_code=HTTP_201_CREATED)
    async def ask(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[ReplyIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> ReplyOut:
        return await replies.ask(ctx, principal, case_id, data)

    @get("/", operation_id="list_replies")
    async def list(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> list[ReplyOut]:
        return await replies.list_replies(ctx, principal, case_id)

    @post("/{reply_id:uuid}/received", operation_id="record_reply", status_code=HTTP_200_OK)
    async def received(
        self,
        case_id: FromPath[uuid.UUID],
        reply_id: FromPath[uuid.UUID],
        data: JSONBody[ReplyReceivedIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> ReplyOut:
        return await replies.received(ctx, principal, case_id, reply_id, data)
