"""The people and institutions a case names: checked, kept with the case, and read back with their
names open only to those who may see the case.

Everything a member types for an actor (the name as they spelt it, the aliases) becomes an actor
of the case alone, sealed with its key. Matching it to a shared actor record (one a reader can
follow across published cases) is the review team's call, made on the review side
(``integrity.review.actors``): nothing a member files is looked up among other members' actors, so
a member only ever gets back what they typed, never another member's aliases (an unsubmitted
draft's "kum ministra ...") nor a sign that somebody else named the same person. Once linked, the
case keeps what its member typed (sealed in ``CaseActor``) and the shared record keeps only its
name."""

from __future__ import annotations

import json
import uuid
from typing import Any

from integrity.cases.schemas import (
    ActorIn,
    ActorOut,
)
from integrity.cases.sealing import CaseKey
from integrity.cases.tables import (
    Actor,
    ActorKind,
    CaseActor,
)
from integrity.cases.validation import clean_text
from integrity.errors import Invalid

MAX_ACTORS = 50


MAX_ACTOR_NAME = 200


MAX_ALIASES = 10


async def check_actors(actors: list[ActorIn]) -> None:
    if len(actors) > MAX_ACTORS:
        raise Invalid(f"at most {MAX_ACTORS} actors per case", code="too_many_actors", field="actors")
    for index, actor in enumerate(actors):
        where = f"actors[{index}]"
        if actor.actor_id is not None:
            if actor.name is not None or actor.kind is not None or actor.aliases:
                raise Invalid(
                    f"{where}: give either actor_id or name and kind, not both",
                    code="actor_ambiguous",
                    field="actors",
                )
            shared = await Actor.exists().where((Actor.id == actor.actor_id) & Actor.owner_case.is_null())
            if not shared:
                raise Invalid(f"{where}: no such actor", code="actor_not_found", field="actors")
        else:
            if actor.name is None or actor.kind is None:
                raise Invalid(
                    f"{where}: a new actor needs a name and a kind", code="actor_incomplete", field="actors"
                )
            clean_text(actor.name, f"{where}.name", MAX_ACTOR_NAME)
            if len(actor.aliases) > MAX_ALIASES:
                raise Invalid(
                    f"{where}: at most {MAX_ALIASES} aliases", code="actor_too_many_aliases", field="actors"
                )
            for alias in actor.aliases:
                clean_text(alias, f"{where}.aliases", MAX_ACTOR_NAME)


async def link_actors(key: CaseKey, case_id: uuid.UUID, actors: list[ActorIn]) -> None:
    await CaseActor.delete().where(CaseActor.case == case_id)
    for actor in actors:
        if actor.actor_id is not None:
            actor_id = actor.actor_id
        else:
            # The name exists only sealed, inside this case, until the review team links it.
            assert actor.name is not None and actor.kind is not None
            actor_id = uuid.uuid4()
            aliases = [alias.strip() for alias in actor.aliases if alias.strip()]
            await Actor.insert(
                Actor(
                    id=actor_id,
                    kind=actor.kind.value,
                    name_sealed=key.seal(f"actor:{actor_id}:name", actor.name.strip()),
                    aliases_sealed=key.seal(f"actor:{actor_id}:aliases", json.dumps(aliases)),
                    owner_case=case_id,
                )
            )
        await CaseActor.insert(
            CaseActor(
                case=case_id,
                actor=actor_id,
                role=actor.role.value,
                protect_identity=actor.protect_identity,
            )
        )
    # Private actors no longer linked to this case are removed with their sealed names.
    linked = CaseActor.select(CaseActor.actor).where(CaseActor.case == case_id)
    await Actor.delete().where((Actor.owner_case == case_id) & Actor.id.not_in(linked))


def typed_name(key: CaseKey, link: dict[str, Any]) -> tuple[str, list[str]]:
    """What the case's member typed for a linked actor (``CaseActor`` row with its ``actor``
    selected), or the shared name alone for one linked by id or stored before typed names stayed
    with the case."""
    actor_id = link["actor"]
    if link["name_sealed"] is None:
        return link["actor.name"], []
    name = key.open_text(f"case_actor:{actor_id}:name", link["name_sealed"])
    aliases = json.loads(key.open_text(f"case_actor:{actor_id}:aliases", link["aliases_sealed"]))
    return name, aliases


def seal_typed(key: CaseKey, actor_id: uuid.UUID, name: str, aliases: list[str]) -> dict[Any, bytes]:
    """``CaseActor`` values keeping what the member typed for the shared actor ``actor_id``."""
    return {
        CaseActor.name_sealed: key.seal(f"case_actor:{actor_id}:name", name),
        CaseActor.aliases_sealed: key.seal(f"case_actor:{actor_id}:aliases", json.dumps(aliases)),
    }


def owned_name(
    key: CaseKey, actor_id: uuid.UUID, row: dict[str, Any], prefix: str = ""
) -> tuple[str, list[str]]:
    """The sealed name and aliases of an actor of the case alone (``prefix`` for joined columns)."""
    name = key.open_text(f"actor:{actor_id}:name", row[f"{prefix}name_sealed"])
    aliases = json.loads(key.open_text(f"actor:{actor_id}:aliases", row[f"{prefix}aliases_sealed"]))
    return name, aliases


async def case_actors(key: CaseKey, case_id: uuid.UUID, *, team: bool = False) -> list[ActorOut]:
    """The case's actors with their names and aliases opened (what the case's member typed); for
    the review ``team``, also the name of the shared record each is linked to."""
    links = (
        await CaseActor.select(
            CaseActor.actor,
            CaseActor.role,
            CaseActor.protect_identity,
            CaseActor.actor.kind,
            CaseActor.actor.name,
            CaseActor.actor.aliases,
            CaseActor.actor.name_sealed,
            CaseActor.actor.aliases_sealed,
            CaseActor.name_sealed,
            CaseActor.aliases_sealed,
        )
        .where(CaseActor.case == case_id)
        .order_by(CaseActor.id)
    )
    actors = []
    for link in links:
        actor_id = link["actor"]
        shared = link["actor.name_sealed"] is None
        if not shared:
            name, aliases = owned_name(key, actor_id, link, prefix="actor.")
        else:
            # Linked by the review team (or by id): what this case's member typed; the shared
            # record's other names are nobody's business here.
            name, aliases = typed_name(key, link)
        actors.append(
            ActorOut(
                actor_id=actor_id,
                name=name,
                kind=ActorKind(link["actor.kind"]),
                role=link["role"],
                protect_identity=link["protect_identity"],
                aliases=aliases,
                shared=shared,
                shared_name=link["actor.name"] if shared and team else None,
            )
        )
    return actors
