"""Background work: the queue (``queue``) and the tasks it runs (``tasks``)."""

from integrity.jobs.queue import JobQueue

__all__ = ["JobQueue"]
