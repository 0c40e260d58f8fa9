"""Matching the actors members name to shared actor records: the review team's call.

Every actor a member types stays an actor of their case alone (``integrity.cases.actors``). A
reviewer who recognises a person or an institution links the case's actor to a shared record (an
existing one, or a new one named as the reviewer chooses); only shared records can be shown in a
published case, so a reader can follow one person across cases. The case keeps what its member
typed, re-sealed for the shared record; the record keeps only its name. A wrong link is undone by
linking again. Two shared records of the same person are merged by an editor, while neither has
been published.

Protected actors are never linked: their names exist only inside their case.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import msgspec
from piccolo.custom_types import Combinable

from integrity import db
from integrity.cases.access import load_case_row
from integrity.cases.actors import MAX_ACTOR_NAME, owned_name, seal_typed, typed_name
from integrity.cases.filers import filed_by
from integrity.cases.schemas import CaseOut
from integrity.cases.sealing import case_key
from integrity.cases.service import case_facts, get_case
from integrity.cases.tables import Actor, ActorKind, Case, CaseActor, CaseStatus
from integrity.cases.validation import clean_text
from integrity.context import ServiceContext
from integrity.custody import service as custody
from integrity.errors import Forbidden, Invalid, NotFound, WrongState
from integrity.publication.tables import PublicationDraft, PublishedActor, PublishedRevision
from integrity.reference import fold
from integrity.security.guards import Principal
from integrity.security.roles import EDITOR, REVIEW_TEAM

__all__ = ["ActorLinkIn", "ActorMergeIn", "SharedActorOut", "link_actor", "merge_actors", "shared_actors"]

#: Shared records offered per search.
MAX_MATCHES = 20


class ActorLinkIn(msgspec.Struct, forbid_unknown_fields=True):
    """Link to the shared record ``shared_actor_id``, or to the one named ``name`` (found by its
    folded name among records of the same kind, else made)."""

    shared_actor_id: uuid.UUID | None = None
    name: str | None = None
    #: Other names the shared record is known by, added to it; they are public wherever the
    #: record is shown (and the leak check reads them with its name).
    aliases: list[str] | None = None


class ActorMergeIn(msgspec.Struct, forbid_unknown_fields=True):
    into: uuid.UUID


class SharedActorOut(msgspec.Struct):
    id: uuid.UUID
    kind: ActorKind
    name: str
    #: How many cases link to it.
    cases: int


def _require_team(principal: Principal) -> None:
    if principal.role not in REVIEW_TEAM:
        raise Forbidden("actors are linked by the review team", code="review_team_only")


async def _shared_out(rows: list[dict[str, Any]]) -> list[SharedActorOut]:
    ids = [row["id"] for row in rows]
    counts: dict[uuid.UUID, int] = {}
    if ids:
        for link in await CaseActor.select(CaseActor.actor, CaseActor.case).where(CaseActor.actor.is_in(ids)):
            counts[link["actor"]] = counts.get(link["actor"], 0) + 1
    return [
        SharedActorOut(
            id=row["id"], kind=ActorKind(row["kind"]), name=row["name"], cases=counts.get(row["id"], 0)
        )
        for row in rows
    ]


async def shared_actors(principal: Principal, q: str | None, kind: ActorKind | None) -> list[SharedActorOut]:
    """Shared records whose folded name contains ``q`` (any script, case or diacritics), exact
    matches first; for the review team only."""
    _require_team(principal)
    where: Combinable = Actor.owner_case.is_null()
    if kind is not None:
        where &= Actor.kind == kind.value
    needle = fold(q) if q and q.strip() else ""
    found = []
    for row in await Actor.select(Actor.id, Actor.kind, Actor.name).where(where).order_by(Actor.name):
        folded = fold(row["name"] or "")
        if row["name"] and needle in folded:
            found.append((folded != needle, row))
    found.sort(key=lambda item: item[0])
    return await _shared_out([row for _, row in found[:MAX_MATCHES]])


async def _target(data: ActorLinkIn, kind: str) -> tuple[uuid.UUID, bool]:
    """The shared record to link to, and whether it was made now."""
    if (data.shared_actor_id is None) == (data.name is None):
        raise Invalid(
            "give either shared_actor_id or name", code="actor_link_ambiguous", field="shared_actor_id"
        )
    if data.shared_actor_id is not None:
        row = (
            await Actor.select(Actor.kind)
            .where((Actor.id == data.shared_actor_id) & Actor.owner_case.is_null())
            .first()
        )
        if row is None:
            raise Invalid("no such shared actor", code="actor_not_found", field="shared_actor_id")
        if row["kind"] != kind:
            raise Invalid(
                "a person is linked to a person, an institution to an institution",
                code="actor_kind_mismatch",
                field="shared_actor_id",
            )
        return data.shared_actor_id, False
    if not (data.name or "").strip():
        raise Invalid("give the name of the shared record", code="actor_link_name_empty", field="name")
    name = clean_text(data.name or "", "name", MAX_ACTOR_NAME)
    folded = fold(name)
    for row in await Actor.select(Actor.id, Actor.name).where(
        (Actor.kind == kind) & Actor.owner_case.is_null()
    ):
        if row["name"] is not None and fold(row["name"]) == folded:
            return row["id"], False
    actor_id = uuid.uuid4()
    await Actor.insert(Actor(id=actor_id, kind=kind, name=name, aliases="[]"))
    return actor_id, True


#: Other names a shared record may carry.
MAX_ALIASES = 20


def _clean_aliases(aliases: list[str]) -> list[str]:
    if len(aliases) > MAX_ALIASES:
        raise Invalid(f"at most {MAX_ALIASES} other names", code="too_many_aliases", field="aliases")
    cleaned = [clean_text(alias, "aliases", MAX_ACTOR_NAME, required=False) for alias in aliases]
    return [alias for alias in cleaned if alias]


async def _add_aliases(actor_id: uuid.UUID, aliases: list[str]) -> int:
    """Add the names the record does not carry yet (folded, its own name included); how many."""
    if not aliases:
        return 0
    row = await Actor.select(Actor.name, Actor.aliases).where(Actor.id == actor_id).first()
    if row is None:
        return 0
    known = [str(alias) for alias in json.loads(row["aliases"] or "[]")]
    seen = {fold(name) for name in [row["name"] or "", *known]}
    new = []
    for alias in aliases:
        if fold(alias) not in seen:
            seen.add(fold(alias))
            new.append(alias)
    if len(known) + len(new) > MAX_ALIASES:
        raise Invalid(f"at most {MAX_ALIASES} other names", code="too_many_aliases", field="aliases")
    if new:
        await Actor.update({Actor.aliases: json.dumps([*known, *new], ensure_ascii=False)}).where(
            Actor.id == actor_id
        )
    return len(new)


async def link_actor(
    ctx: ServiceContext, principal: Principal, case_id: uuid.UUID, actor_id: uuid.UUID, data: ActorLinkIn
) -> CaseOut:
    """Link the case's actor ``actor_id`` (one of the case alone, or one already linked) to a
    shared record. Refused for a protected actor, for one the case's draft shows publicly (the
    public would get another name than the one approved), on a case the caller filed or declared a
    conflict on."""
    added = _clean_aliases(data.aliases or [])
    seen = await load_case_row(principal, case_id)
    _require_team(principal)
    if filed_by(principal, seen):
        raise WrongState("nobody reviews a case they filed", code="own_case")
    if principal.id in (await case_facts(case_id)).conflicted:
        raise WrongState("you declared a conflict of interest on this case", code="conflict_declared")
    async with db.transaction():
        await custody.lock_log()
        row = await Case.select().where(Case.id == case_id).first()
        if row is None or row["status"] == CaseStatus.draft:
            raise NotFound("no such case", code="case_not_found")
        links = await CaseActor.select(
            CaseActor.id,
            CaseActor.actor,
            CaseActor.protect_identity,
            CaseActor.name_sealed,
            CaseActor.aliases_sealed,
            CaseActor.actor.kind,
            CaseActor.actor.name,
            CaseActor.actor.name_sealed,
            CaseActor.actor.aliases_sealed,
            CaseActor.actor.owner_case,
        ).where((CaseActor.case == case_id) & (CaseActor.actor == actor_id))
        if not links:
            raise NotFound("the case names no such actor", code="case_actor_not_found")
        if any(link["protect_identity"] for link in links):
            raise WrongState(
                "a protected person's name stays within the case: it is never linked",
                code="actor_protected",
            )
        draft = (
            await PublicationDraft.select(PublicationDraft.public_actor_ids)
            .where(PublicationDraft.case == case_id)
            .first()
        )
        if draft is not None and str(actor_id) in draft["public_actor_ids"]:
            raise WrongState(
                "the publication draft shows this actor: take it off the public actors first",
                code="actor_in_draft",
            )
        key = case_key(ctx, row)
        first = links[0]
        if first["actor.owner_case"] is not None:
            name, aliases = owned_name(key, actor_id, first, prefix="actor.")
        else:
            name, aliases = typed_name(key, first)
        target, created = await _target(data, first["actor.kind"])
        if target == actor_id and not added:
            raise WrongState("the actor is linked to that record already", code="actor_already_linked")
        count = await _add_aliases(target, added)
        if target == actor_id:
            await custody.append_entry(
                ctx.signer,
                actor_id=str(principal.id),
                action="actor.aliases_added",
                subject=f"case:{case_id}",
                details={"added": count},
            )
            return await get_case(ctx, principal, case_id)
        await CaseActor.update({CaseActor.actor: target, **seal_typed(key, target, name, aliases)}).where(
            CaseActor.id.is_in([link["id"] for link in links])
        )
        if first["actor.owner_case"] is not None:
            await Actor.delete().where((Actor.id == actor_id) & (Actor.owner_case == case_id))
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="case.actor_linked",
            subject=f"case:{case_id}",
            # Which record is in the rows; the entry says only that the link changed.
            details={"created": created, "aliases_added": count},
        )
    return await get_case(ctx, principal, case_id)


async def merge_actors(
    ctx: ServiceContext, principal: Principal, actor_id: uuid.UUID, into: uuid.UUID
) -> SharedActorOut:
    """An editor merges the shared record ``actor_id`` into ``into`` (same kind): every case that
    links to it links to ``into`` and keeps what its member typed. Refused while ``actor_id`` is
    shown by a published revision or a publication draft: the public would lose its page."""
    if principal.role != EDITOR:
        raise Forbidden("only an editor merges actors", code="editor_only")
    if actor_id == into:
        raise Invalid("an actor is not merged into itself", code="actor_merge_self", field="into")
    async with db.transaction():
        await custody.lock_log()
        rows = {
            row["id"]: row
            for row in await Actor.select(Actor.id, Actor.kind, Actor.name).where(
                Actor.id.is_in([actor_id, into]) & Actor.owner_case.is_null()
            )
        }
        if actor_id not in rows:
            raise NotFound("no such shared actor", code="actor_not_found")
        if into not in rows:
            raise Invalid("no such shared actor", code="actor_not_found", field="into")
        if rows[actor_id]["kind"] != rows[into]["kind"]:
            raise Invalid(
                "a person is merged into a person, an institution into an institution",
                code="actor_kind_mismatch",
                field="into",
            )
        published = await PublishedActor.exists().where(PublishedActor.actor_id == actor_id) or (
            await PublishedRevision.exists().where(PublishedRevision.actors.like(f"%{actor_id}%"))
        )
        drafted = await PublicationDraft.exists().where(
            PublicationDraft.public_actor_ids.like(f"%{actor_id}%")
        )
        if published or drafted:
            raise WrongState(
                "a published case or a publication draft shows this actor: it is not merged away",
                code="actor_published",
            )
        links = await CaseActor.select(
            CaseActor.id,
            CaseActor.case,
            CaseActor.actor,
            CaseActor.name_sealed,
            CaseActor.aliases_sealed,
            CaseActor.actor.name,
        ).where(CaseActor.actor == actor_id)
        cases = {
            case["id"]: case
            for case in await Case.select(Case.id, Case.wrapped_key, Case.key_id).where(
                Case.id.is_in([link["case"] for link in links] or [uuid.uuid4()])
            )
        }
        for link in links:
            key = case_key(ctx, cases[link["case"]])
            name, aliases = typed_name(key, link)
            await CaseActor.update({CaseActor.actor: into, **seal_typed(key, into, name, aliases)}).where(
                CaseActor.id == link["id"]
            )
        await Actor.delete().where(Actor.id == actor_id)
        await custody.append_entry(
            ctx.signer,
            actor_id=str(principal.id),
            action="actor.merged",
            subject=f"actor:{actor_id}",
            details={"cases": len({link["case"] for link in links})},
        )
    [merged] = await _shared_out([{"id": into, "kind": rows[into]["kind"], "name": rows[into]["name"]}])
    return merged
