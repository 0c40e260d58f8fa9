"""The cases API (API.md "Cases"): filing, drafts, evidence up- and download, submission."""

from __future__ import annotations

import uuid
from contextlib import aclosing
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from integrity.cases import evidence as cases_evidence
from integrity.cases import service
from integrity.cases import submission as cases_submission
from integrity.cases.schemas import (
    AttachmentOut,
    CaseIn,
    CaseOut,
    CasePage,
    CaseSort,
    CaseUpdate,
    CategoryOut,
    MunicipalityOut,
    ReceiptOut,
    SubmittedOut,
)
from integrity.cases.tables import CaseStatus
from integrity.context import ServiceContext, provide_service_context
from integrity.errors import Invalid
from integrity.http.downloads import file_headers, opened_stream
from integrity.http.ranges import parse_range
from integrity.http.uploads import form_parts
from integrity.reference import categories, municipalities
from integrity.review import queue
from integrity.security.guards import Principal, requires_login

REFERENCE_CACHE = CacheControlHeader(public=True, max_age=86400)


class ReferenceDataController(Controller):
    path = "/api/v1"
    tags = ["reference"]

    @get("/municipalities", operation_id="list_municipalities", cache_control=REFERENCE_CACHE)
    async def municipalities(self) -> list[MunicipalityOut]:
        return [
            MunicipalityOut(
                code=m.code,
                name_latn=m.name_latn,
                name_cyrl=m.name_cyrl,
                district=m.district,
                kind=m.kind,
                parent=m.parent,
            )
            for m in municipalities()
        ]

    @get("/categories", operation_id="list_categories", cache_control=REFERENCE_CACHE)
    async def categories(self) -> list[CategoryOut]:
        return [
            CategoryOut(
                code=c.code,
                name_latn=c.label_latn,
                name_cyrl=c.label_cyrl,
                name_en=c.label_en,
                description_latn=c.description_latn,
                description_cyrl=c.description_cyrl,
                description_en=c.description_en,
            )
            for c in categories()
        ]


class CaseController(Controller):
    path = "/api/v1/cases"
    tags = ["cases"]
    guards = [requires_login]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    @post("/", operation_id="create_case", status_code=HTTP_201_CREATED)
    async def create(
        self,
        data: JSONBody[CaseIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> CaseOut:
        return await service.create_case(ctx, principal, data)

    @get("/", operation_id="list_cases")
    async def list_cases(
        self,
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
        status: Annotated[CaseStatus | None, QueryParameter()] = None,
        municipality: Annotated[str | None, QueryParameter(max_length=60)] = None,
        category: Annotated[str | None, QueryParameter(max_length=40)] = None,
        assigned_to_me: Annotated[bool, QueryParameter()] = False,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        page: Annotated[int, QueryParameter(ge=1)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
        sort: Annotated[CaseSort, QueryParameter()] = CaseSort.newest,
        waiting_for_me: Annotated[bool, QueryParameter()] = False,
    ) -> CasePage:
        return await service.list_cases(
            ctx,
            principal,
            status=status,
            municipality_code=municipality,
            category_code=category,
            assigned_to_me=assigned_to_me,
            q=q,
            page=page,
            page_size=page_size,
            sort=sort,
            # The cases where the next step is the caller's, each saying which step.
            only=await queue.waiting_for(principal) if waiting_for_me else None,
        )

    @get("/{case_id:uuid}", operation_id="get_case")
    async def read_case(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> CaseOut:
        return await service.get_case(ctx, principal, case_id)

    @patch("/{case_id:uuid}", operation_id="update_case")
    async def update(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[CaseUpdate],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> CaseOut:
        return await service.update_case(ctx, principal, case_id, data)

    @post(
        "/{case_id:uuid}/attachments",
        operation_id="upload_attachments",
        status_code=HTTP_201_CREATED,
        # The body is streamed and limited per file by `limited_body` and the multipart parser;
        # Litestar's own limit would stop a large video before the first byte is read.
        request_max_body_size=None,
        description=(
            "multipart/form-data with one or more `file` parts, streamed into the vault. "
            "413 over INTEGRITY_MAX_UPLOAD_BYTES, 415 for a type that is not allowed. With an "
            "`Idempotency-Key` header a retry with the same files gets the same answer and stores "
            "nothing; the same key with other files is 422."
        ),
    )
    async def upload(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> list[AttachmentOut]:
        parts = form_parts(
            request,
            max_part_bytes=ctx.settings.max_upload_bytes,
            not_multipart=Invalid,
            not_multipart_detail="send the files as multipart/form-data",
        )
        async with aclosing(parts):
            return await cases_evidence.add_attachments(
                ctx, principal, case_id, parts, idempotency_key=request.headers.get("idempotency-key")
            )

    @get(
        "/{case_id:uuid}/attachments/{attachment_id:uuid}/content",
        operation_id="download_attachment",
        # The file's own type is sent (the header below); the document says it can be any.
        media_type="*/*",
    )
    async def download(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Stream:
        header = request.headers.get("range")
        download = await cases_evidence.prepare_download(
            ctx, principal, case_id, attachment_id, ranged=header is not None
        )
        wanted = parse_range(header, download.size)
        headers = {
            "content-type": download.content_type,
            "accept-ranges": "bytes",
            **file_headers(download.filename, download.sha256),
        }
        if wanted is None:
            start, end, status = 0, download.size, HTTP_200_OK
        else:
            start, end, status = wanted.start, wanted.end, 206
            headers["content-range"] = wanted.content_range
        headers["content-length"] = str(end - start)
        return Stream(
            await opened_stream(ctx.vault, download.blob, start, end),
            status_code=status,
            media_type=download.content_type,
            headers=headers,
        )

    @delete(
        "/{case_id:uuid}/attachments/{attachment_id:uuid}",
        operation_id="delete_attachment",
        status_code=HTTP_204_NO_CONTENT,
    )
    async def remove(
        self,
        case_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> None:
        await cases_evidence.delete_attachment(ctx, principal, case_id, attachment_id)

    @post("/{case_id:uuid}/submit", operation_id="submit_case", status_code=HTTP_200_OK)
    async def submit(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> SubmittedOut:
        case, receipt = await cases_submission.submit_case(ctx, principal, case_id)
        return SubmittedOut(case=case, receipt=receipt)

    @get("/{case_id:uuid}/receipt", operation_id="get_receipt")
    async def receipt(
        self, case_id: FromPath[uuid.UUID], principal: NamedDependency[Principal]
    ) -> ReceiptOut:
        return await cases_submission.get_receipt(principal, case_id)

    @get("/{case_id:uuid}/receipts", operation_id="list_receipts")
    async def receipts(
        self, case_id: FromPath[uuid.UUID], principal: NamedDependency[Principal]
    ) -> list[ReceiptOut]:
        """The case's signed receipts, oldest first: the submission's, then one for each answer
        to a request for information (`kind: "supplement"` in its payload)."""
        return await cases_submission.list_receipts(principal, case_id)
