"""What of a case's referrals and replies the public may get, and only through the publication
draft: the draft names them, the leak check reads what of them would be shown, the approval covers
exactly that (``snapshot`` goes into the draft's digest), and a revision keeps the snapshot.

Shown: a referral's kind, the institution (its shared record), the dates sent and due, the answer's
date and outcome (not its text), the closing, the appeals under the referral they appeal, and which
of the published files are its documents (a document is published only as any file is); a
reply's person or institution, when they were asked, by when, and their reply or its absence. The
status and the days overdue are computed when read, from the dates.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any

from integrity.cases.sealing import CaseKey
from integrity.cases.tables import Attachment
from integrity.errors import Invalid
from integrity.referrals import deadlines
from integrity.referrals.tables import Referral, ReferralAnswer, Reply


async def check_choice(
    case_id: uuid.UUID, referral_ids: Sequence[uuid.UUID], reply_ids: Sequence[uuid.UUID]
) -> None:
    """The draft may show only the case's own referrals and replies."""
    if referral_ids:
        found = await Referral.select(Referral.id).where(
            (Referral.case == case_id) & Referral.id.is_in(list(referral_ids))
        )
        if len(found) != len(set(referral_ids)):
            raise Invalid(
                "public_referral_ids must name referrals of this case",
                code="referral_unknown",
                field="public_referral_ids",
            )
    if reply_ids:
        found = await Reply.select(Reply.id).where((Reply.case == case_id) & Reply.id.is_in(list(reply_ids)))
        if len(found) != len(set(reply_ids)):
            raise Invalid(
                "public_reply_ids must name replies of this case",
                code="reply_unknown",
                field="public_reply_ids",
            )


def _day(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


async def snapshot(
    key: CaseKey, case_id: uuid.UUID, referral_ids: Sequence[uuid.UUID], reply_ids: Sequence[uuid.UUID]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The referrals and replies as a revision would keep them (JSON values, in a stable order)."""
    referrals: list[dict[str, Any]] = []
    if referral_ids:
        rows = (
            await Referral.select(
                *Referral.all_columns(), Referral.institution.name.as_alias("institution_name")
            )
            .where((Referral.case == case_id) & Referral.id.is_in(list(referral_ids)))
            .order_by(Referral.sent_at)
            .order_by(Referral.created_at)
        )
        answers: dict[uuid.UUID, dict[str, Any]] = {}
        if rows:
            for answer in (
                await ReferralAnswer.select()
                .where(ReferralAnswer.referral.is_in([row["id"] for row in rows]))
                .order_by(ReferralAnswer.received_at)
            ):
                answers.setdefault(answer["referral"], answer)  # the first answer
        documents: dict[uuid.UUID, list[dict[str, Any]]] = {}
        if rows:
            for document in (
                await Attachment.select(
                    Attachment.referral_id, Attachment.document_role, Attachment.custody_seq
                )
                .where(
                    (Attachment.case == case_id) & Attachment.referral_id.is_in([row["id"] for row in rows])
                )
                .order_by(Attachment.uploaded_at)
            ):
                # Named by the upload's custody entry: a published copy of it names the same one
                # (``source_seq``), so the public timeline can point at the copy, if one is published.
                documents.setdefault(document["referral_id"], []).append(
                    {"source_seq": int(document["custody_seq"]), "role": document["document_role"] or "other"}
                )
        for row in rows:
            first = answers.get(row["id"])
            referrals.append(
                {
                    "id": str(row["id"]),
                    "kind": row["kind"],
                    "institution": {"id": str(row["institution"]), "name": row["institution_name"] or ""},
                    "sent_at": _day(row["sent_at"]),
                    "due_at": _day(row["due_at"]),
                    "appeal_of": str(row["appeal_of"]) if row["appeal_of"] else None,
                    "answer": {"received_at": _day(first["received_at"]), "outcome": first["outcome"]}
                    if first
                    else None,
                    "closed_at": _day(row["closed_at"]),
                    # The custody entry that recorded it, made public with the revision.
                    "custody_seq": int(row["custody_seq"]),
                    "documents": documents.get(row["id"], []),
                }
            )
    replies: list[dict[str, Any]] = []
    if reply_ids:
        rows = (
            await Reply.select(*Reply.all_columns(), Reply.actor.name.as_alias("actor_name"))
            .where((Reply.case == case_id) & Reply.id.is_in(list(reply_ids)))
            .order_by(Reply.asked_at)
            .order_by(Reply.created_at)
        )
        for row in rows:
            replies.append(
                {
                    "id": str(row["id"]),
                    "actor": {"id": str(row["actor"]), "name": row["actor_name"] or ""},
                    "asked_at": _day(row["asked_at"]),
                    "reply_by": _day(row["reply_by"]),
                    "received_at": _day(row["received_at"]),
                    "text": key.open(f"reply:{row['id']}", row["text_sealed"]) or "",
                }
            )
    return referrals, replies


def leak_texts(referrals: list[dict[str, Any]], replies: list[dict[str, Any]]) -> dict[str, str]:
    """Every text of them the public would read, by where it would be shown."""
    texts = {f"referral:{r['id']}": r["institution"]["name"] for r in referrals}
    texts |= {f"reply:{r['id']}": "\n".join([r["actor"]["name"], r["text"]]) for r in replies}
    return texts


def replies_shown(replies: list[dict[str, Any]], on: datetime.date | None = None) -> list[dict[str, Any]]:
    """The replies as the public reads them on day ``on``: each ``replied``, ``asked``, or
    ``no_reply`` once the date given has passed without one."""
    on = on or deadlines.today()
    shown = []
    for reply in replies:
        if reply["received_at"]:
            status = "replied"
        elif reply["reply_by"] and on > datetime.date.fromisoformat(reply["reply_by"]):
            status = "no_reply"
        else:
            status = "asked"
        shown.append({key: value for key, value in reply.items() if key != "id"} | {"status": status})
    return shown


def timeline(referrals: list[dict[str, Any]], on: datetime.date | None = None) -> list[dict[str, Any]]:
    """The referrals as the public reads them on day ``on``: each with its status and the days its
    answer is overdue, and its appeals under it."""
    on = on or deadlines.today()
    shown: dict[str, dict[str, Any]] = {}
    for referral in referrals:
        sent = datetime.date.fromisoformat(referral["sent_at"])
        due = datetime.date.fromisoformat(referral["due_at"])
        status, late = deadlines.status(
            sent,
            due,
            answered=referral["answer"] is not None,
            closed=referral["closed_at"] is not None,
            on=on,
        )
        shown[referral["id"]] = {
            "kind": referral["kind"],
            "institution": referral["institution"],
            "sent_at": referral["sent_at"],
            "due_at": referral["due_at"],
            "status": status,
            "days_overdue": late,
            "answer": referral["answer"],
            "appeal_of": referral["appeal_of"],
            "appeals": [],
            "custody_seq": referral.get("custody_seq"),
            "documents": referral.get("documents", []),
        }
    top: list[dict[str, Any]] = []
    for item in shown.values():
        parent = shown.get(item.pop("appeal_of") or "")
        (parent["appeals"] if parent is not None else top).append(item)
    return top
