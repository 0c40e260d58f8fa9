"""The public read side: published case files, search, actor pages, statistics, exports and the feed.

Everything here reads only the publication tables (`PublicCase`, `PublishedRevision`, `PublishedFile`,
`PublishedActor`) and, to stream a published file, its `Rendition`. Nothing reads a case's sealed
texts, its members or its originals, so nothing private can reach a public answer; a reference
without a `PublicCase` row (an unpublished case) is simply unknown.

Search: the query is folded with `fold()` (script, case, diacritics), split into words, and each word
matches as a prefix (Serbian declines: `ugovor` finds `ugovora`); all words must match. SQLite asks its
FTS5 table `published_revision_fts` and ranks with bm25; PostgreSQL asks the GIN index over
`to_tsvector('simple', search_text)` and ranks with ts_rank (see the migration that creates both).
User input only ever reaches SQL as bound parameters.
"""

from __future__ import annotations

import csv
import datetime
import email.utils
import io
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from integrity import db
from integrity.errors import NotFound
from integrity.publication.public_schemas import (
    Correction,
    ExportRow,
    PublicActorOut,
    PublicActorRef,
    PublicCaseItem,
    PublicCaseOut,
    PublicCasePage,
    PublicFile,
    PublicStats,
    PublicStatus,
    Retraction,
)
from integrity.publication.tables import PublicCase, PublishedActor, PublishedFile, PublishedRevision
from integrity.reference import fold
from integrity.vault import SealedBlob

#: The revisions' serial primary key (Piccolo's implicit `id`).
_REVISION_ID = PublishedRevision._meta.primary_key
MAX_PAGE_SIZE = 100
#: More words than this in one query add nothing but work.
MAX_TERMS = 12
FEED_LIMIT = 50
_WORD = re.compile(r"[^\W_]+")
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def search_text(title: str, summary: str, body: str, actor_names: list[str]) -> str:
    """The folded text a revision is found by (what the publishing side stores in `search_text`)."""
    return fold(" ".join([title, summary, body, *actor_names]))


def search_terms(q: str | None) -> list[str]:
    """The folded words of a query; empty when it has none (then there is no search at all)."""
    if not q:
        return []
    return _WORD.findall(fold(q))[:MAX_TERMS]


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


def _utc(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC)


def _status(retracted: Any) -> PublicStatus:
    return PublicStatus.retracted if retracted else PublicStatus.published


# --- the list and search ------------------------------------------------------------------------


def _is_postgres() -> bool:
    return isinstance(db.bound_engine(), PostgresEngine)


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
            clauses.append(
                "EXISTS (SELECT 1 FROM jsonb_array_elements_text(r.categories::jsonb) AS c(code) "
                "WHERE c.code = {})"
            )
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


async def _search_ids(filters: CaseFilters, *, limit: int, offset: int) -> tuple[list[int], int]:
    """Ids of the matching current revisions in display order (one page), and how many match."""
    postgres = _is_postgres()
    clauses, params = _filter_sql(filters, postgres)
    terms = search_terms(filters.q)
    newest = "r.published_at DESC, r.id DESC"
    if not terms:
        source, order, search_params = "published_revision AS r", newest, []
    elif postgres:
        source = "published_revision AS r, to_tsquery('simple', {}) AS query"
        clauses.insert(0, "to_tsvector('simple', r.search_text) @@ query")
        order = f"ts_rank(to_tsvector('simple', r.search_text), query, 1) DESC, {newest}"
        search_params = [tsquery(terms)]
    else:
        source = "published_revision_fts JOIN published_revision AS r ON r.id = published_revision_fts.rowid"
        clauses.insert(0, "published_revision_fts MATCH {}")
        # bm25 is lower for better matches.
        order = f"bm25(published_revision_fts), {newest}"
        search_params = [fts5_query(terms)]
    where = " AND ".join(clauses)
    base_params = [*search_params, *params]
    counted = await PublishedRevision.raw(f"SELECT count(*) AS n FROM {source} WHERE {where}", *base_params)  # noqa: S608 - only our own fragments; values are bound
    total = int(counted[0]["n"]) if counted else 0
    if total == 0 or offset >= total:
        return [], total
    rows = await PublishedRevision.raw(
        f"SELECT r.id AS id FROM {source} WHERE {where} ORDER BY {order} LIMIT {{}} OFFSET {{}}",  # noqa: S608
        *base_params,
        limit,
        offset,
    )
    return [int(row["id"]) for row in rows], total


_ITEM_COLUMNS = (
    _REVISION_ID,
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
        incident_date=row["incident_date"],
        incident_date_precision=row["incident_date_precision"],
        published_at=_utc(row["published_at"]),
        status=_status(row["retracted"]),
        revision=int(row["revision"]),
    )


async def _items(revision_ids: list[int]) -> list[PublicCaseItem]:
    """The list items of these revisions, in the order given."""
    if not revision_ids:
        return []
    rows = await PublishedRevision.select(*_ITEM_COLUMNS).where(_REVISION_ID.is_in(revision_ids))
    by_id = {int(row["id"]): row for row in rows}
    return [_item(by_id[i]) for i in revision_ids if i in by_id]


async def list_cases(filters: CaseFilters, *, page: int = 1, page_size: int = 20) -> PublicCasePage:
    """Current revisions, newest first, or most relevant first when there is a query."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(1, page)
    ids, total = await _search_ids(filters, limit=page_size, offset=(page - 1) * page_size)
    return PublicCasePage(items=await _items(ids), total=total, page=page, page_size=page_size)


# --- one case file ------------------------------------------------------------------------------


async def _public_case(reference: str) -> dict[str, Any]:
    row = await PublicCase.select().where(PublicCase.reference == reference).first()
    if row is None:
        raise NotFound("no published case has that reference")
    return row


def _natural(name: str) -> list[Any]:
    """`IN-2026-0042-2.jpg` before `IN-2026-0042-10.pdf`."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name)]


async def _files(revision_id: int) -> list[PublicFile]:
    rows = await PublishedFile.select(
        PublishedFile.id,
        PublishedFile.filename,
        PublishedFile.content_type,
        PublishedFile.size,
        PublishedFile.sha256,
        PublishedFile.custody_seq,
        PublishedFile.source_seq,
    ).where(PublishedFile.revision == revision_id)
    files = [
        PublicFile(
            id=row["id"],
            filename=row["filename"],
            content_type=row["content_type"],
            size=int(row["size"]),
            sha256=row["sha256"],
            custody_seq=int(row["custody_seq"]),
            source_seq=int(row["source_seq"]),
        )
        for row in rows
    ]
    return sorted(files, key=lambda f: _natural(f.filename))


async def get_case(reference: str, revision: int | None = None) -> PublicCaseOut:
    """The latest revision of a published case, or revision `revision` (from 1)."""
    public = await _public_case(reference)
    number = int(public["latest_revision"]) if revision is None else revision
    row = (
        await PublishedRevision.select()
        .where((PublishedRevision.public_case == public["id"]) & (PublishedRevision.revision == number))
        .first()
    )
    if row is None:
        raise NotFound("the case has no such revision")
    corrections = (
        await PublishedRevision.select(
            PublishedRevision.revision, PublishedRevision.correction_note, PublishedRevision.published_at
        )
        .where((PublishedRevision.public_case == public["id"]) & (PublishedRevision.revision > 1))
        .order_by(PublishedRevision.revision)
    )
    retraction = None
    if public["retracted"]:
        retraction = Retraction(
            note=public["retraction_note"] or "",
            retracted_at=_utc(public["retracted_at"] or public["updated_at"]),
        )
    return PublicCaseOut(
        reference=public["reference"],
        revision=int(row["revision"]),
        latest_revision=int(public["latest_revision"]),
        title=row["title"],
        summary=row["summary"],
        body=row["body"],
        municipality=row["municipality"],
        district=row["district"],
        categories=list(json.loads(row["categories"])),
        incident_date=row["incident_date"],
        incident_date_precision=row["incident_date_precision"],
        actors=[
            PublicActorRef(id=uuid.UUID(a["id"]), name=a["name"], kind=a["kind"], role=a["role"])
            for a in json.loads(row["actors"])
        ],
        files=await _files(int(row["id"])),
        published_at=_utc(row["published_at"]),
        first_published_at=_utc(public["first_published_at"]),
        corrections=[
            Correction(
                revision=int(c["revision"]),
                note=c["correction_note"] or "",
                published_at=_utc(c["published_at"]),
            )
            for c in corrections
        ],
        status=_status(public["retracted"]),
        retraction=retraction,
    )


async def case_last_modified(reference: str) -> datetime.datetime:
    return _utc((await _public_case(reference))["updated_at"])


@dataclass(frozen=True)
class PublicDownload:
    filename: str
    content_type: str
    size: int
    sha256: str
    blob: SealedBlob


async def prepare_download(reference: str, file_id: uuid.UUID) -> PublicDownload:
    """A file of any revision of a published case: what it is and the sealed blob of its bytes."""
    row = (
        await PublishedFile.select(
            PublishedFile.filename,
            PublishedFile.content_type,
            PublishedFile.size,
            PublishedFile.sha256,
            PublishedFile.revision.reference.as_alias("reference"),
            PublishedFile.rendition.blob_id.as_alias("blob_id"),
            PublishedFile.rendition.wrapped_key.as_alias("wrapped_key"),
            PublishedFile.rendition.key_id.as_alias("key_id"),
            PublishedFile.rendition.size.as_alias("blob_size"),
            PublishedFile.rendition.sha256.as_alias("blob_sha256"),
        )
        .where(PublishedFile.id == file_id)
        .first()
    )
    if row is None or row["reference"] != reference or row["blob_id"] is None:
        raise NotFound("no published file with that id in this case")
    return PublicDownload(
        filename=row["filename"],
        content_type=row["content_type"],
        size=int(row["blob_size"]),
        sha256=row["blob_sha256"],
        blob=SealedBlob(
            blob_id=row["blob_id"],
            wrapped_key=bytes(row["wrapped_key"]),
            key_id=row["key_id"],
            size=int(row["blob_size"]),
            sha256=row["blob_sha256"],
        ),
    )


# --- actors -------------------------------------------------------------------------------------


async def get_actor(actor_id: uuid.UUID) -> PublicActorOut:
    """A shared actor named by published cases (current revisions), newest first.

    Only `PublishedActor` rows are consulted, which the publishing side writes for the actors it
    shows publicly; protected actors never have one, so they are as unknown as a made-up id.
    """
    rows = (
        await PublishedActor.select(
            PublishedActor.revision.id.as_alias("revision_id"),
            PublishedActor.revision.actors.as_alias("actors"),
            PublishedActor.revision.published_at.as_alias("published_at"),
        )
        .where((PublishedActor.actor_id == actor_id) & (PublishedActor.revision.is_current == True))  # noqa: E712
        .order_by(PublishedActor.revision.published_at, ascending=False)
        .order_by(PublishedActor.revision.id, ascending=False)
    )
    name = kind = None
    ids: list[int] = []
    for row in rows:
        named = [a for a in json.loads(row["actors"]) if a.get("id") == str(actor_id)]
        if not named:
            continue  # the revision does not show them after all: never guess
        if name is None:
            name, kind = named[0]["name"], named[0]["kind"]
        if int(row["revision_id"]) not in ids:
            ids.append(int(row["revision_id"]))
    if name is None or kind is None:
        raise NotFound("no published case names that actor")
    return PublicActorOut(id=actor_id, name=name, kind=kind, cases=await _items(ids))


# --- statistics, exports ------------------------------------------------------------------------


async def last_modified() -> datetime.datetime | None:
    """When anything public last changed (a publication, correction or retraction)."""
    row = (
        await PublicCase.select(PublicCase.updated_at)
        .order_by(PublicCase.updated_at, ascending=False)
        .first()
    )
    return None if row is None else _utc(row["updated_at"])


def _sorted_counts(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items()))


async def stats() -> PublicStats:
    """Counts of current published cases by category, municipality, district and incident year."""
    rows = await PublishedRevision.select(
        PublishedRevision.municipality,
        PublishedRevision.district,
        PublishedRevision.categories,
        PublishedRevision.incident_date,
        PublishedRevision.public_case.retracted.as_alias("retracted"),
    ).where(PublishedRevision.is_current == True)  # noqa: E712
    by_category: Counter[str] = Counter()
    by_municipality: Counter[str] = Counter()
    by_district: Counter[str] = Counter()
    by_year: Counter[str] = Counter()
    retracted = 0
    for row in rows:
        if row["retracted"]:
            retracted += 1
            continue
        by_category.update(set(json.loads(row["categories"])))
        by_municipality[row["municipality"]] += 1
        if row["district"]:
            by_district[row["district"]] += 1
        by_year[str(row["incident_date"].year)] += 1
    return PublicStats(
        total=len(rows) - retracted,
        retracted=retracted,
        by_category=_sorted_counts(by_category),
        by_municipality=_sorted_counts(by_municipality),
        by_district=_sorted_counts(by_district),
        by_year=_sorted_counts(by_year),
    )


async def export_rows() -> list[ExportRow]:
    """Every current revision (retracted ones too, marked), by reference."""
    rows = await PublishedRevision.select(
        _REVISION_ID,
        PublishedRevision.reference,
        PublishedRevision.revision,
        PublishedRevision.title,
        PublishedRevision.summary,
        PublishedRevision.body,
        PublishedRevision.municipality,
        PublishedRevision.district,
        PublishedRevision.categories,
        PublishedRevision.incident_date,
        PublishedRevision.incident_date_precision,
        PublishedRevision.published_at,
        PublishedRevision.public_case.retracted.as_alias("retracted"),
    ).where(PublishedRevision.is_current == True)  # noqa: E712
    files = await PublishedFile.select(
        PublishedFile.revision, PublishedFile.filename, PublishedFile.sha256
    ).where(PublishedFile.revision.is_current == True)  # noqa: E712
    hashes: dict[int, list[tuple[list[Any], str]]] = {}
    for f in files:
        hashes.setdefault(int(f["revision"]), []).append((_natural(f["filename"]), f["sha256"]))
    out = [
        ExportRow(
            reference=row["reference"],
            revision=int(row["revision"]),
            title=row["title"],
            summary=row["summary"],
            body=row["body"],
            municipality=row["municipality"],
            district=row["district"],
            categories=list(json.loads(row["categories"])),
            incident_date=row["incident_date"],
            incident_date_precision=row["incident_date_precision"],
            published_at=_utc(row["published_at"]),
            status=_status(row["retracted"]),
            file_sha256s=[sha for _, sha in sorted(hashes.get(int(row["id"]), []))],
        )
        for row in rows
    ]
    return sorted(out, key=lambda r: r.reference)


CSV_COLUMNS = (
    "reference",
    "revision",
    "title",
    "summary",
    "body",
    "municipality",
    "district",
    "categories",
    "incident_date",
    "incident_date_precision",
    "published_at",
    "status",
    "file_sha256s",
)
#: Cells a spreadsheet would run as a formula (CSV injection); such text gets a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(rows: list[ExportRow]) -> bytes:
    """RFC 4180 CSV (CRLF, fields quoted as needed) in UTF-8 with a byte order mark.

    The BOM is there for Excel, which most readers of this export open it with: without it Excel
    reads the file in the Windows code page and garbles every č, ž, đ and all Cyrillic. Python
    (`encoding="utf-8-sig"`), pandas, R and LibreOffice read the BOM as such. Lists (categories, file
    hashes) are joined with `;`; free text that would start a spreadsheet formula is prefixed with
    `'` (the JSON export carries the text unchanged).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.reference,
                row.revision,
                _cell(row.title),
                _cell(row.summary),
                _cell(row.body),
                row.municipality,
                row.district or "",
                ";".join(row.categories),
                row.incident_date.isoformat(),
                row.incident_date_precision,
                row.published_at.isoformat().replace("+00:00", "Z"),
                row.status.value,
                ";".join(row.file_sha256s),
            ]
        )
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


# --- files by hash (the /verify page) -------------------------------------------------------------


@dataclass(frozen=True)
class FileMatch:
    reference: str
    revision: int
    title: str
    current: bool
    retracted: bool


async def revisions_with_file(sha256: str) -> list[FileMatch]:
    """Every published revision with a file of this SHA-256: current ones first, then revisions a
    correction has superseded (a file someone downloaded before it was corrected still verifies)."""
    rows = await PublishedFile.select(
        PublishedFile.revision.reference.as_alias("reference"),
        PublishedFile.revision.revision.as_alias("revision"),
        PublishedFile.revision.title.as_alias("title"),
        PublishedFile.revision.is_current.as_alias("current"),
        PublishedFile.revision.public_case.retracted.as_alias("retracted"),
    ).where(PublishedFile.sha256 == sha256)
    found = {
        (row["reference"], int(row["revision"])): FileMatch(
            reference=row["reference"],
            revision=int(row["revision"]),
            title=row["title"],
            current=bool(row["current"]),
            retracted=bool(row["retracted"]),
        )
        for row in rows
    }
    return sorted(found.values(), key=lambda match: (not match.current, match.reference, -match.revision))


# --- the Atom feed ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedEvent:
    kind: str  # "published", "corrected" or "retracted"
    reference: str
    revision: int
    title: str
    summary: str
    note: str | None
    at: datetime.datetime


async def feed_events(limit: int = FEED_LIMIT) -> list[FeedEvent]:
    """Publications, corrections and retractions, newest first."""
    revisions = (
        await PublishedRevision.select(
            PublishedRevision.reference,
            PublishedRevision.revision,
            PublishedRevision.title,
            PublishedRevision.summary,
            PublishedRevision.correction_note,
            PublishedRevision.published_at,
        )
        .order_by(PublishedRevision.published_at, ascending=False)
        .order_by(_REVISION_ID, ascending=False)
        .limit(limit)
    )
    retractions = (
        await PublicCase.select(
            PublicCase.reference,
            PublicCase.latest_revision,
            PublicCase.retraction_note,
            PublicCase.retracted_at,
            PublicCase.updated_at,
        )
        .where(PublicCase.retracted == True)  # noqa: E712
        .order_by(PublicCase.retracted_at, ascending=False)
        .limit(limit)
    )
    events = [
        FeedEvent(
            kind="published" if int(r["revision"]) == 1 else "corrected",
            reference=r["reference"],
            revision=int(r["revision"]),
            title=r["title"],
            summary=r["summary"],
            note=r["correction_note"],
            at=_utc(r["published_at"]),
        )
        for r in revisions
    ]
    if retractions:
        # The retraction entry carries the title of the revision that was current when retracted.
        titles = {
            (row["reference"], int(row["revision"])): row
            for row in await PublishedRevision.select(
                PublishedRevision.reference,
                PublishedRevision.revision,
                PublishedRevision.title,
                PublishedRevision.summary,
            ).where(PublishedRevision.reference.is_in([r["reference"] for r in retractions]))
        }
        for r in retractions:
            current = titles.get((r["reference"], int(r["latest_revision"])), {})
            events.append(
                FeedEvent(
                    kind="retracted",
                    reference=r["reference"],
                    revision=int(r["latest_revision"]),
                    title=current.get("title", r["reference"]),
                    summary=current.get("summary", ""),
                    note=r["retraction_note"],
                    at=_utc(r["retracted_at"] or r["updated_at"]),
                )
            )
    events.sort(key=lambda e: (e.at, e.kind == "retracted", e.revision), reverse=True)
    return events[:limit]


#: Characters XML 1.0 cannot carry at all (lxml refuses them); published text should have none.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


_FEED_TITLES = {"published": "{title}", "corrected": "Correction: {title}", "retracted": "Retracted: {title}"}


def atom_feed(events: list[FeedEvent], base_url: str) -> bytes:
    """The Atom document (RFC 4287) for `events`; every link is built from `base_url`."""
    from feedgen.feed import FeedGenerator

    base = base_url.rstrip("/")
    feed = FeedGenerator()
    feed.id(f"{base}/feed.atom")
    feed.title("Integrity Network: published cases")
    feed.subtitle("Publications, corrections and retractions of case files")
    feed.author({"name": "Integrity Network"})
    feed.link(href=f"{base}/feed.atom", rel="self", type="application/atom+xml")
    feed.link(href=f"{base}/", rel="alternate", type="text/html")
    # A fixed `updated` when there is nothing yet keeps the document (and its ETag) stable.
    feed.updated(events[0].at if events else _EPOCH)
    # feedgen writes entries in reverse order of adding them: add the oldest first.
    for event in reversed(events):
        entry = feed.add_entry()
        page = f"{base}/cases/{event.reference}"
        entry.id(f"{page}#{event.kind}-{event.revision}")
        entry.title(_xml_text(_FEED_TITLES[event.kind].format(title=event.title)))
        # One link only: feedgen 1.0 writes an entry's links without their rel and type, so a
        # second one would make two "alternate" links of one type, which RFC 4287 forbids.
        entry.link(href=page, rel="alternate", type="text/html")
        entry.updated(event.at)
        entry.published(event.at)
        parts = [event.summary]
        if event.note:
            parts.insert(0, event.note)
        entry.summary(_xml_text("\n\n".join(p for p in parts if p)))
        entry.category(term=event.kind)
    document: bytes = feed.atom_str(pretty=False)
    return document


def http_date(value: datetime.datetime) -> str:
    return email.utils.format_datetime(_utc(value).replace(microsecond=0), usegmt=True)
