"""The cases API (API.md "Cases"): filing, drafts, evidence up- and download, submission."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, delete, get, patch, post
from litestar.datastructures import CacheControlHeader, State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from integrity.cases import review, service
from integrity.cases.multipart import iter_form_parts
from integrity.cases.ranges import parse_range
from integrity.cases.schemas import (
    AssignmentIn,
    AttachmentOut,
    CaseIn,
    CaseOut,
    CasePage,
    CaseUpdate,
    CategoryOut,
    CommentIn,
    CommentOut,
    ConflictOut,
    MunicipalityOut,
    ReceiptOut,
    SubmittedOut,
    TransitionIn,
)
from integrity.cases.service import CaseContext
from integrity.cases.tables import CaseStatus
from integrity.errors import Invalid, TooLarge
from integrity.reference import categories, municipalities
from integrity.security.guards import Principal, requires_login
from integrity.vault import SealedBlob, Vault

#: Room for multipart boundaries and part headers on top of the file limit.
MULTIPART_OVERHEAD = 1024 * 1024
MAX_PARTS = 50
REFERENCE_CACHE = CacheControlHeader(public=True, max_age=86400)


def provide_case_context(state: State) -> CaseContext:
    return CaseContext(vault=state.vault, signer=state.signer, settings=state.settings)


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


async def limited_body(stream: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """The request body, refused with 413 as soon as it passes `limit` bytes."""
    total = 0
    async for chunk in stream:
        total += len(chunk)
        if total > limit:
            raise TooLarge("the upload is larger than the platform accepts")
        yield chunk


class CaseController(Controller):
    path = "/api/v1/cases"
    tags = ["cases"]
    guards = [requires_login]
    dependencies = {"ctx": Provide(provide_case_context, sync_to_thread=False)}

    @post("/", operation_id="create_case", status_code=HTTP_201_CREATED)
    async def create(
        self, data: JSONBody[CaseIn], principal: NamedDependency[Principal], ctx: NamedDependency[CaseContext]
    ) -> CaseOut:
        return await service.create_case(ctx, principal, data)

    @get("/", operation_id="list_cases")
    async def list_cases(
        self,
        principal: NamedDependency[Principal],
        ctx: NamedDependency[CaseContext],
        status: Annotated[CaseStatus | None, QueryParameter()] = None,
        municipality: Annotated[str | None, QueryParameter(max_length=60)] = None,
        category: Annotated[str | None, QueryParameter(max_length=40)] = None,
        assigned_to_me: Annotated[bool, QueryParameter()] = False,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        page: Annotated[int, QueryParameter(ge=1)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
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
        )

    @get("/{case_id:uuid}", operation_id="get_case")
    async def read_case(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[CaseContext],
    ) -> CaseOut:
        return await service.get_case(ctx, principal, case_id)

    @patch("/{case_id:uuid}", operation_id="update_case")
    async def update(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[CaseUpdate],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[CaseContext],
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
        ctx: NamedDependency[CaseContext],
    ) -> list[AttachmentOut]:
        content_type = request.headers.get("content-type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            raise Invalid("send the files as multipart/form-data")
        limit = ctx.settings.max_upload_bytes + MULTIPART_OVERHEAD
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise TooLarge("the upload is larger than the platform accepts")
        parts = iter_form_parts(
            limited_body(request.stream(), limit),
            content_type,
            max_part_bytes=ctx.settings.max_upload_bytes,
            max_parts=MAX_PARTS,
        )
        async with aclosing(parts):
            return await service.add_attachments(
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
        ctx: NamedDependency[CaseContext],
    ) -> Stream:
        header = request.headers.get("range")
        download = await service.prepare_download(
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
        ctx: NamedDependency[CaseContext],
    ) -> None:
        await service.delete_attachment(ctx, principal, case_id, attachment_id)

    @post("/{case_id:uuid}/submit", operation_id="submit_case", status_code=HTTP_200_OK)
    async def submit(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[CaseContext],
    ) -> SubmittedOut:
        case, receipt = await service.submit_case(ctx, principal, case_id)
        return SubmittedOut(case=case, receipt=receipt)

    @post("/{case_id:uuid}/transitions", operation_id="transition_case", status_code=HTTP_200_OK)
    async def transition(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[TransitionIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[CaseContext],
    ) -> CaseOut:
        return await review.transition(ctx, principal, case_id, data.action, data.reason)

    @post("/{case_id:uuid}/comments", operation_id="add_comment", status_code=HTTP_201_CREATED)
    async def comment(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[CommentIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[CaseContext],
    ) -> CommentOut:
        return await review.add_comment(ctx, principal, case_id, data.body, data.kind)

    @post("/{case_id:uuid}/conflicts", operation_id="declare_conflict", status_code=HTTP_201_CREATED)
    async def conflict(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[CaseContext],
    ) -> ConflictOut:
        return await review.declare_conflict(ctx, principal, case_id)

    @post("/{case_id:uuid}/assignment", operation_id="assign_case", status_code=HTTP_200_OK)
    async def assignment(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[AssignmentIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[CaseContext],
    ) -> CaseOut:
        return await review.assign(ctx, principal, case_id, data.reviewer_id)

    @get("/{case_id:uuid}/receipt", operation_id="get_receipt")
    async def receipt(
        self, case_id: FromPath[uuid.UUID], principal: NamedDependency[Principal]
    ) -> ReceiptOut:
        return await service.get_receipt(principal, case_id)


#: Evidence and published files are never rendered by the browser in our origin.
FILE_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"


def file_headers(filename: str, sha256: str) -> dict[str, str]:
    """Headers of every file download (evidence, renditions, published files): saved under its name,
    never rendered or sniffed in our origin, its SHA-256 the ETag."""
    return {
        "content-disposition": "attachment; filename*=UTF-8''" + quote(filename, safe=""),
        "content-security-policy": FILE_POLICY,
        "x-content-type-options": "nosniff",
        "etag": f'"{sha256}"',
    }


async def opened_stream(
    vault: Vault, blob: SealedBlob, start: int | None = None, end: int | None = None
) -> AsyncGenerator[bytes, None]:
    """`plaintext_stream` with its first piece already fetched.

    The status line goes out with the first piece of a streamed body; once it has, an unreachable
    store can only break the connection. Fetching the first piece before the response starts makes
    a store that is down a 503 problem document instead.
    """
    chunks = plaintext_stream(vault, blob, start, end)
    try:
        first = await anext(chunks, None)
    except BaseException:
        await chunks.aclose()
        raise

    async def whole() -> AsyncGenerator[bytes, None]:
        async with aclosing(chunks):
            if first is not None:
                yield first
            async for chunk in chunks:
                yield chunk

    return whole()


async def plaintext_stream(
    vault: Vault, blob: SealedBlob, start: int | None = None, end: int | None = None
) -> AsyncGenerator[bytes, None]:
    """A blob's plaintext for a streamed response; the vault's reader is closed however it ends."""
    async with aclosing(vault.open(blob, start, end)) as chunks:
        async for chunk in chunks:
            yield chunk
