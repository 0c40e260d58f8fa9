"""The leak check's reading of files, done as background work that survives the process.

Every rendition (a redacted copy, or the cleaned copy "publish as filed" publishes) is read as the
public will get it: OCR of every page of the copy, plus the words of the original's text layer that
no redaction box covers. Reading a 300-page PDF takes minutes, so it never runs in a request.

The need for the work is in the rendition's own row: it is made ``pending``, and a job on the queue
(``integrity.jobs``) is a nudge to read it. The job claims the row (``running``, with a heartbeat in
``check_claimed_at`` after every few pages) and finishes it ``done`` (the words read, sealed with
the case's key, since they are evidence) or ``failed`` (with a problem code, e.g.
``ocr_unavailable`` when Tesseract is missing). A process that dies mid-way leaves its row
``running`` with a stale heartbeat: the queue's sweep puts it back to ``pending`` and queues it
again. Claiming is one conditional update, so two jobs for one row (a sweep racing a first job)
read it once, and ``integrity serve`` and any number of ``integrity worker`` processes can share
the work.

What was read is matched against the protected names when the draft is checked
(``drafts.leak_check``), so a name added after the reading is still found.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from dataclasses import asdict
from typing import Any

import anyio
import anyio.to_thread

from integrity import db
from integrity.cases.sealing import CaseKey, case_key
from integrity.cases.tables import Attachment, Case
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import DatabaseUnavailable, IntegrityError, StorageUnavailable
from integrity.publication.renditions import read_blob
from integrity.publication.tables import CheckState, Rendition
from integrity.redaction import run_in_worker
from integrity.redaction.model import Box
from integrity.redaction.ocr import PageText, Word, missing_packages, ocr_pages, page_count, text_layer_pages
from integrity.redaction.pool import DEFAULT_TIMEOUT

__all__ = [
    "check_rendition",
    "load_reading",
    "ocr_problem",
    "pending_ids",
    "read_queued",
    "requeue_abandoned",
    "run_pending",
]

log = logging.getLogger(__name__)

#: Pages read per job step; the heartbeat and the progress shown on the draft page move after each.
CHUNK_PAGES = 5
#: A claim whose heartbeat is older than this was lost with its process (a step takes at most
#: ``DEFAULT_TIMEOUT``).
ABANDONED_AFTER = datetime.timedelta(seconds=2 * DEFAULT_TIMEOUT)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _sealed_field(rendition_id: uuid.UUID) -> str:
    return f"rendition:{rendition_id}:reading"


async def ocr_problem(ctx: ServiceContext) -> str | None:
    """Why files cannot be read here (the Debian packages to install), or None."""
    missing = await anyio.to_thread.run_sync(missing_packages, ctx.settings.tesseract_command)
    if missing:
        return "install " + " ".join(missing) + " (the leak check reads files with Tesseract)"
    return None


async def requeue_abandoned() -> int:
    """Put back to ``pending`` the readings whose worker stopped beating (it died)."""
    stale = (
        await Rendition.update({Rendition.check_state: CheckState.pending, Rendition.check_claimed_at: None})
        .where(
            (Rendition.check_state == CheckState.running)
            & (Rendition.check_claimed_at < _now() - ABANDONED_AFTER)
        )
        .returning(Rendition.id)
    )
    if stale:
        log.warning("requeued %d file readings abandoned by a stopped worker", len(stale))
    return len(stale)


async def pending_ids() -> list[uuid.UUID]:
    """The renditions waiting to be read, oldest first."""
    rows = (
        await Rendition.select(Rendition.id)
        .where(Rendition.check_state == CheckState.pending)
        .order_by(Rendition.created_at)
    )
    return [row["id"] for row in rows]


async def _claim(rendition_id: uuid.UUID) -> bool:
    claimed = (
        await Rendition.update(
            {Rendition.check_state: CheckState.running, Rendition.check_claimed_at: _now()}
        )
        .where((Rendition.id == rendition_id) & (Rendition.check_state == CheckState.pending))
        .returning(Rendition.id)
    )
    return bool(claimed)


async def _claim_next() -> uuid.UUID | None:
    for rendition_id in await pending_ids():
        if await _claim(rendition_id):  # else another worker took it first: the next one
            return rendition_id
    return None


async def read_queued(ctx: ServiceContext, rendition_id: uuid.UUID) -> CheckState | None:
    """The queue's job: read the rendition if it is still waiting (None when another job has it,
    or it was read already). A job cancelled on the way (its worker stopping) puts it back."""
    if not await _claim(rendition_id):
        return None
    try:
        return await check_rendition(ctx, rendition_id)
    except anyio.get_cancelled_exc_class():
        with anyio.CancelScope(shield=True):
            await Rendition.update(
                {Rendition.check_state: CheckState.pending, Rendition.check_claimed_at: None}
            ).where((Rendition.id == rendition_id) & (Rendition.check_state == CheckState.running))
        raise


async def _finish(
    ctx: ServiceContext,
    rendition_id: uuid.UUID,
    state: CheckState,
    values: dict[Any, Any],
    details: dict[str, Any],
) -> None:
    async with db.transaction():
        await Rendition.update(
            {Rendition.check_state: state, Rendition.check_claimed_at: None, **values}
        ).where(Rendition.id == rendition_id)
        await custody.append_entry(
            ctx.signer,
            actor_id=None,
            action="rendition.read_for_leaks",
            subject=f"rendition:{rendition_id}",
            details={"state": state.value, **details},
        )


async def check_rendition(ctx: ServiceContext, rendition_id: uuid.UUID) -> CheckState:
    """Read one claimed rendition; returns the state it ends in (``pending`` again when the reading
    was interrupted by something passing, such as the evidence store being down)."""
    row = await Rendition.select().where(Rendition.id == rendition_id).first()
    if row is None:
        return CheckState.failed
    attachment = await Attachment.select().where(Attachment.id == row["attachment"]).first()
    case = await Case.select().where(Case.id == attachment["case"]).first() if attachment else None
    if attachment is None or case is None:
        return CheckState.failed
    if await ocr_problem(ctx):
        await _finish(ctx, rendition_id, CheckState.failed, {Rendition.check_problem: "ocr_unavailable"}, {})
        return CheckState.failed
    command = ctx.settings.tesseract_command
    try:
        content = await read_blob(ctx, row)
        pages = await run_in_worker(page_count, content, row["content_type"])
        read: list[PageText] = []
        for first in range(1, pages + 1, CHUNK_PAGES):
            last = min(first + CHUNK_PAGES - 1, pages)
            read += await run_in_worker(ocr_pages, content, row["content_type"], first, last, command)
            await Rendition.update({Rendition.checked_pages: last, Rendition.check_claimed_at: _now()}).where(
                Rendition.id == rendition_id
            )
        if attachment["content_type"] == "application/pdf":
            original = await read_blob(ctx, attachment)
            boxes = [Box(page, x, y, w, h) for page, x, y, w, h in json.loads(row["boxes"])]
            read += await run_in_worker(text_layer_pages, original, boxes)
    except IntegrityError as exc:
        if isinstance(exc, StorageUnavailable | DatabaseUnavailable):  # passing: read it again later
            log.warning("a file reading was interrupted (%s); it will be tried again", exc.code)
            await Rendition.update(
                {Rendition.check_state: CheckState.pending, Rendition.check_claimed_at: None}
            ).where(Rendition.id == rendition_id)
            return CheckState.pending
        await _finish(ctx, rendition_id, CheckState.failed, {Rendition.check_problem: exc.code[:40]}, {})
        return CheckState.failed
    except Exception as exc:  # noqa: BLE001 - a file the reader chokes on fails safe, once
        # (left running, it would be requeued and fail again every ABANDONED_AFTER, forever).
        log.warning("a file could not be read for the leak check: %s", type(exc).__name__)
        await _finish(
            ctx, rendition_id, CheckState.failed, {Rendition.check_problem: "processing_failed"}, {}
        )
        return CheckState.failed
    key = case_key(ctx, case)
    sealed = key.seal(_sealed_field(rendition_id), json.dumps([asdict(page) for page in read]))
    await _finish(
        ctx,
        rendition_id,
        CheckState.done,
        {Rendition.check_sealed: sealed, Rendition.checked_pages: pages, Rendition.check_problem: None},
        {"pages": pages},
    )
    return CheckState.done


def load_reading(key: CaseKey, row: dict[str, Any]) -> list[PageText]:
    """What was read in a rendition whose check is done (``[]`` otherwise)."""
    if row["check_sealed"] is None:
        return []
    pages = json.loads(key.open_text(_sealed_field(row["id"]), row["check_sealed"]))
    return [
        PageText(page=p["page"], source=p["source"], words=[Word(**word) for word in p["words"]])
        for p in pages
    ]


async def run_pending(ctx: ServiceContext) -> int:
    """Read every pending rendition now, one after another; returns how many were read. Stops at
    a reading put back for later (the store is down), so an outage is not a busy loop."""
    count = 0
    while (rendition_id := await _claim_next()) is not None:
        if await check_rendition(ctx, rendition_id) == CheckState.pending:
            break
        count += 1
    return count
