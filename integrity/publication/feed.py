"""The Atom feeds of publications, corrections and retractions: of everything, or of one
municipality, one category or one actor; titled in the reader's language and styled so that a
browser shows them as a page."""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from piccolo.custom_types import Combinable

from integrity.publication.search import REVISION_ID, as_utc
from integrity.publication.tables import PublicCase, PublishedActor, PublishedReferral, PublishedRevision
from integrity.referrals import deadlines

FEED_LIMIT = 50


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class FeedEvent:
    #: "published", "corrected", "retracted"; or, for a published referral, "referral_sent",
    #: "referral_answered", "referral_overdue" (its answer newly overdue).
    kind: str
    reference: str
    revision: int
    title: str
    summary: str
    note: str | None
    at: datetime.datetime
    #: For a referral's event: the institution, and what tells its entry apart.
    institution: str = ""
    tag: str = ""


@dataclass(frozen=True)
class FeedFilter:
    """Which events a feed holds: those of cases in one municipality or district, of one category,
    or naming one actor (the case's current revision decides; None: every case)."""

    municipality: str | None = None
    category: str | None = None
    actor: uuid.UUID | None = None
    district: str | None = None

    @property
    def empty(self) -> bool:
        return all(value is None for value in (self.municipality, self.category, self.actor, self.district))


async def _references(wanted: FeedFilter) -> list[str]:
    """The references of the cases whose current revision matches ``wanted``."""
    where: Combinable = PublishedRevision.is_current == True  # noqa: E712
    if wanted.municipality is not None:
        where &= PublishedRevision.municipality == wanted.municipality
    if wanted.district is not None:
        where &= PublishedRevision.district == wanted.district
    if wanted.category is not None:
        # Category codes are slugs: the quoted code occurs in the JSON list only as itself.
        where &= PublishedRevision.categories.like(f'%"{wanted.category}"%')
    if wanted.actor is not None:
        where &= REVISION_ID.is_in(
            PublishedActor.select(PublishedActor.revision).where(PublishedActor.actor_id == wanted.actor)
        )
    return [
        row["reference"] for row in await PublishedRevision.select(PublishedRevision.reference).where(where)
    ]


async def feed_events(limit: int = FEED_LIMIT, wanted: FeedFilter | None = None) -> list[FeedEvent]:
    """Publications, corrections and retractions, newest first (only those of the cases
    ``wanted`` chooses)."""
    references = None if wanted is None or wanted.empty else await _references(wanted)
    if references is not None and not references:
        return []
    chosen: Combinable = PublishedRevision.withdrawn_at.is_null()
    retracted: Combinable = PublicCase.retracted == True  # noqa: E712
    if references is not None:
        chosen &= PublishedRevision.reference.is_in(references)
        retracted &= PublicCase.reference.is_in(references)
    revisions = (
        await PublishedRevision.select(
            PublishedRevision.reference,
            PublishedRevision.revision,
            PublishedRevision.title,
            PublishedRevision.summary,
            PublishedRevision.correction_note,
            PublishedRevision.published_at,
        )
        .where(chosen)
        .order_by(PublishedRevision.published_at, ascending=False)
        .order_by(REVISION_ID, ascending=False)
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
        .where(retracted)
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
            at=as_utc(r["published_at"]),
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
                    at=as_utc(r["retracted_at"] or r["updated_at"]),
                )
            )
    events += await _referral_events(references, limit)
    events.sort(key=lambda e: (e.at, e.kind == "retracted", e.revision), reverse=True)
    return events[:limit]


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.UTC)


async def _referral_events(references: list[str] | None, limit: int) -> list[FeedEvent]:
    """The referrals current revisions show: sent, answered, and (once the deadline has passed
    with no answer) overdue; the newest ``limit`` of each."""
    chosen: Combinable = (
        (PublishedReferral.revision.is_current == True)  # noqa: E712
        & PublishedReferral.revision.withdrawn_at.is_null()
        & (PublishedReferral.revision._.public_case._.retracted == False)  # noqa: E712
    )
    if references is not None:
        chosen &= PublishedReferral.revision.reference.is_in(references)
    columns = (
        PublishedReferral._meta.primary_key.as_alias("id"),
        PublishedReferral.institution_name,
        PublishedReferral.sent_at,
        PublishedReferral.due_at,
        PublishedReferral.answered_at,
        PublishedReferral.revision.reference.as_alias("reference"),
        PublishedReferral.revision.revision.as_alias("revision"),
        PublishedReferral.revision.title.as_alias("title"),
    )
    today = deadlines.today()
    sent = (
        await PublishedReferral.select(*columns)
        .where(chosen)
        .order_by(PublishedReferral.sent_at, ascending=False)
        .limit(limit)
    )
    answered = (
        await PublishedReferral.select(*columns)
        .where(chosen & PublishedReferral.answered_at.is_not_null())
        .order_by(PublishedReferral.answered_at, ascending=False)
        .limit(limit)
    )
    overdue = (
        await PublishedReferral.select(*columns)
        .where(
            chosen
            & PublishedReferral.answered_at.is_null()
            & (PublishedReferral.closed == False)  # noqa: E712
            & (PublishedReferral.due_at < today)
        )
        .order_by(PublishedReferral.due_at, ascending=False)
        .limit(limit)
    )

    def event(row: dict[str, Any], kind: str, day: datetime.date) -> FeedEvent:
        return FeedEvent(
            kind=kind,
            reference=row["reference"],
            revision=int(row["revision"]),
            title=row["title"],
            summary="",
            note=None,
            at=_midnight(day),
            institution=row["institution_name"],
            tag=f"{row['sent_at'].isoformat()}-{row['id']}",
        )

    return (
        [event(row, "referral_sent", row["sent_at"]) for row in sent]
        + [event(row, "referral_answered", row["answered_at"]) for row in answered]
        + [event(row, "referral_overdue", row["due_at"] + datetime.timedelta(days=1)) for row in overdue]
    )


#: Characters XML 1.0 cannot carry at all (lxml refuses them); published text should have none.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("", text)


@dataclass(frozen=True)
class FeedTexts:
    """What a feed says around its entries, in the reader's language (the controller translates).
    ``corrected`` and ``retracted`` hold ``{title}``; ``script`` writes published text in the
    reader's script."""

    title: str = "Integrity Network: published cases"
    subtitle: str = "Publications, corrections and retractions of case files"
    corrected: str = "Correction: {title}"
    retracted: str = "Retracted: {title}"
    script: Callable[[str], str] = str
    #: Referrals' events hold ``{institution}`` too.
    referral_sent: str = "Sent to {institution}: {title}"
    referral_answered: str = "{institution} answered: {title}"
    referral_overdue: str = "{institution}'s answer is overdue: {title}"


#: The stylesheet a browser shows the feed with (a feed reader ignores it).
STYLESHEET = "/static/css/feed.css"


def atom_feed(
    events: list[FeedEvent],
    base_url: str,
    *,
    path: str = "/feed.atom",
    page: str = "/",
    texts: FeedTexts | None = None,
) -> bytes:
    """The Atom document (RFC 4287) for `events`; every link is built from `base_url`: the feed's
    own at ``path`` (with its query), the page it belongs to at ``page``."""
    from feedgen.feed import FeedGenerator

    words = texts or FeedTexts()
    titles = {
        "published": "{title}",
        "corrected": words.corrected,
        "retracted": words.retracted,
        "referral_sent": words.referral_sent,
        "referral_answered": words.referral_answered,
        "referral_overdue": words.referral_overdue,
    }
    base = base_url.rstrip("/")
    feed = FeedGenerator()
    feed.id(f"{base}{path}")
    feed.title(_xml_text(words.title))
    feed.subtitle(_xml_text(words.subtitle))
    feed.author({"name": "Integrity Network"})
    feed.link(href=f"{base}{path}", rel="self", type="application/atom+xml")
    feed.link(href=f"{base}{page}", rel="alternate", type="text/html")
    # A fixed `updated` when there is nothing yet keeps the document (and its ETag) stable.
    feed.updated(events[0].at if events else _EPOCH)
    # feedgen writes entries in reverse order of adding them: add the oldest first.
    for event in reversed(events):
        entry = feed.add_entry()
        page = f"{base}/cases/{event.reference}"
        entry.id(f"{page}#{event.kind}-{event.tag or event.revision}")
        title = titles[event.kind].format(
            title=words.script(event.title), institution=words.script(event.institution)
        )
        entry.title(_xml_text(title))
        # One link only: feedgen 1.0 writes an entry's links without their rel and type, so a
        # second one would make two "alternate" links of one type, which RFC 4287 forbids.
        entry.link(href=page, rel="alternate", type="text/html")
        entry.updated(event.at)
        entry.published(event.at)
        parts = [words.script(event.summary)]
        if event.note:
            parts.insert(0, words.script(event.note))
        entry.summary(_xml_text("\n\n".join(p for p in parts if p)))
        entry.category(term=event.kind)
    document: bytes = feed.atom_str(pretty=False)
    # After the XML declaration: a browser opening the feed shows it styled, as a page.
    declaration, _, rest = document.partition(b"?>")
    return declaration + b'?>\n<?xml-stylesheet type="text/css" href="' + STYLESHEET.encode() + b'"?>' + rest
