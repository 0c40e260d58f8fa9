"""Exports on the API (API.md "Second wave (issues 14 and 15)"): an editor asks for a case's
package for a recipient, another approves it, and either of them gets the package."""

from __future__ import annotations

import builtins
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import msgspec
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from integrity.cases.tables import Case
from integrity.context import ServiceContext, provide_service_context
from integrity.preservation import erasure, exports, holds, retention
from integrity.security.guards import Principal, requires_login


class ExportIn(msgspec.Struct, forbid_unknown_fields=True):
    #: The recipient's age X25519 public key (age1...): only its holder can open the package.
    recipient: str


class ExportOut(msgspec.Struct):
    id: uuid.UUID
    status: str


class ExportController(Controller):
    path = "/api/v1/cases/{case_id:uuid}/exports"
    tags = ["preservation"]
    guards = [requires_login]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    @post("/", operation_id="request_export", status_code=HTTP_201_CREATED)
    async def request(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[ExportIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> ExportOut:
        made = await exports.request_export(ctx, principal, case_id, data.recipient)
        return ExportOut(id=made.id, status=made.status)

    @post("/{export_id:uuid}/approve", operation_id="approve_export", status_code=HTTP_200_OK)
    async def approve(
        self,
        case_id: FromPath[uuid.UUID],
        export_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> ExportOut:
        made = await exports.approve_export(ctx, principal, case_id, export_id)
        return ExportOut(id=made.id, status=made.status)

    @get(
        "/{export_id:uuid}/package",
        operation_id="export_package",
        media_type="application/octet-stream",
        description="The approved export: an age-encrypted POSIX tar holding one folder, the BagIt bag.",
    )
    async def package(
        self,
        case_id: FromPath[uuid.UUID],
        export_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> Stream:
        folder = Path(tempfile.mkdtemp(prefix="integrity-package-"))
        out = folder / "package.tar.age"
        try:
            digest = await exports.package_for(ctx, principal, case_id, export_id, out)
        except BaseException:
            await anyio.to_thread.run_sync(shutil.rmtree, folder, True)
            raise
        case = await Case.select(Case.reference).where(Case.id == case_id).first()
        name = f"{case['reference'] if case else 'case'}.tar.age"
        return Stream(
            _read_then_remove(out),
            status_code=HTTP_200_OK,
            media_type="application/octet-stream",
            headers={
                "content-disposition": f'attachment; filename="{name}"',
                "content-length": str((await anyio.Path(out).stat()).st_size),
                "x-package-sha256": digest,
            },
        )


async def _read_then_remove(path: Path) -> AsyncIterator[bytes]:
    try:
        async with await anyio.open_file(path, "rb") as stream:
            while chunk := await stream.read(1 << 20):
                yield chunk
    finally:
        await anyio.to_thread.run_sync(shutil.rmtree, path.parent, True)


class HoldIn(msgspec.Struct, forbid_unknown_fields=True):
    #: Why the case is held (kept sealed with the case's key).
    reason: str


class HoldOut(msgspec.Struct):
    id: uuid.UUID
    status: str
    reason: str
    #: How many of the case's stored objects the store holds under its legal hold, after a
    #: confirmation (0 where the store has no object lock: the hold is the database's alone).
    store_held: int | None = None


def _hold_out(hold: holds.Hold) -> HoldOut:
    return HoldOut(id=hold.id, status=hold.status, reason=hold.reason, store_held=hold.store_held)


class HoldController(Controller):
    """Legal holds (API.md "Second wave (issues 14 and 15)"): two editors place one, two release it."""

    path = "/api/v1/cases/{case_id:uuid}/holds"
    tags = ["preservation"]
    guards = [requires_login]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    @post("/", operation_id="request_hold", status_code=HTTP_201_CREATED)
    async def request(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[HoldIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> HoldOut:
        return _hold_out(await holds.request_hold(ctx, principal, case_id, data.reason))

    @get("/", operation_id="list_holds")
    async def list(
        self,
        case_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> builtins.list[HoldOut]:
        return [_hold_out(hold) for hold in await holds.list_holds(ctx, principal, case_id)]

    @post("/{hold_id:uuid}/confirm", operation_id="confirm_hold", status_code=HTTP_200_OK)
    async def confirm(
        self,
        case_id: FromPath[uuid.UUID],
        hold_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> HoldOut:
        return _hold_out(await holds.confirm(ctx, principal, case_id, hold_id))

    @post("/{hold_id:uuid}/release", operation_id="release_hold", status_code=HTTP_200_OK)
    async def release(
        self,
        case_id: FromPath[uuid.UUID],
        hold_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> HoldOut:
        return _hold_out(await holds.release(ctx, principal, case_id, hold_id))


class ShredIn(msgspec.Struct, forbid_unknown_fields=True):
    #: Why the case goes before its time (kept sealed with the case's key, gone with it).
    reason: str


class ShredOut(msgspec.Struct):
    #: The request's id while ``pending``; once ``shredded``, the tombstone's (a whole case) or
    #: the request's (a published case's originals).
    id: uuid.UUID
    status: str
    #: ``case``: a withdrawn or rejected case, whole; ``originals``: a published case's originals
    #: (its published copies, revisions and pages stay).
    scope: str = "case"


class ShreddingController(Controller):
    """Shredding a closed case (or a published case's originals) before its retention runs out:
    one editor asks, another confirms.
    (Added to API.md's "Second wave": the issue asks for it, the contract does not name a path.)"""

    path = "/api/v1/cases/{case_id:uuid}/shredding"
    tags = ["preservation"]
    guards = [requires_login]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    @post("/", operation_id="request_shredding", status_code=HTTP_201_CREATED)
    async def request(
        self,
        case_id: FromPath[uuid.UUID],
        data: JSONBody[ShredIn],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> ShredOut:
        step = await retention.request_shredding(ctx, principal, case_id, data.reason)
        return ShredOut(id=step.id, status=step.status, scope=step.scope)

    @post("/{request_id:uuid}/confirm", operation_id="confirm_shredding", status_code=HTTP_200_OK)
    async def confirm(
        self,
        case_id: FromPath[uuid.UUID],
        request_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> ShredOut:
        step = await retention.confirm_shredding(ctx, principal, case_id, request_id)
        return ShredOut(id=step.id, status=step.status, scope=step.scope)


class ErasureOut(msgspec.Struct):
    id: uuid.UUID
    #: ``pending`` (asked), ``confirmed`` (one admin), ``done`` (erased).
    status: str
    #: How many unpublished cases were shredded, once done.
    shredded: int = 0


class ErasureController(Controller):
    """A member's erasure (added to API.md's "Second wave": the issue asks for it, the contract
    names no path): the member asks, two admins confirm."""

    path = "/api/v1"
    tags = ["preservation"]
    guards = [requires_login]
    dependencies = {"ctx": Provide(provide_service_context, sync_to_thread=False)}

    @post("/me/erasure", operation_id="request_erasure", status_code=HTTP_201_CREATED)
    async def request(
        self, principal: NamedDependency[Principal], ctx: NamedDependency[ServiceContext]
    ) -> ErasureOut:
        made = await erasure.request_erasure(ctx, principal)
        return ErasureOut(id=made.id, status=made.status)

    @delete("/me/erasure", operation_id="withdraw_erasure", status_code=HTTP_204_NO_CONTENT)
    async def withdraw(
        self, principal: NamedDependency[Principal], ctx: NamedDependency[ServiceContext]
    ) -> None:
        await erasure.withdraw_erasure(ctx, principal)

    @get("/erasures", operation_id="list_erasures")
    async def pending(self, principal: NamedDependency[Principal]) -> builtins.list[ErasureOut]:
        return [ErasureOut(id=e.id, status=e.status) for e in await erasure.pending_erasures(principal)]

    @post("/erasures/{erasure_id:uuid}/confirm", operation_id="confirm_erasure", status_code=HTTP_200_OK)
    async def confirm(
        self,
        erasure_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        ctx: NamedDependency[ServiceContext],
    ) -> ErasureOut:
        done = await erasure.confirm_erasure(ctx, principal, erasure_id)
        return ErasureOut(id=done.id, status=done.status, shredded=done.shredded)
