"""Takedowns: two editors withdraw a published revision, or one file of it, from the public.

One editor asks (with a reason category, the only thing the public will be told besides the
date); another confirms. From then on the revision's text and files, or the one file, answer 410
with a tombstone everywhere the public reads them, and leave the list, search, feed, open data and
actor pages (a withdrawn current revision stops being current); the public cache is dropped. The
custody log records both steps and keeps every entry, including those of withdrawn files.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from piccolo.columns import Column

from integrity import db
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import Forbidden, Invalid, NotFound, WrongState
from integrity.publication import cache as public_cache
from integrity.publication.renditions import team_case_row
from integrity.publication.schemas import TakedownIn, TakedownOut
from integrity.publication.tables import (
    PublicCase,
    PublishedActor,
    PublishedFile,
    PublishedRevision,
    Takedown,
    TakedownStatus,
)
from integrity.security.guards import Principal
from integrity.security.roles import EDITOR


def _out(row: dict[str, Any]) -> TakedownOut:
    return TakedownOut(
        id=row["id"],
        status=row["status"],
        revision=int(row["revision"]),
        attachment_id=row["attachment"],
        reason_category=row["reason_category"],
        proposed_by=row["proposed_by"],
        proposed_at=row["proposed_at"],
    )


async def _editor_case(principal: Principal, case_id: uuid.UUID) -> dict[str, Any]:
    row = await team_case_row(principal, case_id)
    if principal.role != EDITOR:
        raise Forbidden("only editors withdraw what was published", code="takedown_editors_only")
    return row


async def _revision_row(case_id: uuid.UUID, revision: int) -> dict[str, Any]:
    public = await PublicCase.select(PublicCase.id).where(PublicCase.case == case_id).first()
    if public is None:
        raise WrongState("the case has not been published", code="case_not_published")
    row = (
        await PublishedRevision.select()
        .where((PublishedRevision.public_case == public["id"]) & (PublishedRevision.revision == revision))
        .first()
    )
    if row is None:
        raise Invalid("the case has no such revision", code="revision_not_found", field="revision")
    return row


async def _files_of(revision_id: int, attachment_id: uuid.UUID) -> list[int | uuid.UUID]:
    rows = await PublishedFile.select(PublishedFile.id).where(
        (PublishedFile.revision == revision_id) & (PublishedFile.rendition.attachment == attachment_id)
    )
    return [row["id"] for row in rows]


async def propose(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, data: TakedownIn
) -> TakedownOut:
    await _editor_case(principal, case_id)
    revision = await _revision_row(case_id, data.revision)
    if revision["withdrawn_at"] is not None:
        raise WrongState("that revision has been withdrawn already", code="already_withdrawn")
    if data.attachment_id is not None and not await _files_of(int(revision["id"]), data.attachment_id):
        raise Invalid(
            "no copy of that file was published in that revision",
            code="file_not_published",
            field="attachment_id",
        )
    takedown_id = uuid.uuid4()
    async with db.transaction():
        await Takedown.insert(
            Takedown(
                id=takedown_id,
                case=case_id,
                revision=data.revision,
                attachment=data.attachment_id,
                reason_category=data.reason_category.value,
                status=TakedownStatus.pending,
                proposed_by=principal.id,
                proposed_at=datetime.datetime.now(datetime.UTC),
            )
        )
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="case.takedown_proposed",
            subject=f"case:{case_id}",
            details={
                "takedown": str(takedown_id),
                "revision": data.revision,
                "file": data.attachment_id is not None,
                "reason_category": data.reason_category.value,
            },
        )
    row = await Takedown.select().where(Takedown.id == takedown_id).first()
    assert row is not None
    return _out(row)


async def list_takedowns(principal: Principal, case_id: uuid.UUID) -> list[TakedownOut]:
    await team_case_row(principal, case_id)
    rows = await Takedown.select().where(Takedown.case == case_id).order_by(Takedown.proposed_at)
    return [_out(row) for row in rows]


async def confirm(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, takedown_id: uuid.UUID
) -> TakedownOut:
    await _editor_case(principal, case_id)
    async with db.transaction():
        await custody.lock_log()
        row = await Takedown.select().where((Takedown.id == takedown_id) & (Takedown.case == case_id)).first()
        if row is None:
            raise NotFound("no such takedown", code="takedown_not_found")
        if row["status"] != TakedownStatus.pending:
            raise WrongState("the takedown has been carried out already", code="takedown_done")
        if row["proposed_by"] == principal.id:
            raise WrongState(
                "a takedown is confirmed by an editor other than the one who asked for it (four eyes)",
                code="four_eyes_takedown",
            )
        revision = await _revision_row(case_id, int(row["revision"]))
        now = datetime.datetime.now(datetime.UTC)
        withdrawn: dict[Column | str, Any] = {
            PublishedFile.withdrawn_at: now,
            PublishedFile.withdrawal_reason: row["reason_category"],
        }
        if row["attachment"] is None:
            await PublishedRevision.update(
                {
                    PublishedRevision.withdrawn_at: now,
                    PublishedRevision.withdrawal_reason: row["reason_category"],
                    # Out of the list, search, feed, open data and actor pages.
                    PublishedRevision.is_current: False,
                }
            ).where(PublishedRevision.id == revision["id"])
            await PublishedActor.delete().where(PublishedActor.revision == revision["id"])
            await PublishedFile.update(withdrawn).where(PublishedFile.revision == revision["id"])
        else:
            files = await _files_of(int(revision["id"]), row["attachment"])
            await PublishedFile.update(withdrawn).where(PublishedFile.id.is_in(files))
        await PublicCase.update({PublicCase.updated_at: now}).where(PublicCase.case == case_id)
        await Takedown.update(
            {
                Takedown.status: TakedownStatus.confirmed,
                Takedown.confirmed_by: principal.id,
                Takedown.confirmed_at: now,
            }
        ).where(Takedown.id == takedown_id)
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="case.takedown_confirmed",
            subject=f"case:{case_id}",
            details={"takedown": str(takedown_id), "revision": int(row["revision"])},
        )
    # Readers of this process stop getting it at once; other processes within their revalidation.
    public_cache.invalidate_all()
    done = await Takedown.select().where(Takedown.id == takedown_id).first()
    assert done is not None
    return _out(done)
