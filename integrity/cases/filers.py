"""Who filed a case, as only the running platform can tell.

A database dump must not say who filed what: people file here at personal risk, and a backup, a
careless export or an attacker with read access to the database would otherwise have the list. So
no row that names a case holds the id of the member who filed it:

- the case keeps a keyed hash of the member's id (``submitter_tag``, ``Signer.filer_tag``, under a
  secret kept in a file beside the signing key, never in the database), which is what "my cases"
  and every "is this the submitter?" check compare with the caller's own tag;
- and the member's id sealed with the case's key (``submitter_sealed``), opened only where the
  platform must reach the member: their notifications' e-mail, the team's view of who filed it;
- their comments, steps and files carry ``by_submitter`` instead of their id, and a notification
  for them is addressed by the same tag (``notifications``).

Cases filed before this kept the member's id in clear: ``backfill`` moves them over at start.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from integrity import db
from integrity.cases.sealing import CaseKey, case_key
from integrity.cases.tables import Attachment, Case, Comment, Transition
from integrity.context import ServiceContext
from integrity.notifications.tables import Notification
from integrity.security.guards import Principal

__all__ = ["backfill", "filed_by", "open_member", "sealed_filer", "submitter_id"]

log = logging.getLogger(__name__)

_FIELD = "submitter"


def filed_by(principal: Principal, row: dict[str, Any]) -> bool:
    """Whether the caller filed the case in ``row``."""
    return row["submitter_tag"] is not None and row["submitter_tag"] == principal.filer_tag


def sealed_filer(key: CaseKey, member_id: uuid.UUID) -> bytes:
    """The member's id sealed with the case's key, for ``Case.submitter_sealed``."""
    return key.seal(_FIELD, str(member_id))


def submitter_id(key: CaseKey, row: dict[str, Any]) -> uuid.UUID:
    """The id of the member who filed the case in ``row`` (opened with its key)."""
    return uuid.UUID(key.open_text(_FIELD, row["submitter_sealed"]))


async def open_member(ctx: ServiceContext, case_id: uuid.UUID, sealed: bytes) -> uuid.UUID | None:
    """The member a notification for a case's submitter is for (None once the case is gone)."""
    row = await Case.select(Case.id, Case.wrapped_key, Case.key_id).where(Case.id == case_id).first()
    if row is None:
        return None
    return uuid.UUID(case_key(ctx, row).open_text(_FIELD, sealed))


async def backfill(ctx: ServiceContext) -> int:
    """Move cases filed before submitters were hidden to the tag and the sealed id, and clear the
    member's id from their rows (the case, its files, the submitter's comments and steps, and the
    notifications sent to them about it). Returns how many cases were moved; one transaction per
    case, so an interrupted start leaves every case either moved or not."""
    moved = 0
    rows = await Case.select(Case.id, Case.submitter, Case.wrapped_key, Case.key_id).where(
        Case.submitter.is_not_null()
    )
    for row in rows:
        member_id = row["submitter"]
        key = case_key(ctx, row)
        tag = ctx.signer.filer_tag(member_id)
        async with db.transaction():
            await Case.update(
                {
                    Case.submitter_tag: tag,
                    Case.submitter_sealed: sealed_filer(key, member_id),
                    Case.submitter: None,
                }
            ).where(Case.id == row["id"])
            await Attachment.update({Attachment.uploader: None}).where(Attachment.case == row["id"])
            await Comment.update({Comment.author: None, Comment.by_submitter: True}).where(
                (Comment.case == row["id"]) & (Comment.author == member_id)
            )
            await Transition.update({Transition.actor: None, Transition.by_submitter: True}).where(
                (Transition.case == row["id"]) & (Transition.actor == member_id)
            )
            await Notification.update(
                {
                    Notification.member: None,
                    Notification.member_tag: tag,
                    Notification.member_sealed: sealed_filer(key, member_id),
                }
            ).where((Notification.case_id == row["id"]) & (Notification.member == member_id))
        moved += 1
    if moved:
        log.info("moved %d cases to hidden submitters", moved)
    return moved
