"""The Atom feed of publications, corrections and retractions."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from integrity.publication.search import REVISION_ID, as_utc
from integrity.publication.tables import PublicCase, PublishedRevision

FEED_LIMIT = 50


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


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
        .where(PublishedRevision.withdrawn_at.is_null())
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
