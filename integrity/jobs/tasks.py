"""The tasks the job queue runs, the sweep that finds owed work in the domain's rows, and the
workers of one process.

Tasks take identifiers and look everything else up, so a job queued before a change (a rendition
replaced, a notification already mailed) finds nothing to do and ends. Like a controller, this module
sits above every domain: only ``app.py`` and ``cli.py`` import it.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import uuid
from typing import Any

import anyio
from procrastinate import JobContext, RetryStrategy

from integrity.cases import filers
from integrity.context import ServiceContext
from integrity.jobs.queue import MAKE_COPY, READ_FILE, SEND_EMAIL, JobQueue
from integrity.notifications import service as notifications
from integrity.preservation import fixity, holds, retention
from integrity.publication import copies, filecheck
from integrity.referrals import reminders

__all__ = ["owed_work", "queue_owed_work", "register", "run_workers", "serve"]

log = logging.getLogger(__name__)

#: An unreachable mail server is tried again after 3, 9, 27 s ... about eight hours in all.
EMAIL_ATTEMPTS = 10
EMAIL_RETRY = RetryStrategy(max_attempts=EMAIL_ATTEMPTS - 1, exponential_wait=3)
#: The sweep: every five seconds (cron with a seconds column), a cheap indexed look at the rows.
SWEEP_CRON = "* * * * * */5"
#: How often the referrals owed a reminder are looked for (the reminders are by the day).
REMINDER_CRON = "*/10 * * * *"
#: When the day's share of the stored files is read back and checked (``preservation.fixity``).
FIXITY_CRON = "17 3 * * *"
#: When the cases whose retention ran out are shredded (``preservation.retention``).
RETENTION_CRON = "47 3 * * *"
#: How often an idle worker asks the queue for jobs.
POLL_SECONDS = 1.0
#: How long stopping the workers waits for the jobs they run.
SHUTDOWN_SECONDS = 3.0
#: A queue that cannot be opened (the database is down at start) or a worker that stopped on an
#: error is tried again after this pause.
RESTART_SECONDS = 5.0


def register(queue: JobQueue, ctx: ServiceContext) -> None:
    """Register the tasks on this process's queue; they run with ``ctx``."""
    app = queue.app

    @app.task(name=MAKE_COPY, queue="copies")
    async def make_copy(request_id: str) -> None:
        await copies.make_requested(ctx, uuid.UUID(request_id))

    @app.task(name=READ_FILE, queue="files")
    async def read_file(rendition_id: str) -> None:
        await filecheck.read_queued(ctx, uuid.UUID(rendition_id))

    @app.task(name=SEND_EMAIL, queue="mail", pass_context=True, retry=EMAIL_RETRY)
    async def send_email(job: JobContext, notification_id: str) -> None:
        final = job.job.attempts + 1 >= EMAIL_ATTEMPTS
        await notifications.send_email(
            ctx.settings,
            uuid.UUID(notification_id),
            final_attempt=final,
            open_recipient=lambda case_id, sealed: filers.open_member(ctx, case_id, sealed),
        )

    @app.periodic(cron=SWEEP_CRON)
    @app.task(name="sweep", queue="mail", queueing_lock="sweep")
    async def sweep(timestamp: int) -> None:
        await queue_owed_work(queue)

    @app.periodic(cron=FIXITY_CRON)
    @app.task(name="verify_vault_share", queue="files", queueing_lock="verify_vault_share")
    async def verify_vault_share(timestamp: int) -> None:
        day = datetime.datetime.fromtimestamp(timestamp, datetime.UTC).date()
        await fixity.verify(ctx, share=fixity.share_of_day(day))
        # Files added to a held case since its hold was confirmed get the store's hold too.
        await holds.reapply(ctx)

    @app.periodic(cron=RETENTION_CRON)
    @app.task(name="shred_due", queue="files", queueing_lock="shred_due")
    async def shred_due(timestamp: int) -> None:
        await retention.shred_due(ctx)

    @app.periodic(cron=REMINDER_CRON)
    @app.task(name="remind_referrals", queue="mail", queueing_lock="remind_referrals")
    async def remind_referrals(timestamp: int) -> None:
        await remind_owed(ctx, queue)


async def remind_owed(ctx: ServiceContext, queue: JobQueue) -> int:
    """Send the referral reminders that are owed (``referrals.reminders``) and queue their e-mail;
    how many notifications were made."""
    made = await reminders.send_due(ctx)
    for notification_id in made:
        await queue.defer(SEND_EMAIL, lock=f"mail:{notification_id}", notification_id=str(notification_id))
    return len(made)


async def queue_owed_work(queue: JobQueue) -> int:
    """Queue a job for every row that needs work (readings left pending or abandoned by a dead
    process, e-mails not yet sent); returns how many jobs were queued now. A few indexed queries:
    a process stopping meanwhile lets them finish (a database query cancelled half-way leaves its
    connection to be cleaned up after the event loop is gone)."""
    queued = 0
    with anyio.CancelScope(shield=True):
        queued = await _queue_owed_work(queue)
    return queued


async def _queue_owed_work(queue: JobQueue) -> int:
    await filecheck.requeue_abandoned()
    await copies.requeue_abandoned()
    queued = 0
    for request_id in await copies.pending_ids():
        queued += await queue.defer(MAKE_COPY, lock=f"copy:{request_id}", request_id=str(request_id))
    for rendition_id in await filecheck.pending_ids():
        queued += await queue.defer(READ_FILE, lock=f"read:{rendition_id}", rendition_id=str(rendition_id))
    for notification_id in await notifications.pending_email_ids():
        queued += await queue.defer(
            SEND_EMAIL, lock=f"mail:{notification_id}", notification_id=str(notification_id)
        )
    return queued


async def owed_work() -> dict[str, int]:
    """How many rows wait for work, by kind (empty when nothing is owed)."""
    owed = {
        "copies": len(await copies.pending_ids()),
        "readings": len(await filecheck.pending_ids()),
        "e-mails": len(await notifications.pending_email_ids()),
    }
    return {kind: count for kind, count in owed.items() if count}


async def run_workers(queue: JobQueue, *, wait: bool = True) -> None:
    """The workers of one process, until cancelled (or, with ``wait=False``, until nothing is left
    to do now). Copies of files are made, and files read, each by a worker of its own (their pages
    go to the worker pool); mail and the sweep have one too, so a 300-page reading never holds up a
    redaction or an e-mail."""
    options: dict[str, Any] = {
        "wait": wait,
        "install_signal_handlers": False,
        "fetch_job_polling_interval": POLL_SECONDS,
        # Polling every second is quick enough, and holds no connection open: a worker's LISTEN
        # connection, cancelled while the app stopped, could keep the worker from ever stopping.
        "listen_notify": False,
        "abort_job_polling_interval": 10.0,
        # Stopping waits this long for running jobs, then cancels them: their rows go back to
        # pending, for the next process.
        "shutdown_graceful_timeout": SHUTDOWN_SECONDS,
        # Done jobs leave the table; failed ones stay there for inspection.
        "delete_jobs": "successful",
    }
    queue.running = True
    try:
        await queue_owed_work(queue)
        await asyncio.gather(
            queue.app.run_worker_async(queues=["copies"], name="copies", concurrency=2, **options),
            queue.app.run_worker_async(queues=["files"], name="files", concurrency=1, **options),
            queue.app.run_worker_async(queues=["mail"], name="mail", concurrency=2, **options),
        )
    finally:
        queue.running = False


async def serve(queue: JobQueue, *, in_process: bool) -> None:
    """The app's background task: open the queue (retrying while the database is unreachable) and,
    when jobs run ``in_process``, run the workers until cancelled, restarting them after an error."""
    while True:
        try:
            if not queue.is_open:
                await queue.open()
            if not in_process:
                return
            await run_workers(queue)
        except Exception as exc:  # noqa: BLE001 - the work stays recorded in its rows; try again
            log.warning("the job queue stopped (%s); starting it again", type(exc).__name__)
        # A worker stops gracefully when cancelled, and may return (or fail on the queue closing
        # under it) instead of passing the cancellation on: the request stays on this task, and
        # must end it rather than start the workers again.
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise asyncio.CancelledError
        await asyncio.sleep(RESTART_SECONDS)
