"""The app factory: where the domains meet the web."""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from fastapi import Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from facility import home
from facility.booking import ical, rules
from facility.booking import router as booking_api
from facility.booking import views as booking_pages
from facility.booking.api import fees as booking_fees_api
from facility.core import account as core_account
from facility.core import audit, i18n, idempotency, issuer_page, ops, web
from facility.core import router as core_api
from facility.core import views as core_pages
from facility.core.admission import Admission
from facility.core.auth import csrf_protect
from facility.core.collector import tune_garbage_collector
from facility.core.config import Settings, using
from facility.core.db import SQLiteWriteGate, engine_for, pending_migrations
from facility.core.handlers import install_error_handlers
from facility.core.ops import observe_request
from facility.core.web import request_language
from facility.domains import connect_domains, import_all_models
from facility.energy import router as energy_api
from facility.energy import views as energy_pages
from facility.imports import statement_pages, statements_api
from facility.imports import views as import_pages
from facility.maintenance import router as maintenance_api
from facility.maintenance import views as maintenance_pages
from facility.rooms import router as rooms_api
from facility.rooms import views as rooms_pages
from facility.sensors import command_router as sensors_commands_api
from facility.sensors import control_views as sensors_control_pages
from facility.sensors import router as sensors_api
from facility.sensors import rules_api as sensors_rules_api
from facility.sensors import rules_views as sensors_rules_pages
from facility.sensors import views as sensors_pages

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_MAX_AGE_S = 12 * 3600


# Every domain's JSON API, then every domain's pages, in dependency order: the order routes match in.
# Routes are tried one by one, so the probes and the rush-hour booking API come first (no two
# routers share a path: the order changes only how soon a request finds its route).
ROUTERS = (
    ops.router,
    booking_api.router,
    core_api.router,
    core_account.api,
    core_pages.router,
    core_account.pages,
    issuer_page.router,
    rooms_api.router,
    booking_fees_api.router,
    sensors_api.router,
    sensors_commands_api.router,
    sensors_rules_api.router,
    maintenance_api.router,
    energy_api.router,
    statements_api.router,
    rooms_pages.router,
    booking_pages.router,
    sensors_pages.router,
    sensors_control_pages.router,
    sensors_rules_pages.router,
    maintenance_pages.router,
    energy_pages.router,
    import_pages.router,
    statement_pages.router,
    home.router,
)


NOT_MIGRATED = "the database is not migrated: run `facility db upgrade` first"


# Sent with every response unless the route set its own.
SECURITY_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "same-origin"),
)


def relative_location(location: str) -> str:
    """The path of a redirect's target: an absolute one was built from the request's `Host`
    header (Starlette's trailing-slash redirect does so), which the client chose. The app never
    redirects to another site."""
    parts = urlsplit(location)
    if not parts.scheme and not parts.netloc:
        return location
    # "//evil.example" would still leave the site: a path always starts with exactly one slash.
    return urlunsplit(("", "", "/" + parts.path.lstrip("/"), parts.query, parts.fragment))


class RequestContext:
    """ASGI middleware: the request's client address and language for the audit log and the
    translations, the request's metrics, the security headers, the answering worker's id and
    redirects that stay on the site whatever `Host` said.

    Plain ASGI rather than `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs the app
    in a task of its own and streams the response through a memory channel: two more hops on the
    event loop for every request, at rush hour too.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request = Request(scope)
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    headers.setdefault(name, value)
                headers[ops.WORKER_HEADER] = ops.WORKER_ID
                if "location" in headers:
                    headers["location"] = relative_location(headers["location"])
            await send(message)

        token = audit.client_ip.set(request.client.host if request.client else "")
        lang_token = i18n.current_language.set(request_language(request))
        try:
            # Services read the time zone and channels from this app's tree, as its pages do.
            with using(self.settings):
                await self.app(scope, receive, send_with_headers)
        finally:
            i18n.current_language.reset(lang_token)
            audit.client_ip.reset(token)
            route = scope.get("route")
            observe_request(scope["method"], getattr(route, "path", "unmatched"), status, started)


class NotMigrated(RuntimeError):
    """The database schema is behind the code."""


def create_app(settings: Settings, *, check_migrations: bool = True) -> FastAPI:
    import_all_models()
    connect_domains()
    i18n.load_catalogues()
    # What the first booking requests would otherwise compute while others wait behind them.
    rules.load_holidays(date.today())
    ical.timezone_component(settings.timezone)
    engine = engine_for(settings)
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

    app.add_middleware(RequestContext, settings=settings)
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
        *energy_pages.NAV,
        *import_pages.NAV,
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    tune_garbage_collector()
    return app


WARM_UP_PATH = "/__warm-up__"


def warm_up(app: FastAPI) -> FastAPI:
    """Do before serving what the first requests after a start would otherwise do while a rush
    waits behind them (`facility serve`, each worker; a restart at nine on a Monday meets the
    queue warm):
    open one pooled connection (the database answers, and the first request finds it open; the rest
    open when requests need them, so a worker's start does not take connections a busy database has
    left for others), and have FastAPI build every route's handler, which it does on the first
    request that looks through a router (a path no route has looks through them all)."""
    with app.state.engine.connect():
        pass
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": WARM_UP_PATH,
        "raw_path": WARM_UP_PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 0),
        "server": ("127.0.0.1", 0),
        "state": {},
    }
    answered: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answered.append(message["status"])

    # On a thread of its own, so it runs whether or not the caller's thread has an event loop.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, app.router(scope, receive, send)).result()
    if answered != [404]:
        log.warning("warm-up request answered %s", answered)
    return app
