"""The S3 backend (MinIO, SeaweedFS, AWS): the only module in the project that imports `minio`.

The `minio` client is blocking, so every call runs in a worker thread behind a bounded limiter, with
keyword arguments, under a deadline; urllib3 timeouts and a short retry budget keep a dead or
black-holed server from pinning a thread. An unreachable store is `StorageUnavailable` within about
ten seconds.

Uploads are multipart: an encrypting producer fills parts of `part_size` (>= 5 MiB, the S3 minimum)
and hands them over an unbuffered queue to `upload_concurrency` uploaders, so about four parts are in
memory per upload (filling, handed over, two in flight) whatever the size of the file. Any error
aborts the multipart upload.
`minio`'s public `put_object` would pull from a blocking ``read()`` and hold a worker thread for the
whole upload (hours for a large file from a slow client over Tor), so the vault drives the same S3
calls itself through the client's own `_create_multipart_upload` / `_upload_part` /
`_complete_multipart_upload` / `_abort_multipart_upload`; `_list_multipart_uploads` has no public
counterpart at all. These are why `minio` is pinned below its next major, and the contract tests run
them against a real server.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import islice
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import certifi
import urllib3
from anyio.abc import ObjectReceiveStream
from minio import Minio
from minio.commonconfig import GOVERNANCE
from minio.datatypes import Part
from minio.error import MinioException, S3Error
from minio.helpers import MIN_PART_SIZE
from minio.retention import Retention

from integrity.errors import NotFound, StorageUnavailable
from integrity.settings import S3Settings
from integrity.vault.backends import OBJECT_PREFIX, PendingUpload, StoredObject

T = TypeVar("T")

log = logging.getLogger("integrity.vault.s3")

PART_SIZE = 8 * 1024 * 1024
#: Parts of one upload in flight at once; with the part being filled, what bounds an upload's memory.
UPLOAD_CONCURRENCY = 2
READ_SIZE = 1024 * 1024
#: Deadline for calls that move no bulk data (stat, delete, list, create/complete/abort upload).
CALL_TIMEOUT = 8.0
#: Deadline for a call that moves one part (or a whole small object) over a slow link. A server that
#: stops answering is caught long before by the socket timeout (`read_timeout`, which bounds every
#: send and receive on the connection), so a dead store is `StorageUnavailable` within ten seconds.
TRANSFER_TIMEOUT = 300.0
#: How long a failed put spends trying to abort or remove what it may have left.
CLEANUP_TIMEOUT = 2.0
_MISSING = frozenset({"NoSuchKey", "NoSuchObject", "NoSuchVersion"})


class S3Backend:
    kind = "s3"

    def __init__(
        self,
        settings: S3Settings,
        *,
        part_size: int = PART_SIZE,
        upload_concurrency: int = UPLOAD_CONCURRENCY,
        max_threads: int = 16,
        connect_timeout: float = 3.0,
        read_timeout: float = 6.0,
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise ValueError("S3 parts must be at least 5 MiB")
        self.settings = settings
        self.bucket = settings.bucket
        self.part_size = part_size
        self.upload_concurrency = upload_concurrency
        self._limiter = anyio.CapacityLimiter(max_threads)
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            maxsize=max_threads,
            cert_reqs="CERT_REQUIRED",
            # As minio does by default: a private CA for an internal MinIO goes in SSL_CERT_FILE.
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
            retries=urllib3.Retry(
                total=2,
                connect=1,
                read=0,
                status=2,
                backoff_factor=0.2,
                status_forcelist=(500, 502, 503, 504),
            ),
        )
        self._client = Minio(
            endpoint=settings.endpoint,
            access_key=settings.access_key,
            secret_key=settings.secret_key,
            secure=settings.secure,
            region=settings.region,
            http_client=self._http,
        )
        self._object_lock = False

    async def _call(self, fn: Callable[..., T], /, *, transfer: bool = False, **kwargs: Any) -> T:
        """``fn(**kwargs)`` in a worker thread under a deadline, with the client's errors mapped.

        A call that moves no data is abandoned at its deadline (its thread ends at the socket timeout).
        A transfer is never abandoned: a part still being sent after its upload was aborted, or a
        response read from two threads, would be worse than waiting for the socket timeout.
        """
        try:
            with anyio.fail_after(TRANSFER_TIMEOUT if transfer else CALL_TIMEOUT):
                return await anyio.to_thread.run_sync(
                    partial(fn, **kwargs), limiter=self._limiter, abandon_on_cancel=not transfer
                )
        except TimeoutError:
            raise StorageUnavailable("the object store did not answer in time") from None
        except S3Error as exc:
            if exc.code in _MISSING:
                raise NotFound("no such object", code="object_not_found") from None
            log.warning("object store refused a request: %s", exc.code)
            raise StorageUnavailable(f"the object store refused the request ({exc.code})") from None
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise StorageUnavailable(f"the object store cannot be reached ({type(exc).__name__})") from None

    async def start(self) -> None:
        """Create the bucket if missing (with object lock when retention is configured)."""
        if not await self._call(self._client.bucket_exists, bucket_name=self.bucket):
            try:
                await self._call(
                    self._client.make_bucket,
                    bucket_name=self.bucket,
                    location=self.settings.region,
                    object_lock=self.settings.retention_days > 0,
                )
                log.info("created the vault bucket")
            except StorageUnavailable:
                # Another replica may have created it a moment ago.
                if not await self._call(self._client.bucket_exists, bucket_name=self.bucket):
                    raise
        self._object_lock = await self._has_object_lock()
        if self.settings.retention_days and not self._object_lock:
            log.warning("INTEGRITY_S3_RETENTION_DAYS is set but the vault bucket has no object lock")

    async def _has_object_lock(self) -> bool:
        def probe() -> bool:
            try:
                self._client.get_object_lock_config(bucket_name=self.bucket)
            except S3Error:
                # ObjectLockConfigurationNotFoundError, or a server without the feature.
                return False
            return True

        return await self._call(probe)

    async def aclose(self) -> None:
        self._http.clear()

    async def check(self) -> str:
        if not await self._call(self._client.bucket_exists, bucket_name=self.bucket):
            raise StorageUnavailable("the vault bucket does not exist")
        return "s3 bucket reachable" + (", object lock on" if self._object_lock else "")

    # -- writing -----------------------------------------------------------------------------------

    async def write(self, name: str, pieces: AsyncIterator[bytes], *, retain: bool) -> int:
        parts = _parts(pieces, self.part_size)
        first, last = await anext(parts)
        if last:
            try:
                await self._call(
                    self._client._put_object,
                    transfer=True,
                    bucket_name=self.bucket,
                    object_name=name,
                    data=first,
                    headers={"Content-Type": "application/octet-stream"},
                )
            except BaseException:
                # The server may have stored it and the answer got lost (or the caller gave up).
                with anyio.CancelScope(shield=True):
                    await self._remove_after_failure(name)
                raise
            await self._retain(name, retain)
            return len(first)

        upload_id: str = await self._call(
            self._client._create_multipart_upload,
            bucket_name=self.bucket,
            object_name=name,
            headers={"Content-Type": "application/octet-stream"},
        )
        etags: dict[int, str] = {}
        written = len(first)
        try:
            send, receive = anyio.create_memory_object_stream[tuple[int, bytes]](max_buffer_size=0)
            try:
                async with anyio.create_task_group() as group:
                    with receive:
                        for _ in range(self.upload_concurrency):
                            group.start_soon(self._upload_parts, name, upload_id, receive.clone(), etags)
                    async with send:
                        await send.send((1, first))
                        del first
                        number = 1
                        async for part, _ in parts:
                            number += 1
                            written += len(part)
                            await send.send((number, part))
            except BaseExceptionGroup as group:
                raise _first_error(group) from None
            await self._call(
                self._client._complete_multipart_upload,
                bucket_name=self.bucket,
                object_name=name,
                upload_id=upload_id,
                parts=[Part(number, etags[number]) for number in sorted(etags)],
            )
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._abort(name, upload_id)
            raise
        await self._retain(name, retain)
        return written

    async def _upload_parts(
        self,
        name: str,
        upload_id: str,
        receive: ObjectReceiveStream[tuple[int, bytes]],
        etags: dict[int, str],
    ) -> None:
        async with receive:
            async for number, data in receive:
                etags[number] = await self._call(
                    self._client._upload_part,
                    transfer=True,
                    bucket_name=self.bucket,
                    object_name=name,
                    data=data,
                    headers=None,
                    upload_id=upload_id,
                    part_number=number,
                )

    async def _abort(self, name: str, upload_id: str) -> None:
        with anyio.move_on_after(CLEANUP_TIMEOUT):
            try:
                await self._call(
                    self._client._abort_multipart_upload,
                    bucket_name=self.bucket,
                    object_name=name,
                    upload_id=upload_id,
                )
                return
            except NotFound:
                return
            except StorageUnavailable:
                pass
        # The store is gone; `integrity reconcile` aborts what is left once it is back.
        log.warning("could not abort a failed multipart upload; reconcile will")

    async def _retain(self, name: str, retain: bool) -> None:
        """Object-lock retention (governance mode) for originals, when the bucket has object lock.

        Set after the write rather than as upload headers: some S3 servers (SeaweedFS) stall on
        retention headers in CreateMultipartUpload, and PutObjectRetention is the same guarantee.
        If it cannot be set, the object is removed and the put fails: originals are never stored
        unprotected when protection is configured.
        """
        if not (retain and self._object_lock and self.settings.retention_days > 0):
            return
        until = datetime.now(UTC) + timedelta(days=self.settings.retention_days)
        try:
            await self._call(
                self._client.set_object_retention,
                bucket_name=self.bucket,
                object_name=name,
                config=Retention(GOVERNANCE, until),
            )
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self._remove_after_failure(name)
            raise

    async def set_legal_hold(self, name: str, on: bool) -> bool:
        """An object-lock legal hold: while it is on, the object's version cannot be deleted or
        overwritten by anyone, whatever their credentials' other rights (a DELETE only adds a
        delete marker)."""
        if not self._object_lock:
            return False
        call = self._client.enable_object_legal_hold if on else self._client.disable_object_legal_hold
        await self._call(call, bucket_name=self.bucket, object_name=name)
        return True

    async def legal_hold(self, name: str) -> bool:
        if not self._object_lock:
            return False

        def probe() -> bool:
            try:
                return bool(
                    self._client.is_object_legal_hold_enabled(bucket_name=self.bucket, object_name=name)
                )
            except S3Error as exc:
                if exc.code == "NoSuchObjectLegalHold":  # never held: some servers say so this way
                    return False
                raise

        return await self._call(probe)

    async def _remove_after_failure(self, name: str) -> None:
        """Best effort, and brief: the store is likely the thing that failed. `reconcile` is the net."""
        with anyio.move_on_after(CLEANUP_TIMEOUT):
            try:
                await self.delete(name)
                return
            except StorageUnavailable:
                pass
        log.warning("could not remove the object of a failed put; reconcile will")

    # -- reading and the rest ----------------------------------------------------------------------

    async def read(self, name: str, *, length: int | None = None) -> AsyncGenerator[bytes, None]:
        response = await self._call(
            self._client.get_object,
            bucket_name=self.bucket,
            object_name=name,
            offset=0,
            length=length or 0,
        )
        complete = False
        try:
            while True:
                piece = await self._call(response.read, transfer=True, amt=READ_SIZE)
                if not piece:
                    complete = True
                    return
                yield piece
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(_release, response, complete, limiter=self._limiter)

    async def delete(self, name: str) -> None:
        try:
            await self._call(self._client.remove_object, bucket_name=self.bucket, object_name=name)
        except NotFound:
            return

    async def exists(self, name: str) -> bool:
        try:
            await self._call(self._client.stat_object, bucket_name=self.bucket, object_name=name)
        except NotFound:
            return False
        return True

    async def list_objects(self) -> AsyncIterator[StoredObject]:
        listing = self._client.list_objects(bucket_name=self.bucket, prefix=OBJECT_PREFIX, recursive=True)
        while batch := await self._call(_take, items=listing):
            for item in batch:
                if item.object_name is None or item.is_dir:
                    continue
                yield StoredObject(
                    name=item.object_name,
                    size=item.size or 0,
                    modified=item.last_modified or datetime.now(UTC),
                )

    async def list_pending(self) -> AsyncIterator[PendingUpload]:
        key_marker: str | None = None
        upload_id_marker: str | None = None
        while True:
            result = await self._call(
                self._client._list_multipart_uploads,
                bucket_name=self.bucket,
                prefix=OBJECT_PREFIX,
                key_marker=key_marker,
                upload_id_marker=upload_id_marker,
                max_uploads=1000,
            )
            for upload in result.uploads:
                if upload.upload_id:
                    yield PendingUpload(
                        name=upload.object_name,
                        upload_id=upload.upload_id,
                        started=upload.initiated_time or datetime.now(UTC),
                    )
            if not result.is_truncated or not result.uploads:
                return
            # minio 7.2 drops NextUploadIdMarker; the last upload listed is the same marker.
            key_marker = result.next_key_marker or result.uploads[-1].object_name
            upload_id_marker = result.uploads[-1].upload_id

    async def abort_pending(self, upload: PendingUpload) -> None:
        try:
            await self._call(
                self._client._abort_multipart_upload,
                bucket_name=self.bucket,
                object_name=upload.name,
                upload_id=upload.upload_id,
            )
        except NotFound:
            return


async def _parts(pieces: AsyncIterator[bytes], size: int) -> AsyncIterator[tuple[bytes, bool]]:
    """Re-cut a stream into parts of exactly ``size`` bytes but the last; (part, is_last)."""
    buffer = bytearray()
    async for piece in pieces:
        view = memoryview(piece)
        # Strictly more than a part: only then is it certain that this part is not the last one.
        while len(buffer) + len(view) > size:
            take = size - len(buffer)
            buffer += view[:take]
            view = view[take:]
            part = bytes(buffer)
            buffer = bytearray()
            yield part, False
        buffer += view
    yield bytes(buffer), True


def _take(items: Iterator[T], count: int = 1000) -> list[T]:
    return list(islice(items, count))


def _release(response: urllib3.BaseHTTPResponse, complete: bool) -> None:
    # A response read to the end can go back to the pool; one abandoned half-way must be closed,
    # or the next request on that connection would read the rest of this body.
    if not complete:
        response.close()
    response.release_conn()


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The error that broke an upload (its task group wraps it), preferring the store's own."""
    leaves: list[BaseException] = []

    def collect(error: BaseException) -> None:
        if isinstance(error, BaseExceptionGroup):
            for inner in error.exceptions:
                collect(inner)
        else:
            leaves.append(error)

    collect(group)
    for error in leaves:
        if isinstance(error, StorageUnavailable):
            return error
    return leaves[0]
