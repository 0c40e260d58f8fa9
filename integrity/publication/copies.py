"""Copies of files made on the job queue: redactions (boxes burned into a copy rebuilt from pixels)
and the cleaned copy "publish as filed" publishes.

Rendering a long PDF takes a while, so it is a job (``integrity.jobs``), and the need for it is a
``CopyRequest`` row: ``pending`` until a job claims it (``running``, with a heartbeat), then ``done``
with the ``Rendition`` made, or ``failed`` with the error. The request that asked for the copy waits
for it a short while (``WAIT_SECONDS``), so a file of ordinary size is answered with its copy as
before; a longer one is answered "being made" and shows up when done. Where no queue runs in this
process (a command, or ``INTEGRITY_JOBS=worker`` on the embedded default), the copy is made in the
request, as the job would.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from typing import Any

import anyio

from integrity.cases.blobs import require_stored
from integrity.cases.tables import Attachment
from integrity.context import ServiceContext
from integrity.errors import (
    DatabaseUnavailable,
    Gone,
    IntegrityError,
    Invalid,
    NotFound,
    StorageUnavailable,
    WrongState,
)
from integrity.jobs.queue import MAKE_COPY
from integrity.publication.renditions import (
    DRAFT_STATES,
    attachment_row,
    read_blob,
    redaction_kind,
    rendition_out,
    store_rendition,
    team_case_row,
)
from integrity.publication.schemas import BoxIn, CopyPendingOut, RenditionOut
from integrity.publication.tables import CheckState, CopyRequest, Rendition
from integrity.redaction import Box, clean_image, clean_pdf, redact_image, redact_pdf, run_in_worker
from integrity.redaction.pool import DEFAULT_TIMEOUT
from integrity.security.guards import Principal

__all__ = [
    "WAIT_SECONDS",
    "being_made",
    "cleaned_rendition",
    "create_redaction",
    "make_requested",
    "pending_ids",
    "requeue_abandoned",
]

log = logging.getLogger(__name__)

#: How long a request waits for its copy before answering that it is being made.
WAIT_SECONDS = 30.0
#: A claim older than this was lost with its process (one copy takes at most ``DEFAULT_TIMEOUT``).
ABANDONED_AFTER = datetime.timedelta(seconds=2 * DEFAULT_TIMEOUT)
#: How often a waiting request looks at its row.
POLL_SECONDS = 0.1

#: Errors a failed request is raised again as, by status.
_ERRORS: dict[int, type[IntegrityError]] = {409: WrongState, 404: NotFound, 410: Gone}


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


async def create_redaction(
    ctx: ServiceContext,
    principal: Principal,
    case_id: uuid.UUID,
    attachment_id: uuid.UUID,
    boxes: list[BoxIn],
) -> RenditionOut | CopyPendingOut:
    """Burn ``boxes`` into a copy of the file, rebuilt from pixels; the original is never touched.
    Answers the copy, or (a long file) that it is being made."""
    row = await team_case_row(principal, case_id)
    if row["status"] not in DRAFT_STATES:
        raise WrongState(
            f"files are redacted while the case is in review, not while it is {row['status']}",
            code="redaction_closed",
        )
    attachment = await attachment_row(case_id, attachment_id)
    if redaction_kind(attachment["content_type"]) is None:
        raise Invalid(
            "this type of file has no redaction path yet: it can only be withheld", code="no_redaction_path"
        )
    if not boxes:
        raise Invalid(
            "draw at least one box (to publish without boxes, choose publish as filed)",
            code="boxes_missing",
            field="boxes",
        )
    request_id = await _request(ctx, principal, attachment, "redacted", boxes)
    made = await _wait(request_id)
    if made is None:
        return CopyPendingOut(id=request_id, attachment_id=attachment_id, state="pending")
    return rendition_out(made)


async def cleaned_rendition(
    ctx: ServiceContext, principal: Principal, attachment: dict[str, Any]
) -> uuid.UUID | None:
    """The metadata-free copy "publish as filed" publishes (made once per attachment); None while
    it is still being made (it is attached to the file's decision when done)."""
    existing = (
        await Rendition.select(Rendition.id)
        .where((Rendition.attachment == attachment["id"]) & (Rendition.kind == "cleaned"))
        .first()
    )
    if existing is not None:
        return existing["id"]
    asked = (
        await CopyRequest.select(CopyRequest.id)
        .where(
            (CopyRequest.attachment == attachment["id"])
            & (CopyRequest.kind == "cleaned")
            & CopyRequest.state.is_in([CheckState.pending, CheckState.running])
        )
        .first()
    )
    request_id = asked["id"] if asked else await _request(ctx, principal, attachment, "cleaned", [])
    made = await _wait(request_id)
    return made["id"] if made else None


async def _request(
    ctx: ServiceContext, principal: Principal, attachment: dict[str, Any], kind: str, boxes: list[BoxIn]
) -> uuid.UUID:
    require_stored(attachment)  # a shredded original makes no more copies
    request_id = uuid.uuid4()
    await CopyRequest.insert(
        CopyRequest(
            id=request_id,
            attachment=attachment["id"],
            kind=kind,
            boxes=json.dumps([[b.page, b.x, b.y, b.width, b.height] for b in boxes]),
            requested_by=principal.id,
        )
    )
    queued = ctx.jobs is not None and await ctx.jobs.defer(
        MAKE_COPY, lock=f"copy:{request_id}", request_id=str(request_id)
    )
    if not queued:
        # No queue takes jobs in this process: make it here, as the job would.
        await make_requested(ctx, request_id)
    return request_id


async def _wait(request_id: uuid.UUID) -> dict[str, Any] | None:
    """The rendition made for the request (None if it is still being made after
    ``WAIT_SECONDS``); a failed request raises its error again."""
    deadline = anyio.current_time() + WAIT_SECONDS
    while True:
        row = await CopyRequest.select().where(CopyRequest.id == request_id).first()
        if row is None:
            raise NotFound("no such copy request", code="copy_not_found")
        if row["state"] == CheckState.done:
            made = await Rendition.select().where(Rendition.id == row["rendition"]).first()
            if made is None:
                raise NotFound("the copy was removed", code="copy_not_found")
            return made
        if row["state"] == CheckState.failed:
            error = _ERRORS.get(row["problem_status"] or 422, Invalid)
            raise error(row["problem_detail"] or "the copy could not be made", code=row["problem"])
        if anyio.current_time() >= deadline:
            return None
        await anyio.sleep(POLL_SECONDS)


async def _claim(request_id: uuid.UUID) -> dict[str, Any] | None:
    claimed = (
        await CopyRequest.update({CopyRequest.state: CheckState.running, CopyRequest.claimed_at: _now()})
        .where((CopyRequest.id == request_id) & (CopyRequest.state == CheckState.pending))
        .returning(*CopyRequest.all_columns())
    )
    return claimed[0] if claimed else None


async def make_requested(ctx: ServiceContext, request_id: uuid.UUID) -> CheckState | None:
    """The queue's job: make the copy if the request is still waiting (None when another job has
    it, or it was made already); returns the state it ends in (``pending`` again when something
    passing, such as the evidence store being down, interrupted it)."""
    request = await _claim(request_id)
    if request is None:
        return None
    try:
        attachment = await Attachment.select().where(Attachment.id == request["attachment"]).first()
        if attachment is None:
            raise NotFound("the file is gone", code="file_not_found")
        original = await read_blob(ctx, attachment)
        boxes = [BoxIn(page, x, y, w, h) for page, x, y, w, h in json.loads(request["boxes"])]
        image = redaction_kind(attachment["content_type"]) == "image"
        if request["kind"] == "cleaned":
            result = await run_in_worker(clean_image if image else clean_pdf, original)
        else:
            drawn = [Box(page=b.page, x=b.x, y=b.y, width=b.width, height=b.height) for b in boxes]
            result = await run_in_worker(redact_image if image else redact_pdf, original, drawn)
        stored = await store_rendition(
            ctx,
            request["requested_by"],
            attachment,
            result.content,
            kind=request["kind"],
            content_type=result.content_type,
            extension=result.extension,
            pages=result.pages,
            boxes=boxes,
        )
    except IntegrityError as exc:
        if isinstance(exc, StorageUnavailable | DatabaseUnavailable):  # passing: make it later
            log.warning("a copy was interrupted (%s); it will be made again", exc.code)
            await CopyRequest.update(
                {CopyRequest.state: CheckState.pending, CopyRequest.claimed_at: None}
            ).where(CopyRequest.id == request_id)
            return CheckState.pending
        await _fail(request_id, exc.code, exc.status_code, exc.detail)
        return CheckState.failed
    except anyio.get_cancelled_exc_class():
        # The worker is stopping: back to pending, for the next one.
        with anyio.CancelScope(shield=True):
            back: dict[Any, Any] = {CopyRequest.state: CheckState.pending, CopyRequest.claimed_at: None}
            await CopyRequest.update(back).where(
                (CopyRequest.id == request_id) & (CopyRequest.state == CheckState.running)
            )
        raise
    except Exception as exc:  # noqa: BLE001 - a file the tools choke on fails its request, once
        log.warning("a copy could not be made: %s", type(exc).__name__)
        await _fail(request_id, "processing_failed", 422, "The file could not be processed")
        return CheckState.failed
    await CopyRequest.update(
        {
            CopyRequest.state: CheckState.done,
            CopyRequest.claimed_at: None,
            CopyRequest.rendition: stored["id"],
        }
    ).where(CopyRequest.id == request_id)
    return CheckState.done


async def _fail(request_id: uuid.UUID, code: str, status: int, detail: str) -> None:
    await CopyRequest.update(
        {
            CopyRequest.state: CheckState.failed,
            CopyRequest.claimed_at: None,
            CopyRequest.problem: code[:40],
            CopyRequest.problem_status: status,
            CopyRequest.problem_detail: detail[:300],
        }
    ).where(CopyRequest.id == request_id)


async def being_made(attachment_id: uuid.UUID, kind: str) -> bool:
    """Whether a copy of this kind is waiting or being made for the file."""
    return bool(
        await CopyRequest.exists().where(
            (CopyRequest.attachment == attachment_id)
            & (CopyRequest.kind == kind)
            & CopyRequest.state.is_in([CheckState.pending, CheckState.running])
        )
    )


async def pending_ids() -> list[uuid.UUID]:
    """The copies waiting to be made, oldest first."""
    rows = (
        await CopyRequest.select(CopyRequest.id)
        .where(CopyRequest.state == CheckState.pending)
        .order_by(CopyRequest.created_at)
    )
    return [row["id"] for row in rows]


async def requeue_abandoned() -> int:
    """Put back to ``pending`` the copies whose job stopped beating (its process died)."""
    stale = (
        await CopyRequest.update({CopyRequest.state: CheckState.pending, CopyRequest.claimed_at: None})
        .where(
            (CopyRequest.state == CheckState.running) & (CopyRequest.claimed_at < _now() - ABANDONED_AFTER)
        )
        .returning(CopyRequest.id)
    )
    if stale:
        log.warning("requeued %d copies abandoned by a stopped worker", len(stale))
    return len(stale)
