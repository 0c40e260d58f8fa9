"""An in-process cache of the public read side's answers: the bytes of case JSON, list JSON and
anonymous public pages, with their ETags, so a busy case file costs no query and no rendering.

What may be cached: only answers built from the publication tables for anonymous readers (they are
the same for everyone, which is why they are already `Cache-Control: public`). Published revisions
never change; what a reader sees changes only when a case is published, corrected or retracted, and
each of those moves `public_case` (a new row, `latest_revision`, `retracted`, `updated_at`). So:

- a publication, correction or retraction made by this process empties every cache in it right
  after its transaction commits (`invalidate_all()`, called by the review workflow);
- a change made anywhere else (another replica, a command) is noticed by the fingerprint of
  `public_case` (how many rows, the newest `updated_at`, the sum of revision numbers and of
  retractions), read again at most every `revalidate_seconds` (0: before every answer); a changed
  fingerprint empties the cache. Other replicas therefore serve an old answer for at most about that
  long, well within the `max-age` the answers already carry.

An answer being built while the cache is emptied is not stored (a generation counter), so a fill
that read the tables before a change cannot outlive it. The cache holds at most `max_bytes` of
answers, least recently used out first.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import hashlib
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from integrity.publication.tables import PublicCase

#: What an entry costs beyond its body (key, headers, bookkeeping), roughly.
ENTRY_OVERHEAD = 1024

_FINGERPRINT_SQL = (
    "SELECT count(*) AS cases, max(updated_at) AS changed, "
    "coalesce(sum(latest_revision), 0) AS revisions, "
    "coalesce(sum(CASE WHEN retracted THEN 1 ELSE 0 END), 0) AS retracted "
    "FROM public_case"
)


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """An answer as sent: its body and media type, its validators (ETag, Last-Modified,
    Cache-Control: all a 304 carries) and every header of the full answer."""

    body: bytes
    media_type: str
    etag: str
    last_modified: datetime.datetime | None
    validators: dict[str, str]
    headers: dict[str, str]

    @classmethod
    def of(
        cls,
        body: bytes,
        media_type: str,
        *,
        cache_control: str,
        last_modified: datetime.datetime | None = None,
        extra: dict[str, str] | None = None,
    ) -> CachedAnswer:
        etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
        validators = {"etag": etag, "cache-control": cache_control}
        if last_modified is not None:
            utc = (
                last_modified.replace(tzinfo=datetime.UTC)
                if last_modified.tzinfo is None
                else last_modified.astimezone(datetime.UTC)
            )
            validators["last-modified"] = email.utils.format_datetime(utc.replace(microsecond=0), usegmt=True)
        return cls(
            body=body,
            media_type=media_type,
            etag=etag,
            last_modified=last_modified,
            validators=validators,
            headers={**validators, **(extra or {})},
        )


async def public_fingerprint() -> tuple[Any, ...]:
    """What changes whenever anything public changes (see the module's docstring)."""
    rows = await PublicCase.raw(_FINGERPRINT_SQL)
    row = rows[0] if rows else {}
    return (
        int(row.get("cases") or 0),
        str(row.get("changed")),
        int(row.get("revisions") or 0),
        int(row.get("retracted") or 0),
    )


_caches: weakref.WeakSet[PublicCache] = weakref.WeakSet()


def invalidate_all() -> None:
    """Empty every public cache of this process: something public has just changed."""
    for cache in list(_caches):
        cache.invalidate()


class PublicCache:
    def __init__(
        self,
        *,
        max_bytes: int,
        revalidate_seconds: float,
        fingerprint: Callable[[], Awaitable[tuple[Any, ...]]] = public_fingerprint,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        self.revalidate_seconds = revalidate_seconds
        self._fingerprint = fingerprint
        self._clock = clock
        self._entries: OrderedDict[Hashable, CachedAnswer] = OrderedDict()
        self._size = 0
        self._generation = 0
        self._seen: tuple[Any, ...] | None = None
        self._checked_at: float | None = None
        self._checking = False
        # Test clients run the app on a thread of their own; invalidation may come from another.
        self._lock = threading.Lock()
        _caches.add(self)

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return self._size

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._size = 0
            # The next answer reads the fingerprint again, so it starts from what is committed now.
            self._checked_at = None

    async def answer(self, key: Hashable, build: Callable[[], Awaitable[CachedAnswer]]) -> CachedAnswer:
        """The cached answer for `key`, or `build()`'s (then kept, unless something changed meanwhile)."""
        if not self.enabled:
            return await build()
        await self._revalidate()
        found = self._entries.get(key)
        if found is not None:
            with contextlib.suppress(KeyError):  # emptied by another thread just now
                self._entries.move_to_end(key)
            return found
        generation = self._generation
        built = await build()
        self._store(key, built, generation)
        return built

    def _store(self, key: Hashable, value: CachedAnswer, generation: int) -> None:
        cost = len(value.body) + ENTRY_OVERHEAD
        if cost > self.max_bytes // 8:
            return  # one huge answer must not push out hundreds of ordinary ones
        with self._lock:
            if generation != self._generation:
                return
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old.body) + ENTRY_OVERHEAD
            self._entries[key] = value
            self._size += cost
            while self._size > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped.body) + ENTRY_OVERHEAD

    async def _revalidate(self) -> None:
        now = self._clock()
        checked = self._checked_at
        if checked is not None and now - checked < self.revalidate_seconds:
            return
        if self._checking and checked is not None:
            return  # another request is reading the fingerprint; the entries are at most that old
        self._checking = True
        try:
            generation = self._generation
            seen = await self._fingerprint()
            with self._lock:
                if generation != self._generation:
                    # Emptied while reading: the reading may predate that change; read it next time.
                    return
                if seen != self._seen:
                    self._generation += 1
                    self._entries.clear()
                    self._size = 0
                    self._seen = seen
                self._checked_at = now
        finally:
            self._checking = False
