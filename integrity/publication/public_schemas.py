"""What the public API returns (API.md "Public (no login)"): published text and files only."""

from __future__ import annotations

import datetime
import enum
import uuid

import msgspec


class PublicStatus(enum.StrEnum):
    published = "published"
    retracted = "retracted"


def public_incident_date(value: datetime.date, precision: str) -> str:
    """An incident date written no more precisely than the member knew it (ISO 8601 reduced
    precision), so a year or a month never reveals the day it is stored under."""
    if precision == "year":
        return f"{value.year:04d}"
    if precision == "month":
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


#: Incident date precisions, from the coarsest.
PRECISIONS = ("year", "month", "day")


def published_precision(case_precision: str, draft_precision: str | None) -> str:
    """The precision a case's incident date is published at: the case's, or the draft's when the
    review team chose a coarser one (never a finer one than the member knew)."""
    if draft_precision is None or PRECISIONS.index(draft_precision) > PRECISIONS.index(case_precision):
        return case_precision
    return draft_precision


def coarsened_incident_date(value: datetime.date, precision: str) -> datetime.date:
    """The date stored with a publication: the first day of its year or month when that is all the
    member knew, so the published tables hold no finer date than the case file shows."""
    if precision == "year":
        return value.replace(month=1, day=1)
    if precision == "month":
        return value.replace(day=1)
    return value


class PublicCaseItem(msgspec.Struct):
    """A case in the public list (its current revision)."""

    reference: str
    title: str
    summary: str
    municipality: str
    district: str | None
    categories: list[str]
    #: As precisely as the member knew it: "2026", "2026-03" or "2026-03-17".
    incident_date: str
    incident_date_precision: str
    published_at: datetime.datetime
    status: PublicStatus
    revision: int


class PublicCasePage(msgspec.Struct):
    items: list[PublicCaseItem]
    total: int
    page: int
    page_size: int


class PublicActorRef(msgspec.Struct):
    id: uuid.UUID
    name: str
    kind: str
    role: str
    aliases: list[str] = msgspec.field(default_factory=list)
    #: The actor page's address: ``/actors/{slug}`` (readable; it ends with the start of the id).
    slug: str = ""


class PublicFile(msgspec.Struct):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    #: The custody entry that recorded the creation of exactly these bytes.
    custody_seq: int
    #: The custody entry that recorded the upload of the original they were made from.
    source_seq: int
    #: Its pages (a PDF's, each also served as a picture: ``.../files/{id}/pages/{n}.png``).
    pages: int = 1


class Correction(msgspec.Struct):
    revision: int
    note: str
    published_at: datetime.datetime


class Retraction(msgspec.Struct):
    note: str
    retracted_at: datetime.datetime


class PublicInstitutionRef(msgspec.Struct):
    id: uuid.UUID
    name: str


class PublicAnswer(msgspec.Struct):
    received_at: datetime.date
    outcome: str


class PublicReferralDocument(msgspec.Struct):
    """One of the case's published files that is a document of the referral."""

    file_id: uuid.UUID
    #: ``sent``, ``delivery_proof``, ``answer`` or ``other``.
    role: str


class PublicReferral(msgspec.Struct):
    """A referral of the case to an institution, as published: its status and the days its
    answer is overdue are as of the day it is read."""

    kind: str
    institution: PublicInstitutionRef
    sent_at: datetime.date
    due_at: datetime.date
    status: str
    days_overdue: int
    answer: PublicAnswer | None
    appeals: list[PublicReferral]
    #: The public custody entry that recorded the referral (its day and its sending date).
    custody_seq: int | None = None
    #: Its documents among the case's published files (``files``).
    documents: list[PublicReferralDocument] = msgspec.field(default_factory=list)


class PublicReply(msgspec.Struct):
    """A person or institution the case names, asked to comment, and their reply (or none)."""

    actor: PublicInstitutionRef
    asked_at: datetime.date
    reply_by: datetime.date | None
    received_at: datetime.date | None
    text: str
    #: ``replied``, ``asked``, or ``no_reply`` once the date given has passed without one.
    status: str


class PublicCaseOut(msgspec.Struct, omit_defaults=True):
    """One revision of a published case file; `retraction` is present only once it was retracted."""

    reference: str
    revision: int
    latest_revision: int
    title: str
    summary: str
    body: str
    municipality: str
    district: str | None
    categories: list[str]
    #: As precisely as the member knew it: "2026", "2026-03" or "2026-03-17".
    incident_date: str
    incident_date_precision: str
    actors: list[PublicActorRef]
    files: list[PublicFile]
    published_at: datetime.datetime
    first_published_at: datetime.datetime
    #: Every correction of the case (revision 2 and later), oldest first.
    corrections: list[Correction]
    status: PublicStatus
    #: Where the network sent the case, and what came of it (``referrals.public``).
    referrals: list[PublicReferral]
    #: The right of reply: who was asked to comment, and what they said.
    replies: list[PublicReply]
    retraction: Retraction | None = None


class PublicActorOut(msgspec.Struct):
    """A shared actor and the published cases (current revisions) that name them."""

    id: uuid.UUID
    name: str
    kind: str
    cases: list[PublicCaseItem]
    aliases: list[str] = msgspec.field(default_factory=list)
    slug: str = ""
    #: The actor's role in each of those cases, by the case's reference.
    roles: dict[str, str] = msgspec.field(default_factory=dict)


class PublicStats(msgspec.Struct):
    """Counts of current published cases (retracted ones are counted apart, not in the breakdowns)."""

    total: int
    retracted: int
    by_category: dict[str, int]
    by_municipality: dict[str, int]
    by_district: dict[str, int]
    by_year: dict[str, int]


class ExportRow(msgspec.Struct):
    reference: str
    revision: int
    title: str
    summary: str
    body: str
    municipality: str
    district: str | None
    categories: list[str]
    #: As precisely as the member knew it: "2026", "2026-03" or "2026-03-17".
    incident_date: str
    incident_date_precision: str
    published_at: datetime.datetime
    status: PublicStatus
    file_sha256s: list[str]
    #: The case file's public page, and each file's download address (in the order of the hashes).
    url: str = ""
    file_urls: list[str] = msgspec.field(default_factory=list)
    #: The place's names in both scripts (the codes above are slugs).
    municipality_name_latn: str = ""
    municipality_name_cyrl: str = ""
    district_name_latn: str = ""
    district_name_cyrl: str = ""
    #: The public actors of the revision: id, name, kind, role.
    actors: list[dict[str, str]] = msgspec.field(default_factory=list)
    #: Where the case was sent, as the case file shows it (status as of the export's day).
    referrals: list[PublicReferral] = msgspec.field(default_factory=list)


class PublicExport(msgspec.Struct):
    items: list[ExportRow]
    total: int


class PublicInstitution(msgspec.Struct):
    """What an institution received in published cases and how it answered (as of today)."""

    id: uuid.UUID
    name: str
    received: int
    answered: int
    answered_in_time: int
    overdue_now: int
    median_days_to_answer: float | None


class PublicInstitutions(msgspec.Struct):
    items: list[PublicInstitution]


class PublicInstitutionReferral(msgspec.Struct):
    reference: str
    title: str
    kind: str
    sent_at: datetime.date
    due_at: datetime.date
    status: str
    days_overdue: int
    answer: PublicAnswer | None


class PublicInstitutionOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    figures: PublicInstitution
    referrals: list[PublicInstitutionReferral]
    #: How many of its answers came to each outcome.
    outcomes: dict[str, int] = msgspec.field(default_factory=dict)
