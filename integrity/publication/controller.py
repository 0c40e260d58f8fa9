"""The publication API for the review team (API.md "Publication"): drafts, redactions, previews."""

from __future__ import annotations

import re
import uuid

from litestar import Controller, Response, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.response import Stream
from litestar.status_codes import HTTP_201_CREATED, HTTP_202_ACCEPTED

from integrity.context import ServiceContext, provide_service_context
from integrity.errors import NotFound
from integrity.http.downloads import file_headers, plaintext_stream
from integrity.publication import copies, name_search, revisions, takedowns
from integrity.publication import drafts as publication_drafts
from integrity.publication import renditions as publication_renditions
from integrity.publication.schemas import (
    CopyPendingOut,
    DraftIn,
    DraftOut,
    NameSearchIn,
    NameSearchOut,
    PreviewOut,
    RedactionIn,
    RenditionOut,
    TakedownIn,
    TakedownOut,
)
from integrity.security.guards import Principal, requires_login

_PAGE = re.compile(r"([1-9][0-9]{0,3})\.png")


def _page_number(page_file: str) -> int:
    """The page of a `{n}.png` path segment."""
    match = _PAGE.fullmatch(page_file)
    if match is None:
        raise NotFound("pages are named like 1.png", code="page_not_found")
    return int(match.group(1))


def _png(png: bytes) -> Response[bytes]:
    return Response(png, media_type="image/png", headers={"x-content-type-options": "nosniff"})


class PublicationController(Controller):
    path = "/api/v1/cases/{case_id:uuid}"
    tags = ["publication"]
    guards = [requires_login]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    @put("/publication", operation_id="save_publication_draft")
    async def save_draft(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[DraftIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> DraftOut:
        return await publication_drafts.save_draft(ctx, principal, case_id, data)

    @get("/publication", operation_id="get_publication_draft")
    async def get_draft(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> DraftOut:
        return await publication_drafts.get_draft(ctx, principal, case_id)

    @get("/publication/preview", operation_id="preview_publication")
    async def preview(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> PreviewOut:
        return await revisions.preview(ctx, principal, case_id)

    @post("/takedowns", operation_id="propose_takedown", status_code=HTTP_201_CREATED)
    async def propose_takedown(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[TakedownIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> TakedownOut:
        return await takedowns.propose(ctx, principal, case_id, data)

    @get("/takedowns", operation_id="list_takedowns")
    async def list_takedowns(
        self, case_id: FromPath[uuid.UUID], principal: NamedDependency[Principal]
    ) -> list[TakedownOut]:
        return await takedowns.list_takedowns(principal, case_id)

    @post("/takedowns/{takedown_id:uuid}/confirm", operation_id="confirm_takedown", status_code=200)
    async def confirm_takedown(
        self,
        case_id: FromPath[uuid.UUID],
        takedown_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> TakedownOut:
        return await takedowns.confirm(ctx, principal, case_id, takedown_id)

    @post(
        "/attachments/{attachment_id:uuid}/redactions/search",
        operation_id="search_name_for_redaction",
        status_code=200,
    )
    async def search_name(
        self,
        case_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
        data: JSONBody[NameSearchIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> NameSearchOut:
        found = await name_search.find_name(ctx, principal, case_id, attachment_id, data.name)
        return NameSearchOut(
            boxes=found.boxes, reading=found.reading, pages=found.pages, checked_pages=found.checked_pages
        )

    @post(
        "/attachments/{attachment_id:uuid}/redactions",
        operation_id="create_redaction",
        status_code=HTTP_201_CREATED,
        responses={
            HTTP_202_ACCEPTED: ResponseSpec(
                CopyPendingOut, description="a long file: the copy is being made by the job queue"
            )
        },
    )
    async def redact(
        self,
        case_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
        data: JSONBody[RedactionIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Response[RenditionOut]:
        made = await copies.create_redaction(ctx, principal, case_id, attachment_id, data.boxes)
        if isinstance(made, CopyPendingOut):
            return Response(made, status_code=HTTP_202_ACCEPTED)  # type: ignore[arg-type]
        return Response(made, status_code=HTTP_201_CREATED)

    @get(
        "/attachments/{attachment_id:uuid}/pages/{page_file:str}",
        operation_id="preview_page",
        media_type="image/png",
        description="`{n}.png`: a PNG of page n (1 for an image) for drawing redaction boxes.",
    )
    async def page(
        self,
        case_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
        page_file: FromPath[str],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Response[bytes]:
        png = await publication_renditions.preview_page(
            ctx, principal, case_id, attachment_id, _page_number(page_file)
        )
        return _png(png)

    @get(
        "/renditions/{rendition_id:uuid}/pages/{page_file:str}",
        operation_id="rendition_page",
        media_type="image/png",
        description="`{n}.png`: a PNG of page n of a copy made for publication, as the public gets it.",
    )
    async def rendition_page(
        self,
        case_id: FromPath[uuid.UUID],
        rendition_id: FromPath[uuid.UUID],
        page_file: FromPath[str],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Response[bytes]:
        png = await publication_renditions.rendition_page(
            ctx, principal, case_id, rendition_id, _page_number(page_file)
        )
        return _png(png)

    @get(
        "/renditions/{rendition_id:uuid}/content",
        operation_id="download_rendition",
        # The rendition's own type is sent (the header below); the document says it can be any.
        media_type="*/*",
    )
    async def rendition(
        self,
        case_id: FromPath[uuid.UUID],
        rendition_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Stream:
        row, blob = await publication_renditions.open_rendition(ctx, principal, case_id, rendition_id)
        return Stream(
            plaintext_stream(ctx.vault, blob),
            media_type=row["content_type"],
            headers={
                "content-type": row["content_type"],
                "content-length": str(row["size"]),
                **file_headers(f"rendition.{row['extension']}", row["sha256"]),
            },
        )
