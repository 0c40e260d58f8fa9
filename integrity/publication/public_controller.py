"""The public API (API.md "Public (no login)"): case list and search, case files, published files,
actor pages, statistics, open-data exports and the Atom feed, all cacheable by anyone.

Every JSON, export and feed answer carries a strong `ETag` (a hash of the body), `Last-Modified`
(when anything public last changed) and `Cache-Control: public, max-age=60`, and is 304 for a
matching `If-None-Match` or, without one, an `If-Modified-Since` not older than the last change.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Awaitable, Callable, Hashable
from typing import Annotated, Any, cast
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Response, Stream
from litestar.status_codes import HTTP_200_OK, HTTP_304_NOT_MODIFIED

from integrity.errors import NotFound
from integrity.http.conditional import etag_matches, not_modified_since
from integrity.http.downloads import file_headers, plaintext_stream
from integrity.publication import case_files, open_data
from integrity.publication import feed as publication_feed
from integrity.publication import institutions as publication_institutions
from integrity.publication import search as publication_search
from integrity.publication.cache import CachedAnswer, PublicCache
from integrity.publication.public_schemas import (
    PublicActorOut,
    PublicCaseOut,
    PublicCasePage,
    PublicExport,
    PublicInstitutionOut,
    PublicInstitutions,
    PublicStats,
)
from integrity.reference import category as category_of
from integrity.reference import district as district_of
from integrity.reference import municipality as municipality_of
from integrity.reference import to_cyrillic, to_latin
from integrity.referrals import deadlines as referral_deadlines
from integrity.web.i18n import SR_CYRL, SR_LATN, gettext_for, language_of_scope
from integrity.web.labels import N_

MAX_AGE = 60
#: A published file's bytes never change for its id.
FILE_MAX_AGE = 86400
JSON = "application/json"

AnyRequest = Request[Any, Any, Any]


def respond(request: AnyRequest, answer: CachedAnswer) -> Response[Any]:
    """`answer`, or 304 with its validators when the caller's copy is still good."""
    if_none_match = request.headers.get("if-none-match")
    fresh = (
        etag_matches(if_none_match, answer.etag)
        if if_none_match
        else not_modified_since(request.headers.get("if-modified-since"), answer.last_modified)
    )
    if fresh:
        return Response(content=b"", status_code=HTTP_304_NOT_MODIFIED, headers=answer.validators)
    return Response(content=cast(Any, answer.body), media_type=answer.media_type, headers=answer.headers)


def cached(
    request: AnyRequest,
    body: bytes,
    *,
    media_type: str = JSON,
    last_modified: datetime.datetime | None,
    max_age: int = MAX_AGE,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """The answer with its validators, or 304 when the caller's copy is still good."""
    # The body is encoded once, before this, so the ETag is the hash of exactly what is sent.
    return respond(
        request, json_answer(body, last_modified, media_type=media_type, max_age=max_age, extra=headers)
    )


def json_answer(
    body: bytes,
    last_modified: datetime.datetime | None,
    *,
    media_type: str = JSON,
    max_age: int = MAX_AGE,
    extra: dict[str, str] | None = None,
) -> CachedAnswer:
    return CachedAnswer.of(
        body, media_type, cache_control=f"public, max-age={max_age}", last_modified=last_modified, extra=extra
    )


async def from_cache(
    request: AnyRequest, key: Hashable, build: Callable[[], Awaitable[CachedAnswer]]
) -> Response[Any]:
    """The answer for `key` from the app's public cache (built and kept on a miss)."""
    cache: PublicCache = request.app.state.public_cache
    return respond(request, await cache.answer(key, build))


def _json(value: msgspec.Struct) -> bytes:
    return msgspec.json.encode(value)


async def _searched(
    q: Annotated[str | None, QueryParameter(max_length=200)] = None,
    municipality: Annotated[str | None, QueryParameter(max_length=60)] = None,
    district: Annotated[str | None, QueryParameter(max_length=60)] = None,
    category: Annotated[str | None, QueryParameter(max_length=40)] = None,
    year: Annotated[int | None, QueryParameter(ge=1900, le=2999)] = None,
) -> list[int] | None:
    """The revisions an export of a search holds (exactly the cases the list shows for it, with the
    list's own filters), or None for the whole corpus: the exports' dependency."""
    if not any((q and q.strip(), municipality, district, category, year)):
        return None
    return await publication_search.matching_ids(
        publication_search.CaseFilters(
            q=q, municipality=municipality, district=district, category=category, year=year
        )
    )


class PublicCasesController(Controller):
    dependencies = {"searched": Provide(_searched)}
    path = "/api/v1/public"
    tags = ["public"]

    @get("/cases", operation_id="public_list_cases")
    async def list_cases(
        self,
        request: AnyRequest,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        municipality: Annotated[str | None, QueryParameter(max_length=60)] = None,
        district: Annotated[str | None, QueryParameter(max_length=60)] = None,
        category: Annotated[str | None, QueryParameter(max_length=40)] = None,
        year: Annotated[int | None, QueryParameter(ge=1900, le=2999)] = None,
        actor: Annotated[uuid.UUID | None, QueryParameter()] = None,
        page: Annotated[int, QueryParameter(ge=1, le=100_000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=publication_search.MAX_PAGE_SIZE)] = 20,
    ) -> Response[PublicCasePage]:
        filters = publication_search.CaseFilters(
            q=q, municipality=municipality, district=district, category=category, year=year, actor=actor
        )

        async def build() -> CachedAnswer:
            result = await publication_search.list_cases(filters, page=page, page_size=page_size)
            return json_answer(_json(result), await open_data.last_modified())

        return await from_cache(request, ("list", filters, page, page_size), build)

    @get("/cases/{reference:str}", operation_id="public_get_case")
    async def get_case(self, request: AnyRequest, reference: FromPath[str]) -> Response[PublicCaseOut]:
        async def build() -> CachedAnswer:
            result, last_modified = await case_files.get_case_and_last_modified(reference)
            return json_answer(_json(result), last_modified)

        return await from_cache(request, ("case", reference, None, referral_deadlines.today()), build)

    @get("/cases/{reference:str}/revisions/{revision:int}", operation_id="public_get_revision")
    async def get_revision(
        self, request: AnyRequest, reference: FromPath[str], revision: FromPath[int]
    ) -> Response[PublicCaseOut]:
        async def build() -> CachedAnswer:
            result, last_modified = await case_files.get_case_and_last_modified(reference, revision)
            return json_answer(_json(result), last_modified)

        return await from_cache(request, ("case", reference, revision, referral_deadlines.today()), build)

    @get(
        "/cases/{reference:str}/files/{file_id:uuid}",
        operation_id="public_download_file",
        description="The published (redacted or cleaned) file; its sha256 is the ETag.",
    )
    async def download(
        self, request: AnyRequest, state: State, reference: FromPath[str], file_id: FromPath[uuid.UUID]
    ) -> Response[Any]:
        download = await case_files.prepare_download(reference, file_id)
        headers = file_headers(download.filename, download.sha256)
        headers["cache-control"] = f"public, max-age={FILE_MAX_AGE}"
        if etag_matches(request.headers.get("if-none-match"), headers["etag"]):
            return Response(content=b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
        headers["content-length"] = str(download.size)
        return Stream(
            plaintext_stream(state.vault, download.blob),
            status_code=HTTP_200_OK,
            media_type=download.content_type,
            headers=headers,
        )

    @get(
        "/cases/{reference:str}/files/{file_id:uuid}/pages/{page_file:str}",
        operation_id="public_file_page",
        media_type="image/png",
        description="`{n}.png`: page n of a published PDF as a PNG, for reading it in a page.",
    )
    async def file_page(
        self,
        request: AnyRequest,
        state: State,
        reference: FromPath[str],
        file_id: FromPath[uuid.UUID],
        page_file: FromPath[str],
    ) -> Response[bytes]:
        number = page_file.removesuffix(".png")
        if not number.isdigit() or not page_file.endswith(".png") or len(number) > 6:
            raise NotFound("pages are named 1.png, 2.png, ...", code="page_not_found")
        page = int(number)

        async def build() -> CachedAnswer:
            png = await case_files.published_page_png(state.vault, reference[:40], file_id, page)
            return CachedAnswer.of(png, "image/png", cache_control=f"public, max-age={FILE_MAX_AGE}")

        return await from_cache(request, ("file_page", reference[:40], file_id, page), build)

    @get("/actors/{actor_id:uuid}", operation_id="public_get_actor")
    async def get_actor(self, request: AnyRequest, actor_id: FromPath[uuid.UUID]) -> Response[PublicActorOut]:
        async def build() -> CachedAnswer:
            result = await case_files.get_actor(actor_id)
            return json_answer(_json(result), await open_data.last_modified())

        return await from_cache(request, ("actor", actor_id), build)

    @get("/institutions", operation_id="public_list_institutions")
    async def institutions(
        self,
        request: AnyRequest,
        kind: Annotated[str | None, QueryParameter(max_length=40)] = None,
        municipality: Annotated[str | None, QueryParameter(max_length=60)] = None,
        year: Annotated[int | None, QueryParameter(ge=1990, le=2999)] = None,
    ) -> Response[PublicInstitutions]:
        """Institutions that received referrals of published cases, with how they answered: most
        overdue first. Filters: the referral's `kind`, the case's `municipality`, the `year` sent."""
        filters = publication_institutions.InstitutionFilters(kind=kind, municipality=municipality, year=year)

        async def build() -> CachedAnswer:
            items = await publication_institutions.ranking(filters)
            return json_answer(_json(PublicInstitutions(items=items)), await open_data.last_modified())

        return await from_cache(request, ("institutions", filters, referral_deadlines.today()), build)

    @get("/institutions/{institution_id:uuid}", operation_id="public_get_institution")
    async def institution(
        self, request: AnyRequest, institution_id: FromPath[uuid.UUID]
    ) -> Response[PublicInstitutionOut]:
        async def build() -> CachedAnswer:
            found = await publication_institutions.institution(institution_id)
            return json_answer(_json(found), await open_data.last_modified())

        return await from_cache(request, ("institution", institution_id, referral_deadlines.today()), build)

    @get("/stats", operation_id="public_stats")
    async def stats(self, request: AnyRequest) -> Response[PublicStats]:
        async def build() -> CachedAnswer:
            return json_answer(_json(await open_data.stats()), await open_data.last_modified())

        return await from_cache(request, ("stats",), build)

    @get(
        "/export.csv",
        operation_id="public_export_csv",
        media_type="text/csv",
        description="Every current published revision as CSV (UTF-8 with a BOM, CRLF, a header row).",
    )
    async def export_csv(
        self,
        request: AnyRequest,
        state: State,
        searched: NamedDependency[list[int] | None],
    ) -> Response[bytes]:
        only = searched
        body = open_data.export_csv(await open_data.export_rows(state.settings.base_url, only))
        return cached(
            request,
            body,
            media_type="text/csv",
            last_modified=await open_data.last_modified(),
            headers={"content-disposition": 'attachment; filename="integrity-cases.csv"'},
        )

    @get("/export.json", operation_id="public_export_json")
    async def export_json(
        self,
        request: AnyRequest,
        state: State,
        searched: NamedDependency[list[int] | None],
    ) -> Response[PublicExport]:
        only = searched
        rows = await open_data.export_rows(state.settings.base_url, only)
        body = _json(PublicExport(items=rows, total=len(rows)))
        return cached(request, body, last_modified=await open_data.last_modified())


class FeedController(Controller):
    path = "/"
    tags = ["public"]

    @get(
        "/feed.atom",
        operation_id="public_feed",
        media_type="application/atom+xml",
        description=(
            "Atom feed of publications, corrections and retractions (newest first, 50 at most): of "
            "every case, or of one `municipality`, `district`, `category` or `actor`; titled in `lang`."
        ),
    )
    async def feed(
        self,
        request: AnyRequest,
        state: State,
        municipality: Annotated[str | None, QueryParameter(max_length=60)] = None,
        category: Annotated[str | None, QueryParameter(max_length=40)] = None,
        actor: Annotated[uuid.UUID | None, QueryParameter()] = None,
        district: Annotated[str | None, QueryParameter(max_length=60)] = None,
    ) -> Response[bytes]:
        wanted = publication_feed.FeedFilter(
            municipality=municipality, category=category, actor=actor, district=district
        )
        lang = language_of_scope(request.scope)
        texts = await feed_texts(lang, wanted)
        chosen = {"municipality": municipality, "district": district, "category": category, "actor": actor}
        asked = [(k, str(v)) for k, v in chosen.items() if v]
        if "lang" in request.query_params:
            asked.append(("lang", lang))
        path = "/feed.atom" + (f"?{urlencode(asked)}" if asked else "")
        body = publication_feed.atom_feed(
            await publication_feed.feed_events(wanted=wanted),
            state.settings.base_url,
            path=path,
            page=feed_page(wanted, lang),
            texts=texts,
        )
        return cached(
            request,
            body,
            media_type="application/atom+xml; charset=utf-8",
            last_modified=await open_data.last_modified(),
        )


async def feed_texts(lang: str, wanted: publication_feed.FeedFilter) -> publication_feed.FeedTexts:
    """The feed's title and subtitle in ``lang``, naming what it follows; unknown codes are
    refused (404, as for a page that does not exist)."""
    t = gettext_for(lang)
    script = to_cyrillic if lang == SR_CYRL else (to_latin if lang == SR_LATN else str)
    title = t.gettext(N_("Integrity Network: published cases"))
    if wanted.municipality is not None:
        place = municipality_of(wanted.municipality)
        if place is None:
            raise NotFound("no such municipality", code="municipality_not_found")
        title = t.gettext(N_("Integrity Network: cases in %(place)s")) % {"place": place.name(lang)}
    if wanted.district is not None:
        area = district_of(wanted.district)
        if area is None:
            raise NotFound("no such district", code="district_not_found")
        title = t.gettext(N_("Integrity Network: cases in %(place)s")) % {"place": area.name(lang)}
    if wanted.category is not None:
        topic = category_of(wanted.category)
        if topic is None:
            raise NotFound("no such category", code="category_not_found")
        title = t.gettext(N_("Integrity Network: %(category)s")) % {"category": topic.label(lang)}
    if wanted.actor is not None:
        actor = await case_files.get_actor(wanted.actor)
        title = t.gettext(N_("Integrity Network: cases naming %(name)s")) % {"name": script(actor.name)}
    return publication_feed.FeedTexts(
        title=title,
        subtitle=t.gettext(N_("Publications, corrections and retractions of case files")),
        corrected=t.gettext(N_("Correction: %(title)s")) % {"title": "{title}"},
        retracted=t.gettext(N_("Retracted: %(title)s")) % {"title": "{title}"},
        script=script,
        referral_sent=t.gettext(N_("Sent to %(institution)s: %(title)s")) % PLACEHOLDERS,
        referral_answered=t.gettext(N_("%(institution)s answered: %(title)s")) % PLACEHOLDERS,
        referral_overdue=t.gettext(N_("The answer of %(institution)s is overdue: %(title)s")) % PLACEHOLDERS,
    )


#: Filled in per entry (``feed.atom_feed``).
PLACEHOLDERS = {"title": "{title}", "institution": "{institution}"}


def feed_page(wanted: publication_feed.FeedFilter, lang: str) -> str:
    """The page a feed belongs to (its ``alternate`` link)."""
    if wanted.municipality is not None:
        return f"/municipalities/{wanted.municipality}?lang={lang}"
    if wanted.district is not None:
        return f"/districts/{wanted.district}?lang={lang}"
    if wanted.category is not None:
        return f"/categories/{wanted.category}?lang={lang}"
    if wanted.actor is not None:
        return f"/actors/{wanted.actor}?lang={lang}"  # which leads to the actor's readable address
    return f"/?lang={lang}"
