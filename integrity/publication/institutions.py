"""Institutions as the public sees them: what each received in published cases and how it
answered (counts by outcome, answered in time, overdue now, the median days to an answer), and a
ranking by those figures with filters by kind, municipality and year.

Read from ``PublishedReferral`` (one row per referral a current revision shows), so only what went
out through the publication draft counts; the status is as of the day it is read.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import statistics
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import msgspec
from piccolo.custom_types import Combinable

from integrity import db
from integrity.errors import NotFound
from integrity.publication.cache import public_fingerprint
from integrity.publication.public_schemas import (
    PublicAnswer,
    PublicInstitution,
    PublicInstitutionOut,
    PublicInstitutionReferral,
)
from integrity.publication.tables import InstitutionRanking, PublishedReferral
from integrity.reference import municipality, referral_kind
from integrity.referrals import deadlines

log = logging.getLogger(__name__)

#: The earliest year a kept ranking may be filtered by (referrals are recorded from 1990).
EARLIEST_YEAR = 1990


@dataclass(frozen=True)
class InstitutionFilters:
    kind: str | None = None
    municipality: str | None = None
    year: int | None = None


def _where(filters: InstitutionFilters) -> Combinable:
    where: Combinable = (
        (PublishedReferral.revision.is_current == True)  # noqa: E712
        & PublishedReferral.revision.withdrawn_at.is_null()
        & (PublishedReferral.revision._.public_case._.retracted == False)  # noqa: E712
    )
    if filters.kind:
        where &= PublishedReferral.kind == filters.kind
    if filters.municipality:
        where &= PublishedReferral.municipality == filters.municipality
    if filters.year:
        where &= (PublishedReferral.sent_at >= datetime.date(filters.year, 1, 1)) & (
            PublishedReferral.sent_at <= datetime.date(filters.year, 12, 31)
        )
    return where


_COLUMNS = (
    PublishedReferral.institution,
    PublishedReferral.institution_name,
    PublishedReferral.kind,
    PublishedReferral.sent_at,
    PublishedReferral.due_at,
    PublishedReferral.answered_at,
    PublishedReferral.outcome,
    PublishedReferral.closed,
)


def _figures(institution: uuid.UUID, rows: list[dict[str, Any]], on: datetime.date) -> PublicInstitution:
    answered = [row for row in rows if row["answered_at"] is not None]
    days = [(row["answered_at"] - row["sent_at"]).days for row in answered]
    return PublicInstitution(
        id=institution,
        # As the newest referral to it names it.
        name=max(rows, key=lambda row: row["sent_at"])["institution_name"],
        received=len(rows),
        answered=len(answered),
        answered_in_time=sum(1 for row in answered if row["answered_at"] <= row["due_at"]),
        overdue_now=sum(
            1 for row in rows if row["answered_at"] is None and not row["closed"] and row["due_at"] < on
        ),
        median_days_to_answer=float(statistics.median(days)) if days else None,
    )


def _grouped(rows: Iterable[dict[str, Any]]) -> dict[uuid.UUID, list[dict[str, Any]]]:
    groups: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(uuid.UUID(str(row["institution"])), []).append(row)
    return groups


def _filter_sql(filters: InstitutionFilters) -> tuple[str, list[Any]]:
    """The FROM and WHERE over the referrals current, standing revisions show (``p``)."""
    sql = (
        "FROM published_referral AS p JOIN published_revision AS r ON r.id = p.revision "
        "JOIN public_case AS c ON c.id = r.public_case "
        "WHERE r.is_current = {} AND r.withdrawn_at IS NULL AND c.retracted = {}"
    )
    params: list[Any] = [True, False]
    if filters.kind:
        sql += " AND p.kind = {}"
        params.append(filters.kind)
    if filters.municipality:
        sql += " AND p.municipality = {}"
        params.append(filters.municipality)
    if filters.year:
        sql += " AND p.sent_at >= {} AND p.sent_at <= {}"
        params += [datetime.date(filters.year, 1, 1), datetime.date(filters.year, 12, 31)]
    return sql, params


async def ranking(filters: InstitutionFilters) -> list[PublicInstitution]:
    """Every institution that received a published referral, most overdue first, then the most
    referred: one kept row, when nothing public has changed and the day has not turned since the
    ranking for these filters was last counted; otherwise counted again (``_count``) and kept."""
    on = deadlines.today()
    fingerprint = await public_fingerprint()
    state = hashlib.sha256(repr((fingerprint, on.isoformat())).encode()).hexdigest()
    scope = _scope(filters, on)
    if scope is not None:
        kept = (
            await InstitutionRanking.select(InstitutionRanking.state, InstitutionRanking.figures)
            .where(InstitutionRanking.scope == scope)
            .first()
        )
        if kept is not None and kept["state"] == state:
            return msgspec.json.decode(kept["figures"], type=list[PublicInstitution])
    figures = await _count(filters, on)
    if scope is not None:
        await _keep(scope, state, figures)
    return figures


def _scope(filters: InstitutionFilters, on: datetime.date) -> str | None:
    """The key the ranking for these filters is kept under; None for filters no published referral
    can match (an unknown kind or place, a year outside the platform's), which are only counted:
    what is kept is bounded by the reference data, however many addresses are asked for."""
    if filters.kind and referral_kind(filters.kind) is None:
        return None
    if filters.municipality and municipality(filters.municipality) is None:
        return None
    if filters.year and not EARLIEST_YEAR <= filters.year <= on.year + 1:
        return None
    return f"kind={filters.kind or ''}&municipality={filters.municipality or ''}&year={filters.year or ''}"


async def _keep(scope: str, state: str, figures: list[PublicInstitution]) -> None:
    """Keep the figures for the next reader; a reader that cannot write (the database busy with a
    publication) still gets its answer, and the next one counts again."""
    try:
        await InstitutionRanking.raw(
            "INSERT INTO institution_ranking (scope, state, figures) VALUES ({}, {}, {}) "
            "ON CONFLICT (scope) DO UPDATE SET state = excluded.state, figures = excluded.figures",
            scope,
            state,
            msgspec.json.encode(figures).decode(),
        )
    except Exception as exc:  # noqa: BLE001 - only the kept copy is lost; the answer stands
        log.warning("the institutions' ranking was not kept: %s", type(exc).__name__)


async def _count(filters: InstitutionFilters, on: datetime.date) -> list[PublicInstitution]:
    """The ranking counted in the database: two grouped queries, however many referrals there are."""
    source, params = _filter_sql(filters)
    overdue = "p.answered_at IS NULL AND p.closed = {} AND p.due_at < {}"
    counts_sql = (
        "SELECT p.institution AS institution, max(p.institution_name) AS name, count(*) AS received, "
        "count(p.answered_at) AS answered, "
        "sum(CASE WHEN p.answered_at <= p.due_at THEN 1 ELSE 0 END) AS in_time, "
        f"sum(CASE WHEN {overdue} THEN 1 ELSE 0 END) AS overdue {source} GROUP BY p.institution"
    )
    counts = await PublishedReferral.raw(counts_sql, False, on, *params)
    # The median of the days to an answer: the middle one (or the mean of the middle two) of each
    # institution's answered referrals, in SQL that SQLite and PostgreSQL both run.
    if db.is_postgres():
        days = "(p.answered_at - p.sent_at)"
    else:
        days = "CAST(julianday(p.answered_at) - julianday(p.sent_at) AS INTEGER)"
    # Only our own fragments go into the text; every value is bound.
    medians_sql = (
        "SELECT institution, avg(days) AS median FROM ("  # noqa: S608
        f"SELECT p.institution AS institution, {days} AS days, "
        f"row_number() OVER (PARTITION BY p.institution ORDER BY {days}) AS n, "
        f"count(*) OVER (PARTITION BY p.institution) AS total {source} AND p.answered_at IS NOT NULL"
        ") AS answered WHERE n IN ((total + 1) / 2, (total + 2) / 2) GROUP BY institution"
    )
    medians = await PublishedReferral.raw(medians_sql, *params)
    median = {str(row["institution"]): float(row["median"]) for row in medians}
    figures = [
        PublicInstitution(
            id=uuid.UUID(str(row["institution"])),
            name=row["name"],
            received=int(row["received"]),
            answered=int(row["answered"]),
            answered_in_time=int(row["in_time"] or 0),
            overdue_now=int(row["overdue"] or 0),
            median_days_to_answer=median.get(str(row["institution"])),
        )
        for row in counts
    ]
    return sorted(figures, key=lambda f: (-f.overdue_now, -f.received, f.name))


async def institution(institution_id: uuid.UUID) -> PublicInstitutionOut:
    """One institution's figures and the published referrals it received, newest first."""
    on = deadlines.today()
    rows = (
        await PublishedReferral.select(
            *_COLUMNS,
            PublishedReferral.revision.reference.as_alias("reference"),
            PublishedReferral.revision.title.as_alias("title"),
        )
        .where(_where(InstitutionFilters()) & (PublishedReferral.institution == institution_id))
        .order_by(PublishedReferral.sent_at, ascending=False)
    )
    if not rows:
        raise NotFound("no published case was sent to that institution", code="institution_not_found")
    figures = _figures(institution_id, rows, on)
    referrals = []
    for row in rows:
        status, late = deadlines.status(
            row["sent_at"],
            row["due_at"],
            answered=row["answered_at"] is not None,
            closed=row["closed"],
            on=on,
        )
        referrals.append(
            PublicInstitutionReferral(
                reference=row["reference"],
                title=row["title"],
                kind=row["kind"],
                sent_at=row["sent_at"],
                due_at=row["due_at"],
                status=status,
                days_overdue=late,
                answer=PublicAnswer(received_at=row["answered_at"], outcome=row["outcome"] or "")
                if row["answered_at"]
                else None,
            )
        )
    outcomes: dict[str, int] = {}
    for row in rows:
        if row["answered_at"] is not None and row["outcome"]:
            outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
    return PublicInstitutionOut(
        id=institution_id, name=figures.name, figures=figures, referrals=referrals, outcomes=outcomes
    )
