"""The right of reply: before or after publication, the review team records that a person or an
institution the case names was asked to comment (when, how, by when), and their reply, or, once
that date has passed, that none came. Each is a custody entry; the reply's text is sealed with the
case's key. A protected person is never asked: their name stays within the case."""

from __future__ import annotations

import uuid
from typing import Any

from integrity import db
from integrity.cases.sealing import CaseKey, case_key
from integrity.cases.tables import CaseActor
from integrity.cases.validation import clean_text
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import Invalid, NotFound, WrongState
from integrity.referrals import deadlines
from integrity.referrals.schemas import ReplyIn, ReplyOut, ReplyReceivedIn
from integrity.referrals.service import MAX_ANSWER_TEXT, check_day, team_row
from integrity.referrals.tables import Reply
from integrity.security.guards import Principal


async def _case_actor(case_id: uuid.UUID, actor_id: uuid.UUID) -> dict[str, Any]:
    links = await CaseActor.select(CaseActor.protect_identity, CaseActor.actor.owner_case).where(
        (CaseActor.case == case_id) & (CaseActor.actor == actor_id)
    )
    if not links:
        raise Invalid(
            "the case names no such person or institution", code="case_actor_not_found", field="actor_id"
        )
    if any(link["protect_identity"] for link in links):
        raise WrongState(
            "a protected person's name stays within the case: they are not asked", code="actor_protected"
        )
    if links[0]["actor.owner_case"] is not None:
        # Their reply is published with the case, under the name a reader can follow.
        raise WrongState("link the actor to a shared record first", code="actor_not_linked")
    return links[0]


def _text(data_text: str | None) -> str:
    return clean_text(data_text, "text", MAX_ANSWER_TEXT, required=False) if data_text else ""


async def ask(ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, data: ReplyIn) -> ReplyOut:
    """Record that the actor was asked to comment (and their reply, when it came already)."""
    case = await team_row(principal, case_id)
    await _case_actor(case_id, data.actor_id)
    check_day(data.asked_at, "asked_at")
    if data.reply_by is not None and data.reply_by < data.asked_at:
        raise Invalid(
            "the reply is asked for after the question", code="reply_by_before_asked", field="reply_by"
        )
    if data.received_at is not None:
        check_day(data.received_at, "received_at")
        if data.received_at < data.asked_at:
            raise Invalid("a reply comes after the question", code="reply_before_asked", field="received_at")
    elif data.text:
        raise Invalid(
            "a reply's text comes with the day it was received",
            code="reply_date_missing",
            field="received_at",
        )
    key = case_key(ctx, case)
    reply_id = uuid.uuid4()
    text = _text(data.text)
    async with db.transaction():
        await custody.lock_log()
        entry = await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="reply.asked",
            subject=f"case:{case_id}",
            details={
                "reply": str(reply_id),
                "actor": str(data.actor_id),
                "asked_at": data.asked_at.isoformat(),
                **({"received_at": data.received_at.isoformat()} if data.received_at else {}),
            },
        )
        await Reply.insert(
            Reply(
                id=reply_id,
                case=case_id,
                actor=data.actor_id,
                asked_at=data.asked_at,
                channel=data.channel.value,
                reply_by=data.reply_by,
                received_at=data.received_at,
                text_sealed=key.seal(f"reply:{reply_id}", text) if text else None,
                recorded_by=principal.id,
                custody_seq=entry.seq,
            )
        )
    return await get_reply(ctx, principal, case_id, reply_id)


async def received(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, reply_id: uuid.UUID, data: ReplyReceivedIn
) -> ReplyOut:
    """Record the reply to an earlier question."""
    case = await team_row(principal, case_id)
    row = await Reply.select().where((Reply.id == reply_id) & (Reply.case == case_id)).first()
    if row is None:
        raise NotFound("the case has no such request for comment", code="reply_not_found")
    if row["received_at"] is not None:
        raise WrongState("the reply is recorded already", code="reply_recorded")
    check_day(data.received_at, "received_at")
    if data.received_at < row["asked_at"]:
        raise Invalid("a reply comes after the question", code="reply_before_asked", field="received_at")
    text = _text(data.text)
    key = case_key(ctx, case)
    async with db.transaction():
        await custody.lock_log()
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="reply.received",
            subject=f"case:{case_id}",
            details={"reply": str(reply_id), "received_at": data.received_at.isoformat()},
        )
        await Reply.update(
            {
                Reply.received_at: data.received_at,
                Reply.text_sealed: key.seal(f"reply:{reply_id}", text) if text else None,
            }
        ).where(Reply.id == reply_id)
    return await get_reply(ctx, principal, case_id, reply_id)


def _out(row: dict[str, Any], key: CaseKey) -> ReplyOut:
    if row["received_at"] is not None:
        status = "replied"
    elif row["reply_by"] is not None and deadlines.today() > row["reply_by"]:
        status = "no_reply"
    else:
        status = "asked"
    return ReplyOut(
        id=row["id"],
        actor_id=row["actor"],
        name=row["actor.name"] or "",
        asked_at=row["asked_at"],
        channel=row["channel"],
        status=status,
        reply_by=row["reply_by"],
        received_at=row["received_at"],
        text=key.open(f"reply:{row['id']}", row["text_sealed"]),
    )


async def list_replies(ctx: ServiceContext, principal: Principal, case_id: uuid.UUID) -> list[ReplyOut]:
    case = await team_row(principal, case_id)
    rows = (
        await Reply.select(*Reply.all_columns(), Reply.actor.name.as_alias("actor.name"))
        .where(Reply.case == case_id)
        .order_by(Reply.asked_at)
        .order_by(Reply.created_at)
    )
    key = case_key(ctx, case)
    return [_out(row, key) for row in rows]


async def get_reply(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, reply_id: uuid.UUID
) -> ReplyOut:
    for reply in await list_replies(ctx, principal, case_id):
        if reply.id == reply_id:
            return reply
    raise NotFound("the case has no such request for comment", code="reply_not_found")
