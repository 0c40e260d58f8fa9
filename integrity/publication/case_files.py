"""One published case file as the public reads it: its revisions, files and actors, downloads of
published files, and the files found by hash for /verify."""

from __future__ import annotations

import contextlib
import datetime
import json
import re
import uuid
from collections.abc import Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Protocol

import msgspec

from integrity.errors import Gone, NotFound, TamperedBlob
from integrity.publication.public_schemas import (
    Correction,
    PublicActorOut,
    PublicActorRef,
    PublicCaseOut,
    PublicFile,
    PublicReferral,
    PublicReply,
    Retraction,
    public_incident_date,
)
from integrity.publication.search import REVISION_ID, as_utc, case_items, public_status
from integrity.publication.tables import PublicCase, PublishedActor, PublishedFile, PublishedRevision
from integrity.redaction.pdfs import preview_pdf_page_png
from integrity.redaction.pool import run_in_worker
from integrity.reference import slugify
from integrity.referrals import public as referrals_public
from integrity.vault import SealedBlob, Vault


async def _public_case(reference: str) -> dict[str, Any]:
    row = await PublicCase.select().where(PublicCase.reference == reference).first()
    if row is None:
        raise NotFound("no published case has that reference", code="published_case_not_found")
    return row


def natural_order(name: str) -> list[Any]:
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
        PublishedFile.rendition.pages.as_alias("pages"),
    ).where((PublishedFile.revision == revision_id) & PublishedFile.withdrawn_at.is_null())
    files = [
        PublicFile(
            id=row["id"],
            filename=row["filename"],
            content_type=row["content_type"],
            size=int(row["size"]),
            sha256=row["sha256"],
            custody_seq=int(row["custody_seq"]),
            source_seq=int(row["source_seq"]),
            pages=int(row["pages"] or 1),
        )
        for row in rows
    ]
    return sorted(files, key=lambda f: natural_order(f.filename))


_CASE_COLUMNS = (
    REVISION_ID,
    PublishedRevision.revision,
    PublishedRevision.title,
    PublishedRevision.summary,
    PublishedRevision.body,
    PublishedRevision.municipality,
    PublishedRevision.district,
    PublishedRevision.categories,
    PublishedRevision.incident_date,
    PublishedRevision.incident_date_precision,
    PublishedRevision.actors,
    PublishedRevision.referrals,
    PublishedRevision.replies,
    PublishedRevision.published_at,
    PublishedRevision.correction_note,
    PublishedRevision.withdrawn_at,
    PublishedRevision.withdrawal_reason,
)


def tombstone(what: str, withdrawn_at: datetime.datetime, reason: str | None) -> Gone:
    """The 410 answer for something withdrawn: the date and the reason category, nothing else."""
    day = as_utc(withdrawn_at).date().isoformat()
    return Gone(f"{what} was withdrawn on {day} (reason: {reason or 'other'})", code="withdrawn")


async def get_case(reference: str, revision: int | None = None) -> PublicCaseOut:
    """The latest revision of a published case, or revision `revision` (from 1)."""
    case, _ = await get_case_and_last_modified(reference, revision)
    return case


async def get_case_and_last_modified(
    reference: str, revision: int | None = None
) -> tuple[PublicCaseOut, datetime.datetime]:
    """`get_case`, and when the case last changed (its Last-Modified), in three queries: the case,
    all its revisions (the one shown and the corrections), the files of the one shown."""
    public = await _public_case(reference)
    number = int(public["latest_revision"]) if revision is None else revision
    revisions = (
        await PublishedRevision.select(*_CASE_COLUMNS)
        .where(PublishedRevision.public_case == public["id"])
        .order_by(PublishedRevision.revision)
    )
    row = next((r for r in revisions if int(r["revision"]) == number), None)
    if row is None:
        raise NotFound("the case has no such revision", code="revision_not_found")
    if row["withdrawn_at"] is not None:
        raise tombstone(f"revision {number} of {reference}", row["withdrawn_at"], row["withdrawal_reason"])
    corrections = [r for r in revisions if int(r["revision"]) > 1 and r["withdrawn_at"] is None]
    retraction = None
    if public["retracted"]:
        retraction = Retraction(
            note=public["retraction_note"] or "",
            retracted_at=as_utc(public["retracted_at"] or public["updated_at"]),
        )
    files = [] if public["retracted"] else await _files(int(row["id"]))
    case = PublicCaseOut(
        reference=public["reference"],
        revision=int(row["revision"]),
        latest_revision=int(public["latest_revision"]),
        title=row["title"],
        # A retraction keeps the title and the notice; the text and the files are withdrawn.
        summary=row["summary"],
        body="" if public["retracted"] else row["body"],
        municipality=row["municipality"],
        district=row["district"],
        categories=list(json.loads(row["categories"])),
        incident_date=public_incident_date(row["incident_date"], row["incident_date_precision"]),
        incident_date_precision=row["incident_date_precision"],
        actors=[
            PublicActorRef(
                id=uuid.UUID(a["id"]),
                name=a["name"],
                kind=a["kind"],
                role=a["role"],
                aliases=list(a.get("aliases", [])),
                slug=actor_slug(uuid.UUID(a["id"]), a["name"]),
            )
            for a in json.loads(row["actors"])
        ],
        files=files,
        published_at=as_utc(row["published_at"]),
        first_published_at=as_utc(public["first_published_at"]),
        corrections=[
            Correction(
                revision=int(c["revision"]),
                note=c["correction_note"] or "",
                published_at=as_utc(c["published_at"]),
            )
            for c in corrections
        ],
        status=public_status(public["retracted"]),
        # A retraction withdraws the referrals and replies with the text.
        referrals=[] if public["retracted"] else _referrals(row["referrals"], files),
        replies=[] if public["retracted"] else _replies(row["replies"]),
        retraction=retraction,
    )
    return case, as_utc(public["updated_at"])


class _Shown(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def source_seq(self) -> int: ...


def shown_referrals(stored: list[dict[str, Any]], files: Sequence[_Shown] = ()) -> list[PublicReferral]:
    """Referrals as a revision keeps them, as the public reads them today; a referral's documents
    are those of ``files`` (the revision's published files) made from its documents."""
    by_source = {f.source_seq: f.id for f in files}

    def resolved(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for item in items:
            item["documents"] = [
                {"file_id": str(by_source[d["source_seq"]]), "role": d["role"]}
                for d in item.get("documents", [])
                if d["source_seq"] in by_source
            ]
            resolved(item["appeals"])
        return items

    return msgspec.convert(resolved(referrals_public.timeline(stored)), list[PublicReferral], strict=False)


def shown_replies(stored: list[dict[str, Any]]) -> list[PublicReply]:
    return msgspec.convert(referrals_public.replies_shown(stored), list[PublicReply], strict=False)


def _referrals(stored: str | None, files: Sequence[_Shown]) -> list[PublicReferral]:
    return shown_referrals(json.loads(stored or "[]"), files)


def _replies(stored: str | None) -> list[PublicReply]:
    return shown_replies(json.loads(stored or "[]"))


@dataclass(frozen=True)
class PublicDownload:
    filename: str
    content_type: str
    size: int
    sha256: str
    blob: SealedBlob
    pages: int = 1


async def prepare_download(reference: str, file_id: uuid.UUID) -> PublicDownload:
    """A file of any revision of a published case: what it is and the sealed blob of its bytes."""
    row = (
        await PublishedFile.select(
            PublishedFile.filename,
            PublishedFile.content_type,
            PublishedFile.size,
            PublishedFile.sha256,
            PublishedFile.withdrawn_at,
            PublishedFile.withdrawal_reason,
            PublishedFile.revision._.public_case._.retracted.as_alias("retracted"),
            PublishedFile.revision._.public_case._.retracted_at.as_alias("retracted_at"),
            PublishedFile.revision.reference.as_alias("reference"),
            PublishedFile.rendition.blob_id.as_alias("blob_id"),
            PublishedFile.rendition.wrapped_key.as_alias("wrapped_key"),
            PublishedFile.rendition.key_id.as_alias("key_id"),
            PublishedFile.rendition.size.as_alias("blob_size"),
            PublishedFile.rendition.sha256.as_alias("blob_sha256"),
            PublishedFile.rendition.pages.as_alias("pages"),
        )
        .where(PublishedFile.id == file_id)
        .first()
    )
    if row is None or row["reference"] != reference or row["blob_id"] is None:
        raise NotFound("no published file with that id in this case", code="published_file_not_found")
    if row["withdrawn_at"] is not None:
        raise tombstone("the file", row["withdrawn_at"], row["withdrawal_reason"])
    if row["retracted"]:
        raise tombstone("the case was retracted: the file", row["retracted_at"], "retraction")
    if row["blob_sha256"] != row["sha256"] or int(row["blob_size"]) != int(row["size"]):
        # The copy's row no longer holds what was published (a swapped reference): refuse.
        raise TamperedBlob("the published file does not match its record", code="blob_swapped")
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
        pages=int(row["pages"] or 1),
    )


#: The width of a published PDF page drawn as a picture for reading in the page.
PAGE_PICTURE_SIDE = 1400


async def published_page_png(vault: Vault, reference: str, file_id: uuid.UUID, page: int) -> bytes:
    """Page ``page`` of a published PDF as a PNG, for reading it in the case file's page (every
    published PDF is made of page pictures already: nothing appears that the file does not show)."""
    download = await prepare_download(reference, file_id)
    if download.content_type != "application/pdf":
        raise NotFound("only a PDF has pages to show", code="page_not_found")
    if not 1 <= page <= download.pages:
        raise NotFound(f"the file has pages 1 to {download.pages}", code="page_not_found")
    data = bytearray()
    async with aclosing(vault.open(download.blob)) as chunks:
        async for chunk in chunks:
            data += chunk
    return await run_in_worker(preview_pdf_page_png, bytes(data), page, PAGE_PICTURE_SIDE)


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
            PublishedActor.revision.reference.as_alias("reference"),
        )
        .where((PublishedActor.actor_id == actor_id) & (PublishedActor.revision.is_current == True))  # noqa: E712
        .order_by(PublishedActor.revision.published_at, ascending=False)
        .order_by(PublishedActor.revision.id, ascending=False)
    )
    name = kind = None
    aliases: list[str] = []
    ids: list[int] = []
    roles: dict[str, str] = {}
    for row in rows:
        named = [a for a in json.loads(row["actors"]) if a.get("id") == str(actor_id)]
        if not named:
            continue  # the revision does not show them after all: never guess
        if name is None:
            # As the newest publication shows them.
            name, kind, aliases = named[0]["name"], named[0]["kind"], list(named[0].get("aliases", []))
        if int(row["revision_id"]) not in ids:
            ids.append(int(row["revision_id"]))
            roles[row["reference"]] = str(named[0].get("role", ""))
    if name is None or kind is None:
        raise NotFound("no published case names that actor", code="actor_not_published")
    return PublicActorOut(
        id=actor_id,
        name=name,
        kind=kind,
        cases=await case_items(ids),
        roles=roles,
        aliases=aliases,
        slug=actor_slug(actor_id, name),
    )


#: The end of an actor page's address: the first twelve hex digits of the actor's id.
SLUG_ID = re.compile(r"-([0-9a-f]{12})$")


def actor_slug(actor_id: uuid.UUID, name: str) -> str:
    """The actor page's readable address, ``/actors/{slug}``: the name in ASCII, then the start of
    the id, which finds the actor again when the name is corrected."""
    return f"{slugify(name) or 'actor'}-{actor_id.hex[:12]}"


async def actor_of_slug(slug: str) -> uuid.UUID | None:
    """The published actor an address names: by the start of its id (the name part may be out of
    date); None when no published actor's id starts so, or more than one does and the name does
    not tell them apart."""
    found = SLUG_ID.search(slug)
    if found is None:
        return None
    start = found.group(1)
    low = uuid.UUID(f"{start}{'0' * 20}")
    high = uuid.UUID(f"{start}{'f' * 20}")
    rows = await (
        PublishedActor.select(PublishedActor.actor_id)
        .where((PublishedActor.actor_id >= low) & (PublishedActor.actor_id <= high))
        .distinct()
    )
    ids = [uuid.UUID(str(row["actor_id"])) for row in rows]
    if len(ids) == 1:
        return ids[0]
    for candidate in ids:
        with contextlib.suppress(NotFound):
            if (await get_actor(candidate)).slug == slug:
                return candidate
    return None


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
        PublishedFile.revision._.public_case._.retracted.as_alias("retracted"),
    ).where((PublishedFile.sha256 == sha256) & PublishedFile.withdrawn_at.is_null())
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
