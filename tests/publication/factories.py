"""Published cases for tests of the public side, written as the publishing side writes them.

    publisher = Publisher(app)
    case = await publisher.publish(title="...", body="...", files=[samples.png()])
    await publisher.correct(case, note="Dates fixed", title="...")
    await publisher.retract(case, note="...")

A case is filed, uploaded and submitted through the cases service (so its private side is real: a
sealed narrative, protected actors, originals in the vault, an internal note), then the publication
rows are inserted directly: a `PublicCase`, an immutable `PublishedRevision` per revision, a
`PublishedFile` per published rendition (a real blob in the app's vault with its `Rendition` row and
custody entry) and `PublishedActor` rows for the current revision's shared actors.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Litestar

from integrity.accounts.members import principal_from
from integrity.accounts.tables import Member
from integrity.cases import evidence, submission
from integrity.cases import service as cases_service
from integrity.cases.schemas import CaseIn
from integrity.cases.tables import Case, CaseActor, CaseStatus, CommentKind
from integrity.context import provide_service_context
from integrity.custody import service as custody
from integrity.http.multipart import iter_form_parts
from integrity.publication import cache as public_cache
from integrity.publication.revisions import next_public_reference
from integrity.publication.search import place_names, search_text
from integrity.publication.tables import (
    PublicCase,
    PublishedActor,
    PublishedFile,
    PublishedRevision,
    Rendition,
)
from integrity.redaction.pdfs import pdf_page_count
from integrity.reference import municipality
from integrity.review import actors as review_actors
from integrity.review import service as review
from integrity.review.actors import ActorLinkIn
from integrity.security.guards import Principal
from tests import samples

_serial = itertools.count(1)
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}


@dataclass
class PublishedFileInfo:
    id: uuid.UUID
    revision: int
    content: bytes
    sha256: str
    filename: str


@dataclass
class PublishedCase:
    reference: str
    case_id: uuid.UUID
    public_case_id: int
    submitter: Principal
    #: Shared actors by name (those shown publicly) and protected ones (never shown).
    actor_ids: dict[str, uuid.UUID]
    protected_actor_ids: dict[str, uuid.UUID]
    files: list[PublishedFileInfo] = field(default_factory=list)
    #: sha256 of every original upload (published ones were re-made, so their originals stay private).
    original_sha256s: list[str] = field(default_factory=list)
    withheld_sha256s: list[str] = field(default_factory=list)
    #: Ids of every original upload and of every rendition (internal ids, never public).
    attachment_ids: list[uuid.UUID] = field(default_factory=list)
    rendition_ids: list[uuid.UUID] = field(default_factory=list)
    revision: int = 1
    #: The current public content, for building the next revision.
    content: dict[str, Any] = field(default_factory=dict)


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Publisher:
    def __init__(self, app: Litestar) -> None:
        self.app = app
        self.ctx = provide_service_context(app.state)
        self._reviewer: Principal | None = None

    async def member(
        self, role: str = "member", *, email: str | None = None, name: str | None = None
    ) -> Principal:
        serial = next(_serial)
        member = Member(
            id=uuid.uuid4(),
            email=email or f"publisher-{role}-{serial}-{uuid.uuid4().hex[:6]}@example.org",
            display_name=name or f"{role.title()} {serial}",
            role=role,
            password_hash="!",  # never logs in
            totp_enabled=role != "member",
        )
        await Member.insert(member)
        return principal_from(member, via="session", credential_id=member.id, signer=self.ctx.signer)

    async def reviewer(self) -> Principal:
        if self._reviewer is None:
            self._reviewer = await self.member("reviewer")
        return self._reviewer

    async def publish(
        self,
        *,
        title: str = "Nameštena javna nabavka",
        summary: str = "Ugovor je dodeljen povezanoj firmi.",
        body: str = "Opštinska uprava je raspisala tender sa uslovima koje ispunjava jedna firma.",
        municipality_code: str = "cacak",
        categories: list[str] | None = None,
        incident_date: datetime.date = datetime.date(2025, 3, 14),
        precision: str = "day",
        shared_actors: Sequence[tuple[str, str]] = (),
        protected_actors: Sequence[str] = (),
        files: Sequence[bytes] = (),
        withheld: Sequence[bytes] = (),
        published_at: datetime.datetime | None = None,
        private_title: str = "Interni naslov prijave",
        narrative: str = "Prijava podnosioca, sa detaljima koji nisu za javnost.",
        internal_note: str | None = None,
        original_filename: str = "original",
        submitter: Principal | None = None,
    ) -> PublishedCase:
        """File, submit and publish a case. `shared_actors` are (name, kind) and shown publicly;
        `files` are the published renditions' bytes (each made from an original upload that stays
        private); `withheld` files are uploaded and never published."""
        submitter = submitter or await self.member()
        actors: list[dict[str, Any]] = [
            {"name": name, "kind": kind, "role": "institution_involved"} for name, kind in shared_actors
        ]
        actors += [
            {"name": name, "kind": "person", "role": "witness", "protect_identity": True}
            for name in protected_actors
        ]
        data = msgspec.convert(
            {
                "title": private_title,
                "narrative": narrative,
                "incident_date": incident_date.isoformat(),
                "incident_date_precision": precision,
                "municipality": municipality_code,
                "categories": categories or ["procurement_public_money"],
                "actors": actors,
            },
            CaseIn,
        )
        case = await cases_service.create_case(self.ctx, submitter, data)
        # Every published file is made from an original that differs from it (a marker in a text
        # chunk), as a redaction would be.
        originals = [samples.png(f"original {uuid.uuid4().hex}".encode()) for _ in files]
        uploads = [(f"{original_filename}-{n}.png", content) for n, content in enumerate(originals, 1)]
        uploads += [
            (f"{original_filename}-withheld-{n}.txt", content) for n, content in enumerate(withheld, 1)
        ]
        stored = await self._upload(submitter, case.id, uploads) if uploads else []
        await submission.submit_case(self.ctx, submitter, case.id)
        # The reviewer links the actors to be shown publicly to shared records (the same name in
        # two cases is one record, so an actor page lists both).
        for actor in case.actors:
            if not actor.protect_identity:
                await review_actors.link_actor(
                    self.ctx, await self.reviewer(), case.id, actor.actor_id, ActorLinkIn(name=actor.name)
                )
        if internal_note:
            await review.add_comment(
                self.ctx, await self.reviewer(), case.id, internal_note, CommentKind.note
            )
        await Case.update({Case.status: CaseStatus.published.value}).where(Case.id == case.id)

        linked = await CaseActor.select(
            CaseActor.actor.id.as_alias("id"),
            CaseActor.actor.kind.as_alias("kind"),
            CaseActor.actor.name.as_alias("name"),
            CaseActor.role,
            CaseActor.protect_identity,
        ).where(CaseActor.case == case.id)
        actor_ids = {row["name"]: row["id"] for row in linked if not row["protect_identity"]}
        protected_ids = dict(
            zip(protected_actors, [r["id"] for r in linked if r["protect_identity"]], strict=True)
        )
        public_actors = [
            {"id": str(row["id"]), "name": row["name"], "kind": row["kind"], "role": row["role"]}
            for row in linked
            if not row["protect_identity"]
        ]

        renditions = []
        for content, attachment in zip(files, stored, strict=False):
            renditions.append(await self._rendition(submitter, attachment, content))

        now = published_at or utc_now()
        reference = await next_public_reference(now.year)
        await PublicCase.insert(
            PublicCase(
                case=case.id,
                reference=reference,
                latest_revision=1,
                first_published_at=now,
                updated_at=now,
            )
        )
        public_row = await PublicCase.select(PublicCase.id).where(PublicCase.case == case.id).first()
        published = PublishedCase(
            reference=reference,
            case_id=case.id,
            public_case_id=int(public_row["id"]),
            submitter=submitter,
            actor_ids=actor_ids,
            protected_actor_ids=protected_ids,
            original_sha256s=[a["sha256"] for a in stored[: len(files)]],
            withheld_sha256s=[a["sha256"] for a in stored[len(files) :]],
            attachment_ids=[a["id"] for a in stored],
            rendition_ids=[r["id"] for r in renditions],
            content={
                "title": title,
                "summary": summary,
                "body": body,
                "municipality": municipality_code,
                "categories": categories or ["procurement_public_money"],
                "incident_date": incident_date,
                "precision": precision,
                "actors": public_actors,
                "renditions": renditions,
            },
        )
        await self._write_revision(published, 1, now, correction_note=None)
        # As the review workflow does once a publication commits.
        public_cache.invalidate_all()
        return published

    async def correct(
        self,
        published: PublishedCase,
        *,
        note: str,
        published_at: datetime.datetime | None = None,
        **changes: Any,
    ) -> None:
        """A new current revision with `changes` to the public content (title, summary, body,
        categories, actors...), keeping the files."""
        now = published_at or utc_now()
        published.content.update(changes)
        number = published.revision + 1
        await PublishedRevision.update({PublishedRevision.is_current: False}).where(
            PublishedRevision.public_case == published.public_case_id
        )
        await PublicCase.update({PublicCase.latest_revision: number, PublicCase.updated_at: now}).where(
            PublicCase.id == published.public_case_id
        )
        await self._write_revision(published, number, now, correction_note=note)
        published.revision = number
        public_cache.invalidate_all()

    async def retract(
        self, published: PublishedCase, *, note: str, at: datetime.datetime | None = None
    ) -> None:
        now = at or utc_now()
        await PublicCase.update(
            {
                PublicCase.retracted: True,
                PublicCase.retraction_note: note,
                PublicCase.retracted_at: now,
                PublicCase.updated_at: now,
            }
        ).where(PublicCase.id == published.public_case_id)
        public_cache.invalidate_all()

    # -- the pieces ------------------------------------------------------------------------------

    async def _upload(
        self, submitter: Principal, case_id: uuid.UUID, files: list[tuple[str, bytes]]
    ) -> list[Any]:
        body, content_type = samples.multipart(files)

        async def once() -> Any:
            yield body

        stored = await evidence.add_attachments(
            self.ctx, submitter, case_id, iter_form_parts(once(), content_type, max_part_bytes=1 << 24)
        )
        return [{"id": a.id, "sha256": a.sha256, "custody_seq": a.custody_seq} for a in stored]

    async def _rendition(
        self, creator: Principal, attachment: dict[str, Any], content: bytes
    ) -> dict[str, Any]:
        async def once() -> Any:
            yield content

        blob = await self.app.state.vault.put(once())
        rendition_id = uuid.uuid4()
        entry = await custody.record(
            self.ctx.signer,
            actor_id=str(creator.id),
            action="rendition.created",
            subject=f"rendition:{rendition_id}",
            details={"attachment": str(attachment["id"]), "sha256": blob.sha256, "size": blob.size},
        )
        content_type = _content_type(content)
        await Rendition.insert(
            Rendition(
                id=rendition_id,
                attachment=attachment["id"],
                kind="redacted",
                blob_id=blob.blob_id,
                wrapped_key=blob.wrapped_key,
                key_id=blob.key_id,
                size=blob.size,
                sha256=blob.sha256,
                content_type=content_type,
                extension=EXTENSIONS[content_type],
                created_by=creator.id,
                custody_seq=entry.seq,
                pages=pdf_page_count(content) if content_type == "application/pdf" else 1,
            )
        )
        return {
            "id": rendition_id,
            "content": content,
            "sha256": blob.sha256,
            "size": blob.size,
            "content_type": content_type,
            "extension": EXTENSIONS[content_type],
            "custody_seq": entry.seq,
            "source_seq": int(attachment["custody_seq"]),
        }

    async def _write_revision(
        self, published: PublishedCase, number: int, at: datetime.datetime, *, correction_note: str | None
    ) -> None:
        c = published.content
        place = municipality(c["municipality"])
        revision = PublishedRevision(
            public_case=published.public_case_id,
            reference=published.reference,
            revision=number,
            title=c["title"],
            summary=c["summary"],
            body=c["body"],
            municipality=c["municipality"],
            district=place.district if place else None,
            categories=json.dumps(c["categories"]),
            incident_date=c["incident_date"],
            incident_date_precision=c["precision"],
            actors=json.dumps(c["actors"], ensure_ascii=False),
            published_at=at,
            correction_note=correction_note,
            search_text=search_text(
                c["title"],
                c["summary"],
                c["body"],
                [a["name"] for a in c["actors"]],
                place_names(c["municipality"]),
            ),
            is_current=True,
        )
        await revision.save()
        seqs = []
        for n, rendition in enumerate(c["renditions"], 1):
            file_id = uuid.uuid4()
            filename = f"{published.reference}-{n}.{rendition['extension']}"
            await PublishedFile.insert(
                PublishedFile(
                    id=file_id,
                    revision=revision.id,
                    rendition=rendition["id"],
                    filename=filename,
                    content_type=rendition["content_type"],
                    size=rendition["size"],
                    sha256=rendition["sha256"],
                    custody_seq=rendition["custody_seq"],
                    source_seq=rendition["source_seq"],
                )
            )
            published.files.append(
                PublishedFileInfo(
                    id=file_id,
                    revision=number,
                    content=rendition["content"],
                    sha256=rendition["sha256"],
                    filename=filename,
                )
            )
            seqs += [rendition["custody_seq"], rendition["source_seq"]]
        for actor in c["actors"]:
            await PublishedActor.insert(PublishedActor(actor_id=uuid.UUID(actor["id"]), revision=revision.id))
        await custody.mark_public(seqs)


def _content_type(content: bytes) -> str:
    if content.startswith(b"\x89PNG"):
        return "image/png"
    if content.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if content.startswith(b"%PDF"):
        return "application/pdf"
    raise ValueError("published files in tests are PNG, JPEG or PDF")


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
