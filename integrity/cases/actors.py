"""The people and institutions a case names: checked, linked to shared actor records, and read
back with protected names open only to those who may see them.

A shared actor (one per kind and folded name, so a person can be followed across published cases)
holds only the name; what a member typed for it in their case (the name as they spelt it, and the
aliases) stays with the case, sealed with its key. So a member who names the same person as another
member gets back only what they typed themselves, never the other's aliases (an unsubmitted
draft's "kum ministra ...")."""

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
from integrity.reference import fold

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
        elif actor.protect_identity:
            # A protected person's name exists only sealed, inside this case.
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
        else:
            assert actor.name is not None and actor.kind is not None
            actor_id = await _shared_actor(actor.name.strip(), actor.kind)
        typed: dict[str, Any] = {"name_sealed": None, "aliases_sealed": None}
        if actor.actor_id is None and not actor.protect_identity:
            assert actor.name is not None
            aliases = [alias.strip() for alias in actor.aliases if alias.strip()]
            typed = {
                "name_sealed": key.seal(f"case_actor:{actor_id}:name", actor.name.strip()),
                "aliases_sealed": key.seal(f"case_actor:{actor_id}:aliases", json.dumps(aliases)),
            }
        await CaseActor.insert(
            CaseActor(
                case=case_id,
                actor=actor_id,
                role=actor.role.value,
                protect_identity=actor.protect_identity,
                **typed,
            )
        )
    # Private actors no longer linked to this case are removed with their sealed names.
    linked = CaseActor.select(CaseActor.actor).where(CaseActor.case == case_id)
    await Actor.delete().where((Actor.owner_case == case_id) & Actor.id.not_in(linked))


async def _shared_actor(name: str, kind: ActorKind) -> uuid.UUID:
    """One shared actor per kind and folded name, so a person or institution can be followed. It
    takes nothing of what the member typed beyond the first spelling of the name."""
    folded = fold(name)
    for row in await Actor.select(Actor.id, Actor.name).where(
        (Actor.kind == kind.value) & Actor.owner_case.is_null()
    ):
        if row["name"] is not None and fold(row["name"]) == folded:
            return row["id"]
    actor_id = uuid.uuid4()
    await Actor.insert(Actor(id=actor_id, kind=kind.value, name=name, aliases="[]"))
    return actor_id


async def case_actors(key: CaseKey, case_id: uuid.UUID) -> list[ActorOut]:
    """The case's actors with their names and aliases opened: sealed under the case key for actors
    private to the case, in clear for shared ones."""
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
        if link["actor.name_sealed"] is not None:
            name = key.open_text(f"actor:{actor_id}:name", link["actor.name_sealed"])
            aliases = json.loads(key.open_text(f"actor:{actor_id}:aliases", link["actor.aliases_sealed"]))
        elif link["name_sealed"] is not None:
            name = key.open_text(f"case_actor:{actor_id}:name", link["name_sealed"])
            aliases = json.loads(key.open_text(f"case_actor:{actor_id}:aliases", link["aliases_sealed"]))
        else:
            # Linked by id (a reviewer's choice), or filed before typed names stayed with the case:
            # the shared name only; aliases other members typed are nobody's business here.
            name = link["actor.name"]
            aliases = []
        actors.append(
            ActorOut(
                actor_id=actor_id,
                name=name,
                kind=ActorKind(link["actor.kind"]),
                role=link["role"],
                protect_identity=link["protect_identity"],
                aliases=aliases,
            )
        )
    return actors
