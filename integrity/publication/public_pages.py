"""The public pages: the case list with search and filters, case files with their revisions, actor
pages, statistics with server-drawn charts, the about page with the platform's keys, and /verify.

They read only the public read service (`integrity.publication.public`). Pages for anonymous
readers are the same for everyone in a language, so they are cacheable by anyone for a minute
(`Vary: Cookie`: the language comes from a cookie) and carry an ETag of their bytes; a logged-in
member's copy (with their name and a log-out form) is private.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from integrity.cases.forms import category_codes, municipality_groups
from integrity.custody import service as custody
from integrity.custody.receipts import MAX_RECEIPT, check_receipt
from integrity.errors import BadRequest, Invalid, NotFound, TooLarge
from integrity.http.conditional import etag_matches
from integrity.http.multipart import FormPart
from integrity.http.uploads import form_parts
from integrity.publication import case_files, open_data
from integrity.publication import institutions as publication_institutions
from integrity.publication import search as publication_search
from integrity.publication.cache import CachedAnswer, PublicCache
from integrity.reference import (
    category,
    district,
    districts,
    municipalities_in_district,
    municipality,
    referral_kind,
    referral_kinds,
)
from integrity.referrals import deadlines
from integrity.security.guards import principal_of
from integrity.web.charts import bar_chart
from integrity.web.i18n import LANG_PARAM, SR_CYRL, SR_LATN, gettext_for, language_of_scope
from integrity.web.labels import N_, category_label_in
from integrity.web.pages import page

AnyRequest = Request[Any, Any, Any]
PAGE_SIZE = 20
MAX_AGE = 60
CHART_TITLES = {
    "category": N_("Published cases by category"),
    "district": N_("Published cases by district"),
    "year": N_("Published cases by year of the incident"),
    "municipality": N_("Published cases by municipality"),
}
#: The figures a municipality's, district's and category's page draws (the facets it is not).
TOPIC_CHARTS = {
    "municipality": ("category", "year"),
    "district": ("municipality", "category", "year"),
    "category": ("district", "year"),
}


SHA256 = re.compile(r"^[0-9a-f]{64}$")
RECEIPT_MESSAGES = {
    "not_json": N_("This is not a receipt: paste the whole JSON file, from { to }."),
    "fields": N_("A receipt has the fields payload, signature and key_id."),
    "unknown_key": N_("The receipt names a key this platform never used."),
    "bad_signature": N_("The signature does not match: the receipt was altered or was not issued here."),
}


async def published_with(sha256: str) -> list[case_files.FileMatch]:
    """The published revisions with a file of this SHA-256, current ones first."""
    if not SHA256.match(sha256):
        return []
    return await case_files.revisions_with_file(sha256)


async def hash_uploaded_file(parts: AsyncIterator[FormPart]) -> tuple[str, int, str]:
    """The SHA-256 and size of the form's `file` part, read in chunks and kept nowhere, and the
    hash the visitor came to check (`expected`, from a case page's link; "" when none)."""
    digest = hashlib.sha256()
    size = 0
    found = False
    expected = ""
    async for part in parts:
        if part.filename is None and part.name == "expected":
            value = (await part.read_text(200)).strip().lower()
            expected = value if SHA256.match(value) else ""
            continue
        if part.filename is None or part.name != "file" or found:
            await part.skip()
            continue
        found = True
        async for chunk in part.chunks():
            digest.update(chunk)
            size += len(chunk)
    if not found or size == 0:
        raise BadRequest("choose a file", code="file_missing")
    return digest.hexdigest(), size, expected


def _is_private(request: AnyRequest) -> bool:
    # A member's copy shows their name; a `?lang=` answer sets the language cookie.
    return principal_of(request) is not None or LANG_PARAM in request.query_params


def _render(request: AnyRequest, template: str, context: dict[str, Any]) -> CachedAnswer:
    engine = request.app.template_engine
    if engine is None:
        raise RuntimeError("the app has no template engine configured")
    html = engine.get_template(template).render(request=request, csrf_input="", csrf_token="", **context)
    return CachedAnswer.of(
        html.encode("utf-8"),
        MediaType.HTML,
        cache_control=f"public, max-age={MAX_AGE}",
        extra={"vary": "Cookie"},
    )


def _send(request: AnyRequest, answer: CachedAnswer) -> Response[Any]:
    if etag_matches(request.headers.get("if-none-match"), answer.etag):
        return Response(content=b"", status_code=HTTP_304_NOT_MODIFIED, headers=answer.headers)
    return Response(content=answer.body, media_type=answer.media_type, headers=answer.headers)


def public_page(request: AnyRequest, template: str, status_code: int = 200, **context: Any) -> Response[Any]:
    """A public page: shared-cacheable with an ETag for anonymous readers, private otherwise."""
    if _is_private(request) or status_code != 200:
        return page(
            template, status_code, headers={"cache-control": "private, no-cache", "vary": "Cookie"}, **context
        )
    return _send(request, _render(request, template, context))


async def cached_public_page(
    request: AnyRequest, template: str, context: Callable[[], Awaitable[dict[str, Any]]]
) -> Response[Any]:
    """`public_page` for a page made only from published material: an anonymous reader's copy is
    rendered once per address and language and then served from the app's public cache
    (`integrity.publication.cache`), which forgets it when anything public changes."""
    if _is_private(request):
        return public_page(request, template, **await context())
    cache: PublicCache = request.app.state.public_cache
    scope = request.scope
    # The page is made from its address (path and query: the language links repeat them) and the
    # reader's language; nothing else about the request reaches an anonymous copy.
    # And the day: a referral's status and its days overdue are as of the day it is read.
    key = (
        "page",
        template,
        scope["path"],
        scope["query_string"],
        language_of_scope(scope),
        deadlines.today(),
    )

    async def build() -> CachedAnswer:
        return _render(request, template, await context())

    return _send(request, await cache.answer(key, build))


def _script(lang: str) -> str:
    return SR_CYRL if lang == SR_CYRL else SR_LATN


@dataclass(frozen=True)
class Topic:
    """What a municipality's, district's or category's page is about."""

    kind: str
    code: str
    name: str
    description: str
    #: The district a municipality lies in: (name, address).
    parent: tuple[str, str] | None
    filters: publication_search.CaseFilters


def _topic(kind: str, code: str, lang: str) -> Topic:
    """The topic of a page, or 404 for a code that names nothing."""
    code = code[:60]
    if kind == "municipality" and (place := municipality(code)) is not None:
        area = district(place.district)
        parent = (area.name(_script(lang)), f"/districts/{area.code}") if area else None
        return Topic(
            kind,
            code,
            place.name(_script(lang)),
            "",
            parent,
            publication_search.CaseFilters(municipality=code),
        )
    if kind == "district" and (area := district(code)) is not None:
        return Topic(
            kind, code, area.name(_script(lang)), "", None, publication_search.CaseFilters(district=code)
        )
    if kind == "category" and (topic := category(code)) is not None:
        return Topic(
            kind,
            code,
            topic.label(lang),
            topic.description(lang),
            None,
            publication_search.CaseFilters(category=code),
        )
    raise NotFound(f"no such {kind}", code=f"{kind}_not_found")


async def _topic_page(request: AnyRequest, kind: str, code: str, page_number: int) -> Response[Any]:
    """A municipality's, district's or category's page: its published cases (newest first), their
    numbers by the other facets, its own feed and its open data."""
    lang = language_of_scope(request.scope)
    t = gettext_for(lang)
    topic = _topic(kind, code, lang)

    def facet_name(facet: str, value: str) -> str:
        if facet == "category":
            return category_label_in(lang, value)
        if facet == "district":
            found = district(value)
            return found.name(_script(lang)) if found else value
        if facet == "municipality":
            place = municipality(value)
            return place.name(_script(lang)) if place else value
        return value

    async def context() -> dict[str, Any]:
        found = await publication_search.list_cases(
            topic.filters, page=page_number, page_size=PAGE_SIZE, order="newest"
        )
        facets = await publication_search.facet_counts(topic.filters)
        charts = []
        for facet in TOPIC_CHARTS[kind]:
            counts = facets.get(facet, {})
            if facet == "year":
                rows = sorted(counts.items(), reverse=True)
            else:
                rows = sorted(
                    ((facet_name(facet, v), n) for v, n in counts.items()), key=lambda r: (-r[1], r[0])
                )
            if rows:
                title = t.gettext(CHART_TITLES[facet])
                charts.append((title, bar_chart(title, rows, f"chart-{facet}")))
        places = []
        if kind == "district":
            counts = facets.get("municipality", {})
            places = [
                (place.code, place.name(_script(lang)), counts.get(place.code, 0))
                for place in municipalities_in_district(code)
            ]
        query = [(kind, topic.code)]
        return {
            "topic": topic,
            "cases": found.items,
            "total": found.total,
            "page_number": page_number,
            "pages": max(1, -(-found.total // PAGE_SIZE)),
            "charts": charts,
            "places": places,
            "topic_query": query,
        }

    return await cached_public_page(request, "public/topic.html", context)


class PublicPagesController(Controller):
    include_in_schema = False

    @get("/", operation_id="home_page", name="home")
    async def home(
        self,
        request: AnyRequest,
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        municipality_code: Annotated[str | None, QueryParameter(name="municipality", max_length=60)] = None,
        district_code: Annotated[str | None, QueryParameter(name="district", max_length=60)] = None,
        category_code: Annotated[str | None, QueryParameter(name="category", max_length=40)] = None,
        year: Annotated[str | None, QueryParameter(max_length=4)] = None,
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
        order: Annotated[str | None, QueryParameter(max_length=10)] = None,
    ) -> Response[Any]:
        lang = language_of_scope(request.scope)
        filters = {
            "q": (q or "").strip(),
            "municipality": municipality_code
            if municipality_code and municipality(municipality_code)
            else "",
            "district": district_code if district_code and district(district_code) else "",
            "category": category_code if category_code and category(category_code) else "",
            "year": year if year and year.isdigit() and 1900 <= int(year) <= 2999 else "",
            # Relevance first when there is a query, else newest first, unless asked otherwise.
            "order": order if order in ("newest", "oldest") else "",
        }

        async def context() -> dict[str, Any]:
            chosen = publication_search.CaseFilters(
                q=filters["q"] or None,
                municipality=filters["municipality"] or None,
                district=filters["district"] or None,
                category=filters["category"] or None,
                year=int(filters["year"]) if filters["year"] else None,
            )
            found = await publication_search.list_cases(
                chosen, page=page_number, page_size=PAGE_SIZE, order=filters["order"] or "relevance"
            )
            groups = [
                group
                for group, area in zip(municipality_groups(lang), districts(), strict=True)
                if not filters["district"] or area.code == filters["district"]
            ]
            return {
                "cases": found.items,
                "total": found.total,
                "page_number": page_number,
                "pages": max(1, -(-found.total // PAGE_SIZE)),
                "filters": filters,
                "filter_query": [(k, v) for k, v in filters.items() if v],
                "searched": any(value for key, value in filters.items() if key != "order"),
                # How many cases each choice leads to, with the other filters as they are.
                "facets": await publication_search.facet_counts(chosen),
                # A district narrows the municipalities offered to its own.
                "municipality_groups": groups,
                "districts": [(d.code, d.name(_script(lang))) for d in districts()],
                "category_codes": category_codes(),
                "years": [str(year) for year in await open_data.incident_years()],
            }

        return await cached_public_page(request, "public/home.html", context)

    @get("/cases/{reference:str}", operation_id="public_case_page")
    async def case(
        self,
        request: AnyRequest,
        reference: FromPath[str],
        revision: Annotated[int | None, QueryParameter(ge=1, le=100_000)] = None,
    ) -> Response[Any]:
        async def context() -> dict[str, Any]:
            return {"preview": await case_files.get_case(reference[:40], revision), "public_links": True}

        return await cached_public_page(request, "public/case.html", context)

    @get("/municipalities/{code:str}", operation_id="public_municipality_page")
    async def municipality_page(
        self,
        request: AnyRequest,
        code: FromPath[str],
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
    ) -> Response[Any]:
        return await _topic_page(request, "municipality", code, page_number)

    @get("/districts/{code:str}", operation_id="public_district_page")
    async def district_page(
        self,
        request: AnyRequest,
        code: FromPath[str],
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
    ) -> Response[Any]:
        return await _topic_page(request, "district", code, page_number)

    @get("/categories/{code:str}", operation_id="public_category_page")
    async def category_page(
        self,
        request: AnyRequest,
        code: FromPath[str],
        page_number: Annotated[int, QueryParameter(name="page", ge=1, le=100_000)] = 1,
    ) -> Response[Any]:
        return await _topic_page(request, "category", code, page_number)

    @get("/actors/{address:str}", operation_id="public_actor_page")
    async def actor(self, request: AnyRequest, address: FromPath[str]) -> Response[Any]:
        """An actor's page at a readable address (``/actors/opstinska-uprava-cacak-3f2a9c1b4d5e``);
        the id, or an address with an out-of-date name, leads there (301)."""
        address = address[:300]
        try:
            actor_id: uuid.UUID | None = uuid.UUID(address)
        except ValueError:
            actor_id = await case_files.actor_of_slug(address)
        if actor_id is None:
            raise NotFound("no published case names that actor", code="actor_not_published")
        actor = await case_files.get_actor(actor_id)
        if actor.slug != address:
            query = f"?{request.url.query}" if request.url.query else ""
            return Redirect(f"/actors/{actor.slug}{query}", status_code=301)

        async def context() -> dict[str, Any]:
            return {"actor": actor}

        return await cached_public_page(request, "public/actor.html", context)

    @get("/institutions", operation_id="public_institutions_page")
    async def institutions(
        self,
        request: AnyRequest,
        kind: Annotated[str | None, QueryParameter(max_length=40)] = None,
        municipality_code: Annotated[str | None, QueryParameter(name="municipality", max_length=60)] = None,
        year: Annotated[str | None, QueryParameter(max_length=4)] = None,
    ) -> Response[Any]:
        """Institutions ranked by how they answered the referrals of published cases."""
        lang = language_of_scope(request.scope)
        chosen = {
            "kind": kind if kind and referral_kind(kind) else "",
            "municipality": municipality_code
            if municipality_code and municipality(municipality_code)
            else "",
            "year": year if year and year.isdigit() and 1990 <= int(year) <= 2999 else "",
        }
        filters = publication_institutions.InstitutionFilters(
            kind=chosen["kind"] or None,
            municipality=chosen["municipality"] or None,
            year=int(chosen["year"]) if chosen["year"] else None,
        )

        async def context() -> dict[str, Any]:
            return {
                "institutions": await publication_institutions.ranking(filters),
                "filters": chosen,
                "kinds": [k.code for k in referral_kinds()],
                "municipality_groups": municipality_groups(lang),
            }

        return await cached_public_page(request, "public/institutions.html", context)

    @get("/institutions/{institution_id:uuid}", operation_id="public_institution_page")
    async def institution(self, request: AnyRequest, institution_id: FromPath[uuid.UUID]) -> Response[Any]:
        async def context() -> dict[str, Any]:
            return {"institution": await publication_institutions.institution(institution_id)}

        return await cached_public_page(request, "public/institution.html", context)

    @get("/stats", operation_id="public_stats_page")
    async def stats(self, request: AnyRequest) -> Response[Any]:
        lang = language_of_scope(request.scope)
        t = gettext_for(lang)

        def ranked(items: dict[str, int], name: Any) -> list[tuple[str, int]]:
            return sorted(((name(code), count) for code, count in items.items()), key=lambda r: (-r[1], r[0]))

        def district_name(code: str) -> str:
            found = district(code)
            return found.name(_script(lang)) if found else code

        async def context() -> dict[str, Any]:
            counts = await open_data.stats()
            rows = {
                "category": ranked(counts.by_category, lambda code: category_label_in(lang, code)),
                "district": ranked(counts.by_district, district_name),
                "year": sorted(counts.by_year.items(), reverse=True),
            }
            charts = [
                (
                    t.gettext(CHART_TITLES[name]),
                    bar_chart(t.gettext(CHART_TITLES[name]), data, f"chart-{name}"),
                )
                for name, data in rows.items()
            ]
            return {"stats": counts, "charts": charts}

        return await cached_public_page(request, "public/stats.html", context)

    @get("/about", operation_id="about_page")
    async def about(self, request: AnyRequest, state: State) -> Response[Any]:
        keys = await custody.public_keys(state.signer)
        return public_page(request, "public/about.html", keys=keys, base_url=state.settings.base_url)

    @get("/verify", operation_id="verify_page")
    async def verify_page(
        self,
        request: AnyRequest,
        sha256: Annotated[str | None, QueryParameter(max_length=64)] = None,
        expected: Annotated[str | None, QueryParameter(max_length=64)] = None,
    ) -> Template:
        # Not shared-cacheable: its forms carry this visitor's CSRF token.
        lookup = None
        if sha256:
            wanted = sha256.strip().lower()
            lookup = {"sha256": wanted, "valid": bool(SHA256.match(wanted))}
            # Set by verify.js when the visitor hashed a file to compare with a case's file.
            wanted_file = (expected or "").strip().lower()
            lookup["expected"] = wanted_file if SHA256.match(wanted_file) else ""
            lookup["matches"] = await published_with(wanted)
        return page("public/verify.html", lookup=lookup, receipt=None, receipt_text="", upload=None)

    @post("/verify/receipt", operation_id="verify_receipt_submit", status_code=200)
    async def verify_receipt(self, request: AnyRequest, state: State) -> Template:
        form = await request.form()
        text = form.get("receipt")
        text = text[:MAX_RECEIPT] if isinstance(text, str) else ""
        checked = await check_receipt(state.signer, text)
        return page(
            "public/verify.html",
            200 if checked.ok else 422,
            lookup=None,
            receipt=checked,
            receipt_problem=RECEIPT_MESSAGES.get(checked.problem or ""),
            receipt_text=text,
            upload=None,
        )

    @post("/verify/file", operation_id="verify_file_submit", status_code=200, request_max_body_size=None)
    async def verify_file(self, request: AnyRequest, state: State) -> Template:
        limit = state.settings.max_upload_bytes + 64 * 1024
        try:
            parts = form_parts(
                request, max_part_bytes=limit, max_body_bytes=limit, max_parts=8, max_field_bytes=4096
            )
            async with aclosing(parts):
                sha256, size, expected = await hash_uploaded_file(parts)
        except (BadRequest, TooLarge, Invalid) as exc:
            return page(
                "public/verify.html",
                exc.status_code,
                lookup=None,
                receipt=None,
                receipt_text="",
                upload=None,
                upload_error=exc,
            )
        upload = {
            "sha256": sha256,
            "size": size,
            "expected": expected,
            "matches": await published_with(sha256),
        }
        return page("public/verify.html", lookup=None, receipt=None, receipt_text="", upload=upload)
