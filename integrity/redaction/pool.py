"""Runs the CPU-heavy redaction engines off the event loop, in at most two worker processes.

Processes rather than threads: PDFium is not thread-safe (even across documents), decoding and
encoding hold the GIL for long stretches, a hostile file that crashes a decoder takes down only
its worker, and a worker that runs past its time is killed (a thread cannot be). Two at a time
keeps a redaction burst from starving the web server of CPU and memory (each job may hold a
50-megapixel image). Callers only ever ``await run_in_worker(fn, *args)``: moving the work to a
job queue later changes this module, not them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, TypeVarTuple, Unpack

import anyio
import anyio.to_process
from anyio import BrokenWorkerProcess, CapacityLimiter
from anyio.lowlevel import RunVar

from integrity.errors import Invalid

__all__ = ["DEFAULT_TIMEOUT", "MAX_WORKERS", "run_in_worker"]

MAX_WORKERS = 2
#: Seconds one job may take: a 300-page PDF at 150 dpi takes well under a minute.
DEFAULT_TIMEOUT = 300.0

T = TypeVar("T")
Args = TypeVarTuple("Args")

# One limiter per event loop (anyio keeps its worker processes per event loop too).
_limiter: RunVar[CapacityLimiter] = RunVar("integrity_redaction_limiter")


def _current_limiter() -> CapacityLimiter:
    try:
        return _limiter.get()
    except LookupError:
        limiter = CapacityLimiter(MAX_WORKERS)
        _limiter.set(limiter)
        return limiter


async def run_in_worker(fn: Callable[[Unpack[Args]], T], *args: *Args) -> T:
    """``fn(*args)`` in a worker process; ``fn`` must be a module-level function, arguments and
    result picklable. Its ``IntegrityError`` comes back as it was raised; a job that crashes its
    worker or runs past ``DEFAULT_TIMEOUT`` seconds raises ``Invalid``. Cancelling the caller (a
    shorter ``anyio.fail_after`` of its own, a client gone away) kills the worker too.
    """
    try:
        with anyio.fail_after(DEFAULT_TIMEOUT):
            return await anyio.to_process.run_sync(fn, *args, cancellable=True, limiter=_current_limiter())
    except TimeoutError:
        raise Invalid(
            "The file took too long to process; try a smaller or simpler file", code="processing_timeout"
        ) from None
    except BrokenWorkerProcess:
        raise Invalid("The file could not be processed", code="processing_failed") from None
