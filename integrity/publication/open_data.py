"""Statistics and the open-data exports (CSV and JSON) of published case files."""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections import Counter
from typing import Any

from piccolo.custom_types import Combinable

from integrity.publication.case_files import natural_order, shown_referrals
from integrity.publication.public_schemas import (
    ExportRow,
    PublicReferral,
    PublicStats,
    public_incident_date,
)
from integrity.publication.search import REVISION_ID, as_utc, public_status
from integrity.publication.tables import PublicCase, PublishedFile, PublishedRevision
from integrity.reference import district, municipality


async def last_modified() -> datetime.datetime | None:
    """When anything public last changed (a publication, correction or retraction)."""
    row = (
        await PublicCase.select(PublicCase.updated_at)
        .order_by(PublicCase.updated_at, ascending=False)
        .first()
    )
    return None if row is None else as_utc(row["updated_at"])


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


async def incident_years() -> list[int]:
    """The years of the shown cases' incidents, newest first (the list page's year filter): distinct
    dates from the index rather than every case's row, as `stats` reads."""
    rows = (
        await PublishedRevision.select(PublishedRevision.incident_date)
        .where(
            (PublishedRevision.is_current == True)  # noqa: E712
            & (PublishedRevision.public_case.retracted == False)  # noqa: E712
        )
        .distinct()
    )
    return sorted({row["incident_date"].year for row in rows}, reverse=True)


async def export_rows(base_url: str = "", only: list[int] | None = None) -> list[ExportRow]:
    """Every current revision (retracted ones too, marked), by reference; ``only`` those revisions
    (a search's). Addresses are built from ``base_url``."""
    base = base_url.rstrip("/")
    where: Combinable = PublishedRevision.is_current == True  # noqa: E712
    if only is not None:
        where &= REVISION_ID.is_in(only or [-1])
    rows = await PublishedRevision.select(
        REVISION_ID,
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
        PublishedRevision.actors,
        PublishedRevision.referrals,
        PublishedRevision.public_case.retracted.as_alias("retracted"),
    ).where(where)
    files = await PublishedFile.select(
        PublishedFile.id, PublishedFile.revision, PublishedFile.filename, PublishedFile.sha256
    ).where((PublishedFile.revision.is_current == True) & PublishedFile.withdrawn_at.is_null())  # noqa: E712
    hashes: dict[int, list[tuple[list[Any], str, str]]] = {}
    for f in files:
        hashes.setdefault(int(f["revision"]), []).append(
            (natural_order(f["filename"]), f["sha256"], str(f["id"]))
        )

    def names(code: str | None, find: Any) -> tuple[str, str]:
        found = find(code) if code else None
        return (found.name_latn, found.name_cyrl) if found else ("", "")

    out = [
        ExportRow(
            reference=row["reference"],
            revision=int(row["revision"]),
            title=row["title"],
            summary=row["summary"],
            # A retraction withdraws the body and the files; the title and the notice stay.
            body="" if row["retracted"] else row["body"],
            municipality=row["municipality"],
            district=row["district"],
            categories=list(json.loads(row["categories"])),
            incident_date=public_incident_date(row["incident_date"], row["incident_date_precision"]),
            incident_date_precision=row["incident_date_precision"],
            published_at=as_utc(row["published_at"]),
            status=public_status(row["retracted"]),
            file_sha256s=[]
            if row["retracted"]
            else [sha for _, sha, _ in sorted(hashes.get(int(row["id"]), []))],
            url=f"{base}/cases/{row['reference']}",
            file_urls=[]
            if row["retracted"]
            else [
                f"{base}/api/v1/public/cases/{row['reference']}/files/{file_id}"
                for _, _, file_id in sorted(hashes.get(int(row["id"]), []))
            ],
            municipality_name_latn=names(row["municipality"], municipality)[0],
            municipality_name_cyrl=names(row["municipality"], municipality)[1],
            district_name_latn=names(row["district"], district)[0],
            district_name_cyrl=names(row["district"], district)[1],
            actors=[
                {key: str(actor[key]) for key in ("id", "name", "kind", "role") if key in actor}
                for actor in json.loads(row["actors"] or "[]")
            ],
            referrals=[] if row["retracted"] else shown_referrals(json.loads(row["referrals"] or "[]")),
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
    "url",
    "file_urls",
    "municipality_name_latn",
    "municipality_name_cyrl",
    "district_name_latn",
    "district_name_cyrl",
    "actors",
    "referrals",
)


#: Cells a spreadsheet would run as a formula (CSV injection); such text gets a leading apostrophe.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


def _flat(referrals: list[PublicReferral]) -> list[PublicReferral]:
    """Referrals with their appeals after each, in one list."""
    return [item for r in referrals for item in [r, *_flat(r.appeals)]]


def _referral_cell(referral: PublicReferral) -> str:
    """``kind: institution, sent … due …, status`` (and the answer's date and outcome)."""
    answered = f", {referral.answer.outcome} {referral.answer.received_at}" if referral.answer else ""
    return (
        f"{referral.kind}: {referral.institution.name}, sent {referral.sent_at}, due {referral.due_at},"
        f" {referral.status}{answered}"
    )


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
                row.incident_date,
                row.incident_date_precision,
                row.published_at.isoformat().replace("+00:00", "Z"),
                row.status.value,
                ";".join(row.file_sha256s),
                row.url,
                ";".join(row.file_urls),
                row.municipality_name_latn,
                row.municipality_name_cyrl,
                row.district_name_latn,
                row.district_name_cyrl,
                _cell(";".join(f"{a.get('name', '')} ({a.get('role', '')})" for a in row.actors)),
                _cell(";".join(_referral_cell(r) for r in _flat(row.referrals))),
            ]
        )
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")
