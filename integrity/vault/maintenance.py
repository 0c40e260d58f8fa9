"""Operator tasks on the vault: key rotation and retirement (`integrity keys ...`), `integrity reconcile`.

Both work through the reference sources the domains register (`integrity.vault.references`), so the
CLI must import the domain tables (and bind the database) before calling them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio
import anyio.to_thread

from integrity.errors import ConfigurationError
from integrity.settings import Settings
from integrity.vault.backends import PendingUpload, StoredObject, blob_id_of, build_backend, object_name
from integrity.vault.keyring import Keyring, locked_keyring_file
from integrity.vault.references import KeyRewrap, ReferenceSource, reference_sources

log = logging.getLogger("integrity.vault.maintenance")

DEFAULT_GRACE = timedelta(hours=24)


# -- key rotation ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RotationReport:
    previous_key_id: str
    new_key_id: str
    #: Keys re-wrapped, by reference source.
    rewrapped: Mapping[str, int]

    def summary(self) -> str:
        lines = [f"New active key {self.new_key_id} (was {self.previous_key_id})."]
        if not self.rewrapped:
            lines.append("No reference sources are registered: no stored key was re-wrapped.")
        for name, count in sorted(self.rewrapped.items()):
            lines.append(f"  {name}: {count} wrapped key(s) re-wrapped")
        lines.append("Old keys stay in the key ring for reading until retired.")
        return "\n".join(lines)


async def rotate_keys(
    settings: Settings, *, sources: Mapping[str, ReferenceSource] | None = None
) -> RotationReport:
    """Add a new active KEK to the key ring file, then re-wrap every stored data key under it.

    No object is read or rewritten. The new key is saved before any row changes, so a run stopped
    half-way leaves every row readable, and running again completes it. Replicas that still hold the
    old ring re-read the file when they meet the new key id.
    """
    path = settings.keyring_file

    def add_key() -> tuple[Keyring, str]:
        with locked_keyring_file(path):
            ring = Keyring.load_or_create(settings)
            previous = ring.active_id
            ring.add_key()
            ring.save()
            return ring, previous

    ring, previous = await anyio.to_thread.run_sync(add_key)
    log.info("key ring rotated: new active key=%s previous=%s", ring.active_id, previous)
    counts = await _rewrap_all(ring, sources)
    return RotationReport(previous_key_id=previous, new_key_id=ring.active_id, rewrapped=counts)


async def _rewrap_all(ring: Keyring, sources: Mapping[str, ReferenceSource] | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for name, source in (reference_sources() if sources is None else sources).items():
        counts[name] = await source.rewrap_keys(ring.rewrap)
        log.info("re-wrapped %d stored key(s) in %s under key=%s", counts[name], name, ring.active_id)
    return counts


@dataclass(frozen=True, slots=True)
class RetirementReport:
    key_id: str
    rewrapped: Mapping[str, int]

    def summary(self) -> str:
        moved = sum(self.rewrapped.values())
        return f"Key {self.key_id} retired; {moved} wrapped key(s) were moved to the active key first."


async def retire_key(
    settings: Settings, key_id: str, *, sources: Mapping[str, ReferenceSource] | None = None
) -> RetirementReport:
    """Remove an old KEK from the ring, after making sure no stored key is wrapped under it.

    Re-wraps everything under the active key, then checks every source again; refuses if anything
    still names ``key_id`` (a replica with a stale ring may have used it meanwhile: restart the
    replicas, then retry). Do this only once every replica runs with the rotated ring.
    """
    path = settings.keyring_file
    selected = reference_sources() if sources is None else sources
    if not selected:
        raise ConfigurationError("no reference sources are registered: cannot prove the key is unused")
    ring = await anyio.to_thread.run_sync(Keyring.load, path)
    if key_id == ring.active_id:
        raise ConfigurationError("the active key cannot be retired; rotate first")
    if key_id not in ring.key_ids:
        raise ConfigurationError(f"the key ring has no key {key_id!r}")
    counts = await _rewrap_all(ring, selected)

    still_used = 0

    def count_only(wrapped: bytes, wrapped_key_id: str) -> tuple[bytes, str]:
        nonlocal still_used
        if wrapped_key_id == key_id:
            still_used += 1
        return wrapped, wrapped_key_id

    checker: KeyRewrap = count_only
    for source in selected.values():
        await source.rewrap_keys(checker)
    if still_used:
        raise ConfigurationError(f"{still_used} stored key(s) are still wrapped under {key_id!r}")

    def drop() -> None:
        with locked_keyring_file(path):
            current = Keyring.load(path)
            current.retire(key_id)
            current.save()

    await anyio.to_thread.run_sync(drop)
    log.info("key retired: key=%s", key_id)
    return RetirementReport(key_id=key_id, rewrapped=counts)


# -- reconcile -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    applied: bool
    grace: timedelta
    sources: tuple[str, ...]
    objects: int
    referenced: int
    #: Blob ids of objects no row references, older than the grace period.
    orphans: tuple[str, ...]
    #: Objects no row references yet, younger than the grace period (an upload about to be recorded).
    recent_unreferenced: int
    #: Unfinished writes (S3 multipart uploads, local temp files) older than the grace period.
    stale_uploads: tuple[PendingUpload, ...]
    #: Blob ids rows reference whose object is missing: evidence lost, to investigate.
    missing: tuple[str, ...]
    #: Objects in the vault's prefix that do not follow its naming; never touched.
    foreign: int = 0
    removed: int = 0
    aborted: int = 0

    def summary(self) -> str:
        mode = "applied" if self.applied else "dry run (use --apply to act)"
        hours = self.grace.total_seconds() / 3600
        lines = [
            f"Vault reconcile, {mode}; grace period {hours:g} h.",
            f"Reference sources: {', '.join(self.sources) or 'none registered'}.",
            f"{self.objects} object(s) stored, {self.referenced} referenced by the database.",
        ]
        verb = "removed" if self.applied else "would be removed"
        lines.append(
            f"{len(self.orphans)} unreferenced object(s) past the grace period {verb}"
            + (f" ({self.removed} removed)." if self.applied else ".")
        )
        for blob_id in self.orphans:
            lines.append(f"  orphan {blob_id}")
        if self.recent_unreferenced:
            lines.append(f"{self.recent_unreferenced} unreferenced object(s) inside the grace period kept.")
        verb = "aborted" if self.applied else "would be aborted"
        lines.append(
            f"{len(self.stale_uploads)} stale unfinished upload(s) {verb}"
            + (f" ({self.aborted} aborted)." if self.applied else ".")
        )
        if self.foreign:
            lines.append(f"{self.foreign} object(s) not named by the vault left alone.")
        if self.missing:
            lines.append(f"ALERT: {len(self.missing)} referenced blob(s) have no object:")
            lines.extend(f"  missing {blob_id}" for blob_id in self.missing)
        else:
            lines.append("Every referenced blob has its object.")
        return "\n".join(lines)


async def reconcile(
    settings: Settings,
    *,
    apply: bool = False,
    grace: timedelta = DEFAULT_GRACE,
    sources: Mapping[str, ReferenceSource] | None = None,
    now: datetime | None = None,
) -> ReconcileReport:
    """Compare the object store with the database's blob references; dry run unless ``apply``.

    Aborts unfinished uploads and removes objects that no row references, both only when older than
    ``grace`` (an upload in flight, or one whose row is about to be written, is left alone), and
    reports rows whose object is missing. The references are read before the objects are listed, so
    an upload finishing meanwhile is at worst an unreferenced object inside the grace period.
    Refuses to remove anything when no reference source is registered.
    """
    selected = dict(reference_sources() if sources is None else sources)
    if apply and not selected:
        raise ConfigurationError(
            "no reference sources are registered: every object would look unreferenced; "
            "import the domain tables before reconciling"
        )
    if grace < timedelta(0):
        raise ConfigurationError("the grace period must not be negative")
    cutoff = (now or datetime.now(UTC)) - grace

    referenced: set[str] = set()
    for source in selected.values():
        async for referenced_id in source.referenced_blob_ids():
            referenced.add(referenced_id)

    backend = build_backend(settings)
    try:
        # Never `start()`: a wrong bucket or folder must fail here, not be created empty and make
        # every row look missing.
        await backend.check()
        stale: list[PendingUpload] = [u async for u in backend.list_pending() if u.started <= cutoff]
        objects: list[StoredObject] = [o async for o in backend.list_objects()]
        stored: set[str] = set()
        orphans: list[str] = []
        recent = foreign = 0
        for item in objects:
            blob_id = blob_id_of(item.name)
            if blob_id is None:
                foreign += 1
                continue
            stored.add(blob_id)
            if blob_id in referenced:
                continue
            if item.modified <= cutoff:
                orphans.append(blob_id)
            else:
                recent += 1
        missing = sorted(referenced - stored)
        removed = aborted = 0
        if apply:
            for upload in stale:
                await backend.abort_pending(upload)
                aborted += 1
                log.info("reconcile: aborted an unfinished upload of blob=%s", blob_id_of(upload.name))
            for blob_id in orphans:
                await backend.delete(object_name(blob_id))
                removed += 1
                log.info("reconcile: removed unreferenced blob=%s", blob_id)
        for blob_id in missing:
            log.critical(
                "ALERT: evidence blob %s is referenced by the database but missing from the store",
                blob_id,
                extra={"alert": "vault.missing", "blob_id": blob_id},
            )
    finally:
        await backend.aclose()

    return ReconcileReport(
        applied=apply,
        grace=grace,
        sources=tuple(sorted(selected)),
        objects=len(objects),
        referenced=len(referenced),
        orphans=tuple(sorted(orphans)),
        recent_unreferenced=recent,
        stale_uploads=tuple(stale),
        missing=tuple(missing),
        foreign=foreign,
        removed=removed,
        aborted=aborted,
    )
