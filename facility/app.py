"""The app factory: where the domains meet the web."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from facility import home
from facility.booking import router as booking_api
from facility.booking import views as booking_pages
from facility.booking.api import fees as booking_fees_api
from facility.core import audit, i18n, idempotency, ops, web
from facility.core import router as core_api
from facility.core import views as core_pages
from facility.core.admission import Admission
from facility.core.auth import csrf_protect
from facility.core.config import Settings, get_settings
from facility.core.db import SQLiteWriteGate, get_engine, pending_migrations
from facility.core.handlers import install_error_handlers
from facility.core.logging import configure_logging
from facility.core.ops import observe_request
from facility.core.web import request_language
from facility.domains import connect_domains, import_all_models
from facility.imports import views as import_pages
from facility.maintenance import router as maintenance_api
from facility.maintenance import views as maintenance_pages
from facility.rooms import router as rooms_api
from facility.rooms import views as rooms_pages
from facility.sensors import router as sensors_api
from facility.sensors import views as sensors_pages

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_MAX_AGE_S = 12 * 3600
# Allocations before a young-generation collection (CPython's default is 700).
GC_THRESHOLD = 50_000


# Every domain's JSON API, then every domain's pages, in dependency order: the order routes match in.
ROUTERS = (
    ops.router,
    core_api.router,
    core_pages.router,
    rooms_api.router,
    booking_api.router,
    booking_fees_api.router,
    sensors_api.router,
    maintenance_api.router,
    rooms_pages.router,
    booking_pages.router,
    sensors_pages.router,
    maintenance_pages.router,
    import_pages.router,
    home.router,
)


NOT_MIGRATED = "the database is not migrated: run `facility db upgrade` first"


class NotMigrated(RuntimeError):
    """The database schema is behind the code."""


def create_app(settings: Settings | None = None, *, check_migrations: bool = True) -> FastAPI:
    settings = settings or get_settings()
    import_all_models()
    connect_domains()
    i18n.load_catalogues()
    engine = get_engine(settings.sqlalchemy_url, settings.database_limits)
    if check_migrations and pending_migrations(engine):
        raise NotMigrated(NOT_MIGRATED)

    app = FastAPI(
        title="facility",
        version="0.1.0",
        description="Rooms, rental booking, live sensors and maintenance of a training campus.",
        dependencies=[Depends(csrf_protect)],
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.secret_key = settings.resolved_secret_key()

    # Innermost of our middleware: a request shed here is still counted and translated above.
    app.add_middleware(Admission, limits=settings.admission_limits)

    @app.middleware("http")
    async def _request_context(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        token = audit.client_ip.set(request.client.host if request.client else "")
        lang_token = i18n.current_language.set(request_language(request))
        try:
            response = await call_next(request)
        finally:
            i18n.current_language.reset(lang_token)
            audit.client_ip.reset(token)
        route = request.scope.get("route")
        observe_request(request.method, getattr(route, "path", "unmatched"), response.status_code, started)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers[ops.WORKER_HEADER] = ops.WORKER_ID
        return response

    idempotency.install(app)
    app.add_middleware(
        SessionMiddleware,
        secret_key=app.state.secret_key,
        session_cookie="facility_session",
        max_age=SESSION_MAX_AGE_S,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    if engine.dialect.name == "sqlite":
        app.add_middleware(SQLiteWriteGate)
    if settings.proxy_list:
        # Outermost, so the limiter, the audit log and the session all see the real client.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.proxy_list)
    install_error_handlers(app)

    for router in ROUTERS:
        app.include_router(router)
    app.state.nav = (
        *web.NAV,
        *rooms_pages.NAV,
        *booking_pages.NAV,
        *sensors_pages.NAV,
        *maintenance_pages.NAV,
        *import_pages.NAV,
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    tune_garbage_collector()
    return app


def create_worker_app() -> FastAPI:
    """The app of one `facility serve --workers N` process, built from the environment.

    uvicorn spawns each worker as a fresh interpreter that runs only this factory, not the CLI:
    without configuring logging here its access and error lines would go nowhere.
    """
    configure_logging()
    return create_app()


def tune_garbage_collector() -> None:
    """Collect less often, and never the objects made at start-up.

    A request allocates many short-lived objects; with the default thresholds the oldest
    generation is collected every few requests, which showed as 50-100 ms pauses at the 95th
    percentile of the availability search (bench/availability.py).
    """
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 50, 100)
