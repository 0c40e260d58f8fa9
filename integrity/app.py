"""The application factory: `create_app(settings)` builds the whole Litestar app."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import importlib.util
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

from litestar import Litestar, Request, Response, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from piccolo.engine.base import Engine

from integrity import db
from integrity.accounts.authentication import provide_principal
from integrity.accounts.controller import (
    AuthController,
    GrantController,
    InvitationAcceptanceController,
    InvitationController,
    MeController,
    MemberAdminController,
)
from integrity.accounts.pages import AdminPages, JoinPages, LoginPages, SecondFactorPages, session_ended_page
from integrity.accounts.plugin import AccountsPlugin
from integrity.cases import filers
from integrity.cases.controller import CaseController, ReferenceDataController
from integrity.cases.pages import CasePages
from integrity.context import ServiceContext
from integrity.custody import service as custody_service
from integrity.custody.controller import PublicCustodyController
from integrity.custody.signing import Signer, load_or_create_signer
from integrity.errors import OcrUnavailable, StorageUnavailable
from integrity.health.controller import HealthController
from integrity.http.headers import API_SCHEMA_PATH, security_headers
from integrity.http.problems import EXCEPTION_HANDLERS
from integrity.jobs import JobQueue
from integrity.jobs import tasks as jobs
from integrity.notifications.controller import NotificationController
from integrity.notifications.pages import NotificationPages, count_unread
from integrity.preservation import fixity
from integrity.preservation.controller import (
    ErasureController,
    ExportController,
    HoldController,
    ShreddingController,
)
from integrity.preservation.pages import ErasurePages, PreservationPages
from integrity.publication import filecheck
from integrity.publication.cache import PublicCache
from integrity.publication.controller import PublicationController
from integrity.publication.pages import PublicationPages
from integrity.publication.public_controller import FeedController, PublicCasesController
from integrity.publication.public_pages import PublicPagesController
from integrity.referrals.controller import ReferralController, ReferralKindController, ReplyController
from integrity.referrals.pages import ReferralPages
from integrity.review.controller import ActorController, ReviewController
from integrity.review.pages import ReviewPages
from integrity.security.csrf import SESSION_ENDED
from integrity.security.dependencies import (
    provide_csrf_key,
    provide_rate_limiter,
    provide_settings,
    provide_system_keys,
)
from integrity.security.files import private_dir
from integrity.security.guards import principal_of
from integrity.settings import Settings
from integrity.vault import Keyring, Vault
from integrity.vault.backends import build_backend
from integrity.web.pages import PAGE_EXCEPTION_HANDLERS, ensure_csrf_state
from integrity.web.plugin import WebPlugin, configure_templates

log = logging.getLogger(__name__)

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"

#: The JSON API, by domain (each controller's paths, guards and tags are its own).
API_CONTROLLERS = [
    # health
    HealthController,
    # reference data
    ReferenceDataController,
    # accounts
    AuthController,
    MeController,
    InvitationController,
    InvitationAcceptanceController,
    MemberAdminController,
    GrantController,
    # cases and their review
    CaseController,
    ReviewController,
    ActorController,
    NotificationController,
    # publication and the public side
    PublicationController,
    PublicCasesController,
    FeedController,
    PublicCustodyController,
    ReferralKindController,
    ReferralController,
    ExportController,
    HoldController,
    ShreddingController,
    ErasureController,
    ReplyController,
]


async def before_page(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """Every page has a CSRF token to hand, and a logged-in member's header their unread count. A
    form sent after its session ended gets a page that keeps what was written and logs in again."""
    await ensure_csrf_state(request)
    if request.scope.get(SESSION_ENDED) and request.method == "POST" and principal_of(request) is None:  # type: ignore[call-overload]
        return await session_ended_page(request)
    await count_unread(request)
    return None


#: Every HTML page, in one router: errors become pages, and every page has a CSRF token to hand.
PAGES = Router(
    path="/",
    route_handlers=[
        PublicPagesController,
        LoginPages,
        SecondFactorPages,
        JoinPages,
        AdminPages,
        CasePages,
        ReviewPages,
        PublicationPages,
        ReferralPages,
        PreservationPages,
        ErasurePages,
        NotificationPages,
    ],
    include_in_schema=False,
    exception_handlers=PAGE_EXCEPTION_HANDLERS,  # type: ignore[arg-type]
    before_request=before_page,
)

STATIC_FILES = create_static_files_router(
    path="/static",
    directories=[FRONTEND / "static"],
    name="static",
    include_in_schema=False,
    cache_control=None,
)

#: Swagger UI for the API schema page, the files the `swagger-ui-py` package ships (found without
#: importing it): served by the platform itself, so the page asks no other origin for code.
SWAGGER_UI_PATH = "/static/swagger-ui"
_SWAGGER_UI_SPEC = importlib.util.find_spec("swagger_ui")
assert _SWAGGER_UI_SPEC is not None and _SWAGGER_UI_SPEC.submodule_search_locations
SWAGGER_UI_FILES = create_static_files_router(
    path=SWAGGER_UI_PATH,
    directories=[Path(next(iter(_SWAGGER_UI_SPEC.submodule_search_locations))) / "static"],
    name="swagger-ui",
    include_in_schema=False,
)

#: The app-wide dependencies, registered once.
DEPENDENCIES = {
    "settings": Provide(provide_settings, sync_to_thread=False),
    "principal": Provide(provide_principal),
    "limiter": Provide(provide_rate_limiter, sync_to_thread=False),
    "keys": Provide(provide_system_keys, sync_to_thread=False),
    "csrf_key": Provide(provide_csrf_key, sync_to_thread=False),
}


ReadinessCheck = Callable[[], Awaitable[None]]

CHECKPOINT_POLL_SECONDS = 300
#: How long stopping waits for the background tasks (the job workers wait 3 s for their jobs).
STOP_SECONDS = 15.0
#: How long stopping waits for the tasks left after everything else closed.
LEFTOVER_SECONDS = 5.0


#: True in the lifespan and every task it starts, and in every task those start in turn.
_STARTED_BY_APP: contextvars.ContextVar[bool] = contextvars.ContextVar("started_by_app", default=False)


@contextlib.contextmanager
def tracking_app_tasks() -> Iterator[weakref.WeakSet[asyncio.Task[Any]]]:
    """Record every task the app starts, directly or through a library (a worker's job, a pool's
    helper), for `stop_leftover_tasks`. The server's own tasks (requests, the test client's calls)
    run outside the lifespan's context and are not recorded."""
    loop = asyncio.get_running_loop()
    previous = loop.get_task_factory()
    started: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        made = asyncio.Task(coro, loop=loop, **kwargs) if previous is None else previous(loop, coro, **kwargs)
        task = cast("asyncio.Task[Any]", made)
        if _STARTED_BY_APP.get():
            started.add(task)
        return task

    loop.set_task_factory(factory)  # type: ignore[arg-type]
    marked = _STARTED_BY_APP.set(True)
    try:
        yield started
    finally:
        _STARTED_BY_APP.reset(marked)
        loop.set_task_factory(previous)


async def stop_leftover_tasks(started: weakref.WeakSet[asyncio.Task[Any]]) -> None:
    """Cancel the app's tasks still running after everything closed (a library's helper, a query a
    stopping job shielded) and wait for them, bounded: a task that ignores cancellation would
    otherwise keep the event loop, and the process, from ever ending. Those that stay are named by
    code location only (never by what they were working on)."""
    current = asyncio.current_task()
    leftovers = {task for task in list(started) if task is not current and not task.done()}
    if not leftovers:
        return
    for task in leftovers:
        task.cancel()
    _, stuck = await asyncio.wait(leftovers, timeout=LEFTOVER_SECONDS)
    for task in stuck:
        where = " <- ".join(
            f"{frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno} {frame.f_code.co_name}"
            for frame in reversed(task.get_stack())
        )
        log.warning("a task ignored cancellation at stop: %s", where)


async def custody_checkpoints(signer: Signer) -> None:
    """Sign a checkpoint at least hourly while new custody entries arrive, and at the next tick when
    a publication's is owed (`checkpoint_if_owed`).

    Every replica runs this; checkpoints are unique per tree size, so they cannot double up.
    """
    while True:
        await asyncio.sleep(CHECKPOINT_POLL_SECONDS)
        try:
            if not await custody_service.checkpoint_if_owed(signer):
                await custody_service.checkpoint_if_due(signer)
        except Exception as exc:  # noqa: BLE001 - retried at the next tick
            log.warning("periodic checkpoint failed: %s", type(exc).__name__)


def create_app(settings: Settings, *, engine: Engine | None = None) -> Litestar:
    # Evidence, keys and the database live here: this user's alone.
    private_dir(settings.data_dir)
    engine = engine or db.create_engine(settings.database)
    readiness: dict[str, ReadinessCheck] = {}

    async def database_ready() -> None:
        await db.check_connection(engine, settings.database)

    readiness["database"] = database_ready
    # One key ring for the process: evidence, case texts and account secrets alike.
    keyring = Keyring.load_or_create(settings)
    vault = Vault(build_backend(settings), keyring)
    readiness["vault"] = vault.check_ready

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        with tracking_app_tasks() as started:
            async with _serving():
                yield
            await stop_leftover_tasks(started)

    @asynccontextmanager
    async def _serving() -> AsyncIterator[None]:
        db.bind_engine(engine)
        pooled = await db.start_pool(engine)
        try:
            await vault.start()
        except StorageUnavailable as exc:
            # Serve anyway: /readyz reports it, and uploads fail with 503 until the store is back.
            log.warning("evidence storage not reachable at start: %s", exc.detail)
        try:
            # Cases filed before submitters were hidden from the database get hidden now.
            await filers.backfill(service_context)
        except Exception as exc:  # noqa: BLE001 - the next start tries again
            log.warning("older cases' submitters not hidden at start: %s", type(exc).__name__)
        try:
            # A publication whose process died before signing its checkpoint gets it now, before
            # anyone asks for its files' proofs.
            await custody_service.checkpoint_if_owed(signer)
        except Exception as exc:  # noqa: BLE001 - the periodic check tries again
            log.warning("owed custody checkpoint not signed at start: %s", type(exc).__name__)
        checkpoints = asyncio.create_task(custody_checkpoints(signer))
        # Background jobs (reading files for the leak check, e-mail) run here unless `integrity
        # worker` processes take them (INTEGRITY_JOBS=worker).
        workers = asyncio.create_task(jobs.serve(queue, in_process=settings.jobs == "in-process"))
        try:
            yield
        finally:
            for task in [checkpoints, workers]:
                task.cancel()
                # Bounded: a stop that hangs (a library waiting on a connection) must not keep the
                # process from ending; the work it leaves is recorded in its rows.
                done, _ = await asyncio.wait({task}, timeout=STOP_SECONDS)
                if not done:
                    log.warning("a background task did not stop within %s s; leaving it", STOP_SECONDS)
                with contextlib.suppress(asyncio.CancelledError):
                    if done:
                        await task
            # Each bounded too: what a task left behind must not keep the process from ending.
            for closing in (queue.close(), vault.aclose()):
                try:
                    await asyncio.wait_for(closing, STOP_SECONDS)
                except TimeoutError:
                    log.warning("a connection did not close within %s s at stop; leaving it", STOP_SECONDS)
            if pooled:
                await db.close_pool(engine, STOP_SECONDS)
            await db.settle_sqlite_workers()

    signer = load_or_create_signer(
        settings.signing_key_file, generated_in_data_dir=settings.keys_generated_in_data_dir
    )
    queue = JobQueue(settings.database)
    service_context = ServiceContext(vault=vault, signer=signer, settings=settings, jobs=queue)
    jobs.register(queue, service_context)

    async def ocr_ready() -> None:
        problem = await filecheck.ocr_problem(service_context)
        if problem:
            raise OcrUnavailable(problem, code="ocr_unavailable")

    readiness["ocr"] = ocr_ready
    state: dict[str, Any] = {
        "settings": settings,
        "signer": signer,
        "vault": vault,
        "jobs": queue,
        "engine": engine,
        "readiness_checks": readiness,
        # Shown on /readyz without making it fail: the process serves, but someone must look.
        "readiness_notices": {"fixity": fixity.latest_failures},
        "public_cache": PublicCache(
            max_bytes=settings.public_cache_bytes, revalidate_seconds=settings.public_cache_seconds
        ),
    }
    return Litestar(
        route_handlers=[*API_CONTROLLERS, PAGES, STATIC_FILES, SWAGGER_UI_FILES],
        dependencies=DEPENDENCIES,
        state=State(state),
        plugins=[AccountsPlugin(settings, keyring=keyring), WebPlugin(secure=settings.is_https)],
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        before_send=[security_headers(settings)],
        template_config=TemplateConfig(
            directory=FRONTEND / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=configure_templates,
        ),
        openapi_config=OpenAPIConfig(
            title="Integrity Network API",
            version="1",
            path=API_SCHEMA_PATH,
            render_plugins=[
                SwaggerRenderPlugin(
                    js_url=f"{SWAGGER_UI_PATH}/swagger-ui-bundle.js",
                    css_url=f"{SWAGGER_UI_PATH}/swagger-ui.css",
                    standalone_preset_js_url=f"{SWAGGER_UI_PATH}/swagger-ui-standalone-preset.js",
                    favicon='<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">',
                )
            ],
        ),
        # Logging is the process's business (`configure_logging` in `integrity serve`); errors are
        # logged by `integrity.http.problems` without their messages.
        logging_config=None,
        debug=False,
    )


#: Libraries whose DEBUG lines carry what passes through them (aiosqlite logs every statement with
#: its parameters: password hashes, e-mail addresses; the multipart parser logs form data): never
#: below INFO, whatever INTEGRITY_LOG_LEVEL says. Piccolo announces the server version on every
#: new engine, which is noise.
QUIET_LOGGERS = {
    "aiosqlite": logging.INFO,
    "asyncpg": logging.INFO,
    "psycopg": logging.INFO,
    # The connection pool announces every connection it lends and takes back.
    "psycopg.pool": logging.WARNING,
    "multipart": logging.INFO,
    "python_multipart": logging.INFO,
    "piccolo": logging.WARNING,
    # The job queue announces every job it starts and ends (the sweep every five seconds); its
    # warnings and errors still show.
    "procrastinate": logging.WARNING,
}


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    level = logging.getLevelName(settings.log_level)
    logging.getLogger().setLevel(level)
    for name, floor in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(floor, level))
