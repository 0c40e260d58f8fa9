"""What the public API returns (API.md "Public (no login)"): published text and files only."""

from __future__ import annotations

import datetime
import enum
import uuid

import msgspec


class PublicStatus(enum.StrEnum):
    published = "published"
    retracted = "retracted"


class PublicCaseItem(msgspec.Struct):
    """A case in the public list (its current revision)."""

    reference: str
    title: str
    summary: str
    municipality: str
    district: str | None
    categories: list[str]
    incident_date: datetime.date
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


class Correction(msgspec.Struct):
    revision: int
    note: str
    published_at: datetime.datetime


class Retraction(msgspec.Struct):
    note: str
    retracted_at: datetime.datetime


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
    incident_date: datetime.date
    incident_date_precision: str
    actors: list[PublicActorRef]
    files: list[PublicFile]
    published_at: datetime.datetime
    first_published_at: datetime.datetime
    #: Every correction of the case (revision 2 and later), oldest first.
    corrections: list[Correction]
    status: PublicStatus
    retraction: Retraction | None = None


class PublicActorOut(msgspec.Struct):
    """A shared actor and the published cases (current revisions) that name them."""

    id: uuid.UUID
    name: str
    kind: str
    cases: list[PublicCaseItem]


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
    incident_date: datetime.date
    incident_date_precision: str
    published_at: datetime.datetime
    status: PublicStatus
    file_sha256s: list[str]


class PublicExport(msgspec.Struct):
    items: list[ExportRow]
    total: int
