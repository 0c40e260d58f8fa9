"""Fixity checks: every stored file read back from the store, decrypted, and compared with its row
and with the custody entry that recorded its upload or making.

For each attachment and each copy made for publication (a rendition):

- the row must hold the blob bound to it (``cases.blobs``: a reference swapped between rows in the
  database is ``swapped``), and the custody entry that recorded it must name the row and its
  SHA-256 (or the salted commitment to it);
- the object must be in the store (``missing``) and decrypt, chunk by authenticated chunk, to
  exactly the size and SHA-256 the row records (``altered``).

It streams: one chunk of one file at a time, whatever the store holds. ``integrity vault verify``
checks everything; the queue's daily job checks one share of the blobs (by their ids), so all of
them are checked every ``SHARES`` days. Each run is a custody entry (``vault.verified``: how many
files and bytes, and what failed, by row id only); a failure notifies the admins, and `/readyz`
shows the latest run's failures until a later full run passes.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from integrity import db
from integrity.accounts.tables import Member
from integrity.cases.blobs import check_binding, check_custody, stored_blob
from integrity.cases.sealing import CaseKey
from integrity.cases.tables import Case
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.custody.tables import CustodyEntry
from integrity.errors import ConfigurationError, NotFound, TamperedBlob
from integrity.notifications import service as notifications
from integrity.notifications.tables import NotificationKind
from integrity.publication.renditions import still_stored, stored_rows
from integrity.security.roles import ADMIN

log = logging.getLogger(__name__)

#: The daily job checks one of this many shares: every blob is checked once a month.
SHARES = 30
ACTION = "vault.verified"


@dataclass(frozen=True)
class Failure:
    #: "attachment:<id>" or "rendition:<id>".
    subject: str
    case_id: uuid.UUID
    #: ``swapped``, ``missing``, ``altered`` or ``unopenable`` (its key is not in the ring).
    problem: str
    #: The stored object the row names.
    blob_id: str = ""


@dataclass
class FixityReport:
    checked: int = 0
    bytes: int = 0
    failures: list[Failure] = field(default_factory=list)
    #: (k, n): only the blobs of share k of n were checked; None: all of them.
    share: tuple[int, int] | None = None

    @property
    def ok(self) -> bool:
        return not self.failures


def in_share(blob_id: str, share: tuple[int, int] | None) -> bool:
    """Whether the blob is in share ``k`` of ``n`` (its id is random: the shares are even)."""
    return share is None or int(blob_id[:8], 16) % share[1] == share[0]


def share_of_day(day: datetime.date) -> tuple[int, int]:
    return day.toordinal() % SHARES, SHARES


async def _problem(
    ctx: ServiceContext, key: CaseKey, subject: str, row: dict[str, Any]
) -> tuple[str | None, int]:
    """What is wrong with the row's file (None: nothing), and how many bytes were read."""
    try:
        await check_binding(key, subject, row)
        await check_custody(key, subject, row)
    except TamperedBlob:
        return "swapped", 0
    blob = stored_blob(row)
    if not await ctx.vault.exists(blob):
        return "missing", 0
    read = 0
    try:
        # A whole read: the vault checks each chunk's authentication as it decrypts, then the
        # size and SHA-256 of all of it against the row's before the last piece comes out.
        async with aclosing(ctx.vault.open(blob)) as chunks:
            async for chunk in chunks:
                read += len(chunk)
    except TamperedBlob:
        return "altered", read
    except NotFound:
        return "missing", read  # removed while it was being read (shredded, or lost)
    except ConfigurationError:
        return "unopenable", read  # its data key is wrapped under a key the ring does not hold
    if read != blob.size:
        return "altered", read
    return None, read


async def verify(
    ctx: ServiceContext,
    *,
    share: tuple[int, int] | None = None,
    actor_id: str | None = None,
    record: bool = True,
) -> FixityReport:
    """Check every stored file (or one share of them), record the run in the custody log, and
    notify the admins of any failure (unless ``record`` is off: a restored backup is only read)."""
    report = FixityReport(share=share)
    async for key, case_id, subject, row in stored_rows(ctx):
        if not in_share(row["blob_id"], share):
            continue
        problem, read = await _problem(ctx, key, subject, row)
        if problem is not None and problem != "swapped" and not await still_stored(row):
            continue  # shredded while the check ran: nothing is wrong with what is stored
        report.checked += 1
        report.bytes += read
        if problem is not None:
            report.failures.append(
                Failure(subject=subject, case_id=case_id, problem=problem, blob_id=row["blob_id"])
            )
    if record:
        await _record(ctx, report, actor_id)
    return report


async def _record(ctx: ServiceContext, report: FixityReport, actor_id: str | None) -> None:
    details: dict[str, Any] = {
        "checked": report.checked,
        "bytes": report.bytes,
        "share": list(report.share) if report.share else None,
        "failures": [{"subject": f.subject, "problem": f.problem} for f in report.failures],
    }
    made: list[uuid.UUID] = []
    async with db.transaction():
        await custody.lock_log()
        await custody.append_entry(
            ctx.signer, actor_id=actor_id, action=ACTION, subject="vault", details=details
        )
        if report.failures:
            first = report.failures[0]
            case = await Case.select(Case.reference).where(Case.id == first.case_id).first()
            admins = await Member.select(Member.id).where((Member.role == ADMIN) & (Member.is_active == True))  # noqa: E712
            made = await notifications.notify(
                [row["id"] for row in admins],
                NotificationKind.fixity_failed,
                case_id=first.case_id,
                reference=case["reference"] if case else "",
                email=ctx.settings.smtp is not None,
            )
    if report.failures:
        # Row ids only: which file of which case is for the admins' page and the custody log.
        log.warning("fixity check: %d of %d stored files failed", len(report.failures), report.checked)
    await notifications.queue_emails(ctx.jobs, made)


async def latest_failures() -> str | None:
    """For `/readyz`: what the latest run found wrong, unless a full run has passed since."""
    rows = (
        await CustodyEntry.select(CustodyEntry.details, CustodyEntry.at)
        .where(CustodyEntry.action == ACTION)
        .order_by(CustodyEntry.seq, ascending=False)
        .limit(SHARES + 1)
    )
    for row in rows:
        details = json.loads(row["details"])
        if details.get("failures"):
            day = str(row["at"])[:10]
            failed = len(details["failures"])
            return f"{failed} stored files failed the fixity check on {day}: integrity vault verify"
        if details.get("share") is None:
            return None  # a full run passed after any failure
    return None
