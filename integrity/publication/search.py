"""The public list of case files and its search (SQLite FTS5 or PostgreSQL full text), in Latin
or Cyrillic, with and without diacritics, and its filters."""

from __future__ import annotations

import datetime
import functools
import json
import re
import uuid
from dataclasses import dataclass, replace
from typing import Any

import snowballstemmer

from integrity import db
from integrity.publication.public_schemas import (
    PublicCaseItem,
    PublicCasePage,
    PublicStatus,
    public_incident_date,
)
from integrity.publication.tables import PublishedRevision
from integrity.reference import district, fold, municipality

#: The revisions' serial primary key (Piccolo's implicit `id`).
REVISION_ID = PublishedRevision._meta.primary_key


MAX_PAGE_SIZE = 100


#: More words than this in one query add nothing but work.
MAX_TERMS = 12


_WORD = re.compile(r"[^\W_]+")


#: Snowball's Serbian stemmer (it reads Latin and Cyrillic): the index holds every word's stem
#: beside the word, and a query looks for its words' stems, so any inflected form finds any other
#: ("ugovora" finds "ugovor", "Kraljevu" finds "Kraljevo").
_STEMMER = snowballstemmer.stemmer("serbian")


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The stem of one folded word (the word itself when the stemmer leaves nothing)."""
    return _STEMMER.stemWord(word) or word


def place_names(municipality_code: str) -> list[str]:
    """The names a case's place is searched by: its municipality and its district (one script is
    enough: folding makes Latin and Cyrillic the same)."""
    place = municipality(municipality_code)
    if place is None:
        return []
    names = [place.name_latn]
    area = district(place.district)
    if area is not None:
        names.append(area.name_latn)
    return names


def search_text(
    title: str, summary: str, body: str, actor_names: list[str], places: list[str] | None = None
) -> str:
    """The folded text a revision is found by (what the publishing side stores in `search_text`):
    its words, then the stems that differ from them; with the names of its place."""
    words = _WORD.findall(fold(" ".join([title, summary, body, *actor_names, *(places or [])])))
    present = set(words)
    stems = [s for s in dict.fromkeys(stem(word) for word in words) if s not in present]
    return " ".join([*words, *stems])


def search_terms(q: str | None) -> list[str]:
    """The folded words of a query; empty when it has none (then there is no search at all)."""
    if not q:
        return []
    return _WORD.findall(fold(q))[:MAX_TERMS]


def query_terms(q: str | None) -> list[str]:
    """What a query looks for: its words' stems, each as a prefix (so a word being typed matches
    too)."""
    return [stem(term) for term in search_terms(q)]


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: every word quoted (so nothing in it is query syntax), as a prefix."""
    return " ".join('"' + term.replace('"', '""') + '"*' for term in terms)


def tsquery(terms: list[str]) -> str:
    """A `to_tsquery` expression: every word a quoted lexeme, as a prefix, all of them required."""
    return " & ".join("'" + term.replace("'", "''").replace("\\", "\\\\") + "':*" for term in terms)


@dataclass(frozen=True)
class CaseFilters:
    q: str | None = None
    municipality: str | None = None
    district: str | None = None
    category: str | None = None
    year: int | None = None
    actor: uuid.UUID | None = None


def as_utc(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC)


def public_status(retracted: Any) -> PublicStatus:
    return PublicStatus.retracted if retracted else PublicStatus.published


def _filter_sql(filters: CaseFilters, postgres: bool) -> tuple[list[str], list[Any]]:
    """WHERE clauses over `published_revision r` (current revisions only) and their parameters."""
    clauses = ["r.is_current = {}"]
    params: list[Any] = [True]
    if filters.municipality:
        clauses.append("r.municipality = {}")
        params.append(filters.municipality)
    if filters.district:
        clauses.append("r.district = {}")
        params.append(filters.district)
    if filters.category:
        if postgres:
            # Containment, which the GIN index over `categories::jsonb` answers.
            clauses.append("r.categories::jsonb @> {}::jsonb")
            params.append(json.dumps([filters.category]))
        else:
            clauses.append("EXISTS (SELECT 1 FROM json_each(r.categories) AS c WHERE c.value = {})")
            params.append(filters.category)
    if filters.year is not None:
        clauses.append("r.incident_date >= {} AND r.incident_date < {}")
        params += [datetime.date(filters.year, 1, 1), datetime.date(filters.year + 1, 1, 1)]
    if filters.actor is not None:
        clauses.append("r.id IN (SELECT a.revision FROM published_actor AS a WHERE a.actor_id = {})")
        params.append(filters.actor)
    return clauses, params


#: The orders of the public list: most relevant first (with a query), newest or oldest first.
ORDERS = ("relevance", "newest", "oldest")


async def _search_ids(
    filters: CaseFilters, *, limit: int, offset: int, order: str = "relevance"
) -> tuple[list[int], int]:
    """Ids of the matching current revisions in display order (one page), and how many match."""
    postgres = db.is_postgres()
    source, clauses, params = _matching(filters, postgres)
    where = " AND ".join(clauses)
    if not query_terms(filters.q):
        # Newest first walks the index over (is_current, published_at, id) and stops at the page.
        newest = "r.published_at DESC, r.id DESC" if order != "oldest" else "r.published_at ASC, r.id ASC"
        count_sql = f"SELECT count(*) AS n FROM {source} WHERE {where}"  # noqa: S608 - only our own fragments; values are bound
        counted = await PublishedRevision.raw(count_sql, *params)
        total = int(counted[0]["n"]) if counted else 0
        if total == 0 or offset >= total:
            return [], total
        page_sql = f"SELECT r.id AS id FROM {source} WHERE {where} ORDER BY {newest}"  # noqa: S608
        rows = await PublishedRevision.raw(page_sql + " LIMIT {} OFFSET {}", *params, limit, offset)
        return [int(row["id"]) for row in rows], total
    # The stored vector on PostgreSQL: ranking need not parse every matching text again. FTS5's
    # bm25 is lower for better matches.
    score, better = (
        ("ts_rank(r.search_vector, query, 1)", "DESC")
        if postgres
        else ("bm25(published_revision_fts)", "ASC")
    )
    # One pass over the matches gives the page and, on each of its rows, how many match in all. The
    # score is taken in a subquery: SQLite allows FTS5's bm25 only next to its MATCH, not in a window.
    matches = (
        f"SELECT r.id AS id, {score} AS score, r.published_at AS published_at FROM {source} WHERE {where}"  # noqa: S608
    )
    ranked = {
        "newest": "m.published_at DESC, m.id DESC",
        "oldest": "m.published_at ASC, m.id ASC",
    }.get(order, f"m.score {better}, m.published_at DESC, m.id DESC")
    if postgres:
        # Kept a subquery (OFFSET 0), so the window holds scores, not the vectors they come from.
        matches += " OFFSET 0"
    rows = await PublishedRevision.raw(
        f"SELECT m.id AS id, count(*) OVER () AS total FROM ({matches}) AS m "  # noqa: S608
        f"ORDER BY {ranked} LIMIT {{}} OFFSET {{}}",
        *params,
        limit,
        offset,
    )
    if rows:
        return [int(row["id"]) for row in rows], int(rows[0]["total"])
    if offset == 0:
        return [], 0
    # A page past the end: count on its own.
    count_sql = f"SELECT count(*) AS n FROM {source} WHERE {where}"  # noqa: S608
    counted = await PublishedRevision.raw(count_sql, *params)
    return [], int(counted[0]["n"]) if counted else 0


_ITEM_COLUMNS = (
    REVISION_ID,
    PublishedRevision.reference,
    PublishedRevision.revision,
    PublishedRevision.title,
    PublishedRevision.summary,
    PublishedRevision.municipality,
    PublishedRevision.district,
    PublishedRevision.categories,
    PublishedRevision.incident_date,
    PublishedRevision.incident_date_precision,
    PublishedRevision.published_at,
    PublishedRevision.public_case.retracted.as_alias("retracted"),
)


def _item(row: dict[str, Any]) -> PublicCaseItem:
    return PublicCaseItem(
        reference=row["reference"],
        title=row["title"],
        summary=row["summary"],
        municipality=row["municipality"],
        district=row["district"],
        categories=list(json.loads(row["categories"])),
        incident_date=public_incident_date(row["incident_date"], row["incident_date_precision"]),
        incident_date_precision=row["incident_date_precision"],
        published_at=as_utc(row["published_at"]),
        status=public_status(row["retracted"]),
        revision=int(row["revision"]),
    )


async def case_items(revision_ids: list[int]) -> list[PublicCaseItem]:
    """The list items of these revisions, in the order given."""
    if not revision_ids:
        return []
    rows = await PublishedRevision.select(*_ITEM_COLUMNS).where(REVISION_ID.is_in(revision_ids))
    by_id = {int(row["id"]): row for row in rows}
    return [_item(by_id[i]) for i in revision_ids if i in by_id]


async def list_cases(
    filters: CaseFilters, *, page: int = 1, page_size: int = 20, order: str = "relevance"
) -> PublicCasePage:
    """Current revisions, newest first, or most relevant first when there is a query (``order``
    "newest" or "oldest" asks for that order instead)."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(1, page)
    ids, total = await _search_ids(filters, limit=page_size, offset=(page - 1) * page_size, order=order)
    return PublicCasePage(items=await case_items(ids), total=total, page=page, page_size=page_size)


#: The facets a case list is narrowed by, each counted for the current search.
FACETS = ("municipality", "district", "category", "year")


def _matching(filters: CaseFilters, postgres: bool) -> tuple[str, list[str], list[Any]]:
    """FROM, WHERE clauses and parameters of the current revisions that match ``filters`` (with
    the full-text search when there is a query)."""
    clauses, params = _filter_sql(filters, postgres)
    terms = query_terms(filters.q)
    if not terms:
        return "published_revision AS r", clauses, params
    if postgres:
        return (
            "published_revision AS r, to_tsquery('simple', {}) AS query",
            ["r.search_vector @@ query", *clauses],
            [tsquery(terms), *params],
        )
    # CROSS JOIN makes SQLite walk the full-text matches and fetch each revision by its id. Left to
    # choose, it walks the revisions (by the index on is_current or on a filter) and runs the
    # full-text query once for each: minutes for a common word at 100,000 cases. Each revision is
    # read from a narrow index keyed by id that carries every column used here (see its migration),
    # not from its wide row: the planner would always take the row.
    return (
        "published_revision_fts CROSS JOIN published_revision AS r "
        "INDEXED BY published_revision_search_lookup ON r.id = published_revision_fts.rowid",
        ["published_revision_fts MATCH {}", *clauses],
        [fts5_query(terms), *params],
    )


async def facet_counts(filters: CaseFilters) -> dict[str, dict[str, int]]:
    """For each facet, how many of the cases the search finds each of its values leads to: the
    other filters apply, the facet's own does not (so choosing a value shows exactly that many)."""
    postgres = db.is_postgres()
    counts: dict[str, dict[str, int]] = {}
    for facet in FACETS:
        others = replace(filters, **{facet: None})
        source, clauses, params = _matching(others, postgres)
        if facet == "category":
            if postgres:
                source += ", jsonb_array_elements_text(r.categories::jsonb) AS facet(value)"
            else:
                source += ", json_each(r.categories) AS facet"
            value = "facet.value"
        elif facet == "year":
            value = (
                "extract(year FROM r.incident_date)::int::text"
                if postgres
                else "strftime('%Y', r.incident_date)"
            )
        else:
            value = f"r.{facet}"
        where = " AND ".join(clauses)
        rows = await PublishedRevision.raw(
            f"SELECT {value} AS value, count(*) AS n FROM {source} WHERE {where} GROUP BY {value}",  # noqa: S608 - only our own fragments; values are bound
            *params,
        )
        counts[facet] = {str(row["value"]): int(row["n"]) for row in rows if row["value"] is not None}
    return counts


#: The most cases one export of a search holds (the whole corpus is far below it).
MAX_EXPORT = 1_000_000


async def matching_ids(filters: CaseFilters) -> list[int]:
    """The current revisions a search finds, all of them, in its order (for its export)."""
    ids, _ = await _search_ids(filters, limit=MAX_EXPORT, offset=0)
    return ids
