"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import secrets
import socket
import time
from urllib.parse import urlsplit

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import text

from facility.core.db import pending_migrations
from facility.core.errors import NotFound
from facility.core.i18n import gettext as _

router = APIRouter(tags=["operations"])

HTTP_REQUESTS = Counter(
    "facility_http_requests_total",
    "HTTP requests by method, route and status",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram("facility_http_request_seconds", "HTTP request duration by route", ["method", "route"])
# Readiness probes must answer quickly even when a dependency hangs.
PROBE_TIMEOUT_S = 2.0
# Names this process in the X-Facility-Worker header, so an operator (or a test) behind one port
# sees which of several web workers answered. Random, not the pid: it tells an outsider nothing.
WORKER_ID = secrets.token_hex(4)
WORKER_HEADER = "X-Facility-Worker"


def observe_request(method: str, route: str, status: int, started: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(time.perf_counter() - started)


def _check_database(request: Request) -> str:
    engine = request.app.state.engine
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return "migrations pending" if pending_migrations(engine) else "ok"


def _check_broker(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    with socket.create_connection((parts.hostname or "127.0.0.1", port), PROBE_TIMEOUT_S):
        return "ok"


def _check_influx(url: str) -> str:
    response = httpx.get(url.rstrip("/") + "/ping", timeout=PROBE_TIMEOUT_S)
    return "ok" if response.status_code in (200, 204) else f"HTTP {response.status_code}"


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The database is reachable and migrated; the broker and InfluxDB too, when configured."""
    settings = request.app.state.settings
    checks = {"database": _check_database}
    targets = {"database": request}
    if settings.mqtt_url:
        checks["broker"] = _check_broker  # type: ignore[assignment]
        targets["broker"] = settings.mqtt_url
    if settings.influx_url:
        checks["influxdb"] = _check_influx  # type: ignore[assignment]
        targets["influxdb"] = settings.influx_url
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            results[name] = check(targets[name])  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            results[name] = f"unreachable: {type(exc).__name__}"
    ready = all(value == "ok" for value in results.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": results},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus text format, for a scraper holding FACILITY_METRICS_TOKEN as its bearer token."""
    expected = request.app.state.settings.metrics_token
    if not expected:
        raise NotFound(_("Not found."))
    scheme, _space, sent = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(sent.strip().encode(), expected.encode()):
        # A plain 401 for the scraper, not the sign-in redirect a browser would get.
        message = _("The metrics need the scraper's bearer token.")
        return Response(message, status_code=401, media_type="text/plain", headers={"WWW-Authenticate": "Bearer"})
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
