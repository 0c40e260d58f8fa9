"""The job queue: procrastinate, on PostgreSQL in production and in this process on the embedded
default (SQLite), running the same tasks with the same retries either way.

A job is only a nudge. The need for every piece of work is recorded first in the domain's own rows
(a rendition's reading is ``pending``, a notification's e-mail is ``pending``), and the sweep
(``integrity.jobs.tasks``) queues a job for every such row again at start-up and every few seconds:
so a job lost with a process (the in-process queue always loses its jobs when the process ends) or
never queued (the queue was down) is found and done. Deferring therefore never fails the caller.

Jobs carry identifiers only, never content: a job row is readable by whoever can read the database.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import anyio
import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.testing import InMemoryConnector

from integrity.settings import DatabaseSettings

__all__ = ["MAKE_COPY", "READ_FILE", "SEND_EMAIL", "JobQueue", "ProcessConnector"]

log = logging.getLogger(__name__)

#: The tasks, by name (registered by ``integrity.jobs.tasks``): make a copy of a file (a redaction,
#: a cleaned copy); read a copy for the leak check; mail a notification.
MAKE_COPY = "make_copy"
READ_FILE = "read_file"
SEND_EMAIL = "send_email"
#: How long closing waits for jobs that are recording how they ended.
CLOSE_WAIT_SECONDS = 5.0
#: Connections of the queue's own pool (three workers polling, heartbeats, and deferring).
POOL_SIZE = 8
#: How long queueing a job may take before the caller goes on without it (the sweep queues it).
DEFER_SECONDS = 5.0


class ProcessConnector(InMemoryConnector):
    """procrastinate's in-memory connector, for a queue that lives in one process. It keeps no log
    of the queries it ran and forgets every finished job, so a server running for months does not
    grow with it."""

    async def generic_execute(self, query: str, suffix: Any, **arguments: Any) -> Any:
        return await getattr(self, f"{self.reverse_queries[query]}_{suffix}")(**arguments)

    async def finish_job_run(self, job_id: int, status: str, delete_job: bool) -> None:
        await super().finish_job_run(job_id, status, True)
        self.events.pop(job_id, None)


def _connector(database: DatabaseSettings) -> Any:
    if database.is_sqlite:
        return ProcessConnector()
    from procrastinate import PsycopgConnector

    # A pool of its own (the app's queries go through Piccolo's), for the workers' polling,
    # heartbeats and deferring.
    return PsycopgConnector(conninfo=database.url, min_size=1, max_size=POOL_SIZE, timeout=DEFER_SECONDS)


class JobQueue:
    """One process's handle on the queue: tasks are registered on ``app`` (by
    ``integrity.jobs.tasks``), services ``defer`` them by name after their change is committed."""

    def __init__(self, database: DatabaseSettings) -> None:
        self.in_process = database.is_sqlite
        self.app = procrastinate.App(connector=_connector(database))
        self._open = False
        #: Whether this process runs workers (``tasks.run_workers``). A queue in process that no
        #: worker here takes (``INTEGRITY_JOBS=worker`` on SQLite) queues nothing: the worker
        #: process finds the rows with its sweep.
        self.running = False

    @property
    def is_open(self) -> bool:
        return self._open

    async def open(self) -> None:
        await self.app.open_async()
        self._open = True

    async def close(self) -> None:
        # Jobs aborted by their stopping worker still record how they ended: let them.
        ending = [t for t in asyncio.all_tasks() if t.get_name().startswith("process job") and not t.done()]
        if ending:
            await asyncio.wait(ending, timeout=CLOSE_WAIT_SECONDS)
        # Also when opening was interrupted (the app stopped while the database was slow to
        # answer): the pool is made before it opens, and its connections must not leak.
        self._open = False
        try:
            await self.app.close_async()
        except Exception as exc:  # noqa: BLE001 - closing a queue that never opened
            log.debug("job queue closed with %s", type(exc).__name__)

    async def defer(self, task: str, *, lock: str, **kwargs: Any) -> bool:
        """Queue ``task(**kwargs)`` unless a job with the same ``lock`` is already waiting; True
        when a job was queued. Never raises: the row that needs the work is already written, and
        the sweep queues it again if this fails."""
        if not self._open or (self.in_process and not self.running):
            return False
        try:
            with anyio.fail_after(DEFER_SECONDS):
                await self.app.configure_task(task, queueing_lock=lock).defer_async(**kwargs)
        except AlreadyEnqueued:
            return False
        except Exception as exc:  # noqa: BLE001 - the sweep will queue it; the change stands
            log.warning("a %s job could not be queued now (%s); the sweep will", task, type(exc).__name__)
            return False
        return True
