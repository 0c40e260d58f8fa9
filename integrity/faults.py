"""Crash points for the crash-safety tests: `fault_point(label)` SIGKILLs the process at a named step.

A test hook, nothing more. It does nothing unless the environment variable `INTEGRITY_FAULT_POINT`
equals the label when the process starts (it is read once, at import); production never sets it.
The tests in `tests/faults/test_crash.py` (uploads: `upload.*`) and
`tests/faults/test_publication_crash.py` (redaction copies and publishing: `publication.*`) start
`integrity serve` with it, so the server dies at exactly that step, the way a power cut or the OOM
killer would end it: no `finally` block, no cleanup, no flush.
"""

from __future__ import annotations

import os
import signal

#: The one label this process dies at, or None (always, outside the crash tests).
_ARMED: str | None = os.environ.get("INTEGRITY_FAULT_POINT") or None


def fault_point(label: str) -> None:
    """Die here, at once and without cleanup, if this process was started armed for `label`."""
    if _ARMED is not None and label == _ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
