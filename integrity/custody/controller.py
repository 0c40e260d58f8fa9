"""Public custody endpoints: keys, checkpoints, inclusion and consistency proofs, public entries."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from litestar import Controller, get
from litestar.datastructures import CacheControlHeader, State
from litestar.params import PathParameter, QueryParameter

from integrity.custody import service
from integrity.custody.schemas import (
    CheckpointOut,
    CheckpointPage,
    ConsistencyProofOut,
    CustodyEntryBody,
    CustodyEntryOut,
    InclusionProofOut,
    KeysOut,
    PublicKeyOut,
)
from integrity.errors import NotFound

# Proofs for given sizes never change; the latest checkpoint does, so it is cached briefly.
IMMUTABLE = CacheControlHeader(public=True, max_age=86400)
SHORT = CacheControlHeader(public=True, max_age=30)
#: Sequence numbers and tree sizes are BIGINT in the database; anything larger is refused as invalid
#: (422) rather than overflowing the driver (500).
MAX_SEQ = 2**63 - 1
MAX_PAGE = 2**31


class PublicCustodyController(Controller):
    path = "/api/v1/public"
    tags = ["public"]

    @get("/keys", operation_id="public_keys", cache_control=SHORT)
    async def keys(self, state: State) -> KeysOut:
        keys = await service.public_keys(state.signer)
        return KeysOut(keys=[PublicKeyOut(**key) for key in keys])

    @get("/custody/checkpoint", operation_id="latest_checkpoint", cache_control=SHORT)
    async def latest_checkpoint(self) -> CheckpointOut:
        latest = await service.latest_checkpoint()
        if latest is None:
            raise NotFound("no checkpoint has been signed yet", code="no_checkpoint")
        return CheckpointOut(**asdict(latest))

    @get("/custody/checkpoints", operation_id="list_checkpoints", cache_control=SHORT)
    async def checkpoints(
        self,
        page: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> CheckpointPage:
        items, total = await service.list_checkpoints(page=page, page_size=page_size)
        return CheckpointPage(
            items=[CheckpointOut(**asdict(item)) for item in items],
            total=total,
            page=page,
            page_size=page_size,
        )

    @get("/custody/proof", operation_id="inclusion_proof", cache_control=SHORT)
    async def inclusion_proof(
        self,
        seq: Annotated[int, QueryParameter(ge=1, le=MAX_SEQ)],
        tree_size: Annotated[int | None, QueryParameter(ge=1, le=MAX_SEQ)] = None,
    ) -> InclusionProofOut:
        proof = await service.inclusion_proof(seq, tree_size)
        return InclusionProofOut(**asdict(proof))

    @get("/custody/consistency", operation_id="consistency_proof", cache_control=IMMUTABLE)
    async def consistency_proof(
        self,
        first: Annotated[int, QueryParameter(ge=1, le=MAX_SEQ)],
        second: Annotated[int, QueryParameter(ge=1, le=MAX_SEQ)],
    ) -> ConsistencyProofOut:
        path = await service.consistency_proof(first, second)
        return ConsistencyProofOut(first=first, second=second, path=path)

    @get("/custody/entries/{seq:int}", operation_id="public_custody_entry", cache_control=IMMUTABLE)
    async def entry(self, seq: Annotated[int, PathParameter(ge=1, le=MAX_SEQ)]) -> CustodyEntryOut:
        record = await service.get_public_entry(seq)
        return CustodyEntryOut(
            seq=record.seq,
            prev_hash=record.prev_hash,
            entry=CustodyEntryBody(**record.entry()),
            entry_hash=record.entry_hash,
        )
