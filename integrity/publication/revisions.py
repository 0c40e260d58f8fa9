"""What the public will see: the preview of the public version, and the published revisions written
by publish and correct (and withdrawn by retract)."""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass
from typing import Any

from integrity.cases.sealing import CaseKey, case_key
from integrity.cases.tables import CaseCategory, CaseStatus
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import Invalid, WrongState
from integrity.publication import case_files
from integrity.publication.drafts import Draft, draft_digest, file_decisions, load_draft, public_actors_of
from integrity.publication.public_schemas import (
    coarsened_incident_date,
    public_incident_date,
    published_precision,
)
from integrity.publication.renditions import attachment_row, read_blob, redaction_kind, team_case_row
from integrity.publication.schemas import (
    PreviewOut,
    PublicActorOut,
    PublicFileOut,
)
from integrity.publication.search import place_names, search_text
from integrity.publication.tables import (
    Decision,
    ProposalKind,
    PublicationDraft,
    PublicCase,
    PublicChangeProposal,
    PublishedActor,
    PublishedFile,
    PublishedReferral,
    PublishedRevision,
    Rendition,
)
from integrity.redaction import (
    pdf_page_count,
    run_in_worker,
)
from integrity.reference import municipality
from integrity.referrals import public as referrals_public
from integrity.security.guards import Principal

#: Public references: `IN-<year of first publication>-<nnnn>`, numbered in the order of publication,
#: so their numbers count published cases only (the cases' own references, `PR-...`, count filings).
PUBLIC_PREFIX = "IN"


async def next_public_reference(year: int) -> str:
    """The reference the next case published in `year` gets; call it under the custody lock (the
    publishing transaction holds it), so two publications never take the same number."""
    rows = await PublicCase.select(PublicCase.reference).where(
        PublicCase.reference.like(f"{PUBLIC_PREFIX}-{year}-%")
    )
    last = max((int(r["reference"].rsplit("-", 1)[1]) for r in rows), default=0)
    return f"{PUBLIC_PREFIX}-{year}-{last + 1:04d}"


async def public_reference(case_id: uuid.UUID, *, year: int) -> str:
    """The case's public reference, or the one it would get if it were published now."""
    public = await PublicCase.select(PublicCase.reference).where(PublicCase.case == case_id).first()
    return public["reference"] if public else await next_public_reference(year)


async def _revision_content(
    ctx: ServiceContext, row: dict[str, Any], reference: str
) -> tuple[Draft, list[PublicActorOut], list[dict[str, Any]], list[str]]:
    key = case_key(ctx, row)
    draft = await load_draft(key, row["id"])
    if draft is None:
        raise WrongState("there is no publication draft yet", code="no_draft")
    actors = await public_actors_of(row["id"], draft.actor_ids)
    files = []
    number = 0
    for item in await file_decisions(row["id"]):
        if (
            item["decision"] in (Decision.publish_redacted, Decision.publish_as_filed)
            and item["rendition_id"]
        ):
            rendition = await Rendition.select().where(Rendition.id == item["rendition_id"]).first()
            if rendition is None:  # the decision's foreign key is set to null when a rendition goes
                raise RuntimeError(f"rendition {item['rendition_id']} is missing")
            number += 1
            files.append(
                {
                    "rendition": rendition,
                    "filename": f"{reference}-{number}.{rendition['extension']}",
                    "source_seq": item["source_seq"],
                }
            )
    categories = [
        c["code"]
        for c in await CaseCategory.select(CaseCategory.code)
        .where(CaseCategory.case == row["id"])
        .order_by(CaseCategory.id)
    ]
    return draft, actors, files, categories


async def preview(ctx: ServiceContext, principal: Principal, case_id: uuid.UUID) -> PreviewOut:
    row = await team_case_row(principal, case_id)
    reference = await public_reference(case_id, year=datetime.datetime.now(datetime.UTC).year)
    draft, actors, files, categories = await _revision_content(ctx, row, reference)
    precision = published_precision(row["incident_date_precision"], draft.incident_date_precision)
    shown_referrals, shown_replies = await referrals_public.snapshot(
        case_key(ctx, row), case_id, draft.referral_ids, draft.reply_ids
    )
    public = await PublicCase.select().where(PublicCase.case == case_id).first()
    # Right after a publication, the draft is what the public reads now (its latest revision); a
    # change to it would go out as the next one.
    current = (
        public is not None
        and row["status"] == CaseStatus.published
        and await _published_digest(case_id) == await draft_digest(case_key(ctx, row), case_id)
    )
    shown_files = [
        PublicFileOut(
            id=f["rendition"]["id"],
            filename=f["filename"],
            content_type=f["rendition"]["content_type"],
            size=int(f["rendition"]["size"]),
            sha256=f["rendition"]["sha256"],
            custody_seq=int(f["rendition"]["custody_seq"]),
            source_seq=f["source_seq"],
        )
        for f in files
    ]
    return PreviewOut(
        reference=reference,
        revision=public["latest_revision"] + (0 if current else 1) if public else 1,
        current=current,
        title=draft.title,
        summary=draft.summary,
        body=draft.body,
        municipality=row["municipality"],
        categories=categories,
        incident_date=public_incident_date(row["incident_date"], precision),
        incident_date_precision=precision,
        actors=actors,
        files=shown_files,
        published_at=None,
        corrections=[],
        referrals=case_files.shown_referrals(shown_referrals, shown_files),
        replies=case_files.shown_replies(shown_replies),
    )


async def _published_digest(case_id: uuid.UUID) -> str | None:
    """The digest of the draft the latest revision was published from (what was approved, or the
    correction confirmed since)."""
    row = (
        await PublicationDraft.select(PublicationDraft.approved_digest)
        .where(PublicationDraft.case == case_id)
        .first()
    )
    return row["approved_digest"] if row else None


async def record_published_digest(case_id: uuid.UUID, digest: str) -> None:
    """After a confirmed correction: the draft its revision was published from."""
    await PublicationDraft.update({PublicationDraft.approved_digest: digest}).where(
        PublicationDraft.case == case_id
    )


async def write_revision(
    ctx: ServiceContext, row: dict[str, Any], *, correction_note: str | None
) -> dict[str, Any]:
    """Inside the transition's transaction: write the next immutable revision from the draft and
    open the custody entries of its files to the public. Returns details for the custody entry."""
    now = datetime.datetime.now(datetime.UTC)
    reference = await public_reference(row["id"], year=now.year)
    draft, actors, files, categories = await _revision_content(ctx, row, reference)
    precision = published_precision(row["incident_date_precision"], draft.incident_date_precision)
    shown_referrals, shown_replies = await referrals_public.snapshot(
        case_key(ctx, row), row["id"], draft.referral_ids, draft.reply_ids
    )
    public = await PublicCase.select().where(PublicCase.case == row["id"]).first()
    if public is None:
        await PublicCase.insert(
            PublicCase(
                case=row["id"],
                reference=reference,
                latest_revision=1,
                first_published_at=now,
                updated_at=now,
            )
        )
        public = await PublicCase.select().where(PublicCase.case == row["id"]).first()
        if public is None:
            raise RuntimeError(f"the public case of case {row['id']} was not written")
        number = 1
    else:
        number = int(public["latest_revision"]) + 1
        await PublicCase.update({PublicCase.latest_revision: number, PublicCase.updated_at: now}).where(
            PublicCase.id == public["id"]
        )
        await PublishedRevision.update({PublishedRevision.is_current: False}).where(
            PublishedRevision.public_case == public["id"]
        )
    place = municipality(row["municipality"])
    revision = PublishedRevision(
        public_case=public["id"],
        reference=reference,
        revision=number,
        title=draft.title,
        summary=draft.summary,
        body=draft.body,
        municipality=row["municipality"],
        district=place.district if place else None,
        categories=json.dumps(categories),
        incident_date=coarsened_incident_date(row["incident_date"], precision),
        incident_date_precision=precision,
        actors=json.dumps(
            [
                {"id": str(a.id), "name": a.name, "kind": a.kind, "role": a.role, "aliases": a.aliases}
                for a in actors
            ],
            ensure_ascii=False,
        ),
        referrals=json.dumps(shown_referrals, ensure_ascii=False),
        replies=json.dumps(shown_replies, ensure_ascii=False),
        published_at=now,
        correction_note=correction_note,
        search_text=search_text(
            draft.title,
            draft.summary,
            draft.body,
            [name for a in actors for name in (a.name, *a.aliases)],
            place_names(row["municipality"]),
        ),
        is_current=True,
    )
    await revision.save()
    public_seqs = []
    for f in files:
        rendition = f["rendition"]
        await PublishedFile.insert(
            PublishedFile(
                revision=revision.id,
                rendition=rendition["id"],
                filename=f["filename"],
                content_type=rendition["content_type"],
                size=rendition["size"],
                sha256=rendition["sha256"],
                custody_seq=rendition["custody_seq"],
                source_seq=f["source_seq"],
            )
        )
        public_seqs += [int(rendition["custody_seq"]), f["source_seq"]]
    for actor in actors:
        await PublishedActor.insert(PublishedActor(actor_id=actor.id, revision=revision.id))
    for shown in shown_referrals:
        answer = shown["answer"] or {}
        await PublishedReferral.insert(
            PublishedReferral(
                revision=revision.id,
                institution=uuid.UUID(shown["institution"]["id"]),
                institution_name=shown["institution"]["name"][:200],
                kind=shown["kind"],
                municipality=row["municipality"],
                sent_at=datetime.date.fromisoformat(shown["sent_at"]),
                due_at=datetime.date.fromisoformat(shown["due_at"]),
                answered_at=datetime.date.fromisoformat(answer["received_at"]) if answer else None,
                outcome=answer.get("outcome"),
                closed=shown["closed_at"] is not None,
            )
        )
    public_seqs += [int(r["custody_seq"]) for r in shown_referrals if r.get("custody_seq")]
    await custody.mark_public(public_seqs)
    return {
        "reference": reference,
        "revision": number,
        "files": [f["rendition"]["sha256"] for f in files],
    }


async def retract_publication(row: dict[str, Any], note: str) -> dict[str, Any]:
    now = datetime.datetime.now(datetime.UTC)
    public = await PublicCase.select().where(PublicCase.case == row["id"]).first()
    if public is None:
        raise WrongState("the case has not been published", code="case_not_published")
    await PublicCase.update(
        {
            PublicCase.retracted: True,
            PublicCase.retraction_note: note,
            PublicCase.retracted_at: now,
            PublicCase.updated_at: now,
        }
    ).where(PublicCase.id == public["id"])
    # The retraction withdraws the body and the files (the title and the notice stay): the case is
    # no longer found by the words of its body.
    current = (
        await PublishedRevision.select()
        .where((PublishedRevision.public_case == public["id"]) & (PublishedRevision.is_current == True))  # noqa: E712
        .first()
    )
    if current is not None:
        names = [actor["name"] for actor in json.loads(current["actors"])]
        await PublishedRevision.update(
            {
                PublishedRevision.search_text: search_text(
                    current["title"], current["summary"], "", names, place_names(current["municipality"])
                )
            }
        ).where(PublishedRevision.id == current["id"])
    return {"reference": public["reference"]}


@dataclass(frozen=True)
class Proposal:
    kind: ProposalKind
    reason: str
    draft_digest: str | None
    proposed_by: uuid.UUID
    proposed_at: datetime.datetime


async def propose_change(
    key: CaseKey,
    case_id: uuid.UUID,
    kind: ProposalKind,
    reason: str,
    principal: Principal,
    digest: str | None,
) -> None:
    """Record a correction or retraction for a second editor to confirm (replacing any earlier
    proposal); call it in the proposing step's transaction."""
    await PublicChangeProposal.delete().where(PublicChangeProposal.case == case_id)
    await PublicChangeProposal.insert(
        PublicChangeProposal(
            case=case_id,
            kind=kind.value,
            reason_sealed=key.seal("proposal:reason", reason),
            draft_digest=digest,
            proposed_by=principal.id,
            proposed_at=datetime.datetime.now(datetime.UTC),
        )
    )


async def load_proposal(key: CaseKey, case_id: uuid.UUID) -> Proposal | None:
    row = await PublicChangeProposal.select().where(PublicChangeProposal.case == case_id).first()
    if row is None:
        return None
    return Proposal(
        kind=ProposalKind(row["kind"]),
        reason=key.open_text("proposal:reason", row["reason_sealed"]),
        draft_digest=row["draft_digest"],
        proposed_by=row["proposed_by"],
        proposed_at=row["proposed_at"],
    )


async def proposal_fact(case_id: uuid.UUID) -> tuple[str, uuid.UUID] | None:
    """(kind, who proposed it) of the case's pending proposal, for the workflow's rules."""
    query = PublicChangeProposal.select(PublicChangeProposal.kind, PublicChangeProposal.proposed_by)
    row = await query.where(PublicChangeProposal.case == case_id).first()
    return (row["kind"], row["proposed_by"]) if row else None


async def drop_proposal(case_id: uuid.UUID) -> None:
    await PublicChangeProposal.delete().where(PublicChangeProposal.case == case_id)


async def published_revision_numbers(case_id: uuid.UUID) -> list[int]:
    """The case's revisions the public can still read (none if it was never published)."""
    rows = await PublishedRevision.select(PublishedRevision.revision).where(
        (PublishedRevision.public_case.case == case_id) & PublishedRevision.withdrawn_at.is_null()
    )
    return sorted(int(row["revision"]) for row in rows)


async def page_count(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, attachment_id: uuid.UUID
) -> int:
    """How many pages the redaction tool offers for a file (1 for an image)."""
    await team_case_row(principal, case_id)
    attachment = await attachment_row(case_id, attachment_id)
    kind = redaction_kind(attachment["content_type"])
    if kind is None:
        raise Invalid("this type of file has no page preview", code="no_page_preview")
    if kind == "image":
        return 1
    return await run_in_worker(pdf_page_count, await read_blob(ctx, attachment))
