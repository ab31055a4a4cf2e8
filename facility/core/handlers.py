"""Error rendering: JSON {"detail", "code"} for the API, a toast for htmx, a page otherwise."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from facility.core.db import LOST_RACE_SQLSTATES, sqlite_busy
from facility.core.errors import FacilityError
from facility.core.i18n import gettext as _
from facility.core.validation_text import translated_errors, validation_message
from facility.core.web import render

log = logging.getLogger(__name__)
# The database ran out of patience: lock_timeout (55P03), statement_timeout or a cancel (57014),
# idle_in_transaction_session_timeout (25P03). Nothing was decided; the same request may succeed
# in a moment, so it is 503 with Retry-After rather than a 500.
BUSY_SQLSTATES = frozenset({"55P03", "57014", "25P03"})
# Seconds a client is asked to wait before retrying a request the server was too busy for.
RETRY_AFTER_S = 1


def _wants_json(request: Request) -> bool:
    # The scope's path, not `request.url`: building the URL cost as much as the rest of a 409.
    path: str = request.scope["path"]
    return path.startswith("/api/") or "application/json" in request.headers.get("accept", "").split(",")[0]


def _respond(request: Request, status: int, detail: str, code: str, extra: dict[str, Any]) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": detail, "code": code, **extra}, status_code=status)
    if request.headers.get("hx-request") == "true":
        if status == 401:
            return Response(status_code=200, headers={"HX-Redirect": "/login"})
        response = render(request, "toast.html", {"message": detail, "level": "error"})
        response.status_code = status
        # htmx drops 4xx bodies by default; retarget the toast into the page's toast area.
        response.headers["HX-Retarget"] = "#toasts"
        response.headers["HX-Reswap"] = "beforeend"
        return response
    if status == 401:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"/login?next={target}", status_code=303)
    return render(request, "error.html", {"message": detail, "status": status}, status_code=status)


def busy_response(request: Request) -> Response:
    """503 with Retry-After: the server could not get a slot, a connection or a lock in time."""
    message = _("The server is busy; please try again in a moment.")
    response = _respond(request, 503, message, "busy", {})
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FacilityError)
    async def _facility_error(request: Request, exc: FacilityError) -> Response:
        response = _respond(request, exc.status_code, exc.message, exc.code, exc.extra)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        return _respond(request, 422, validation_message(errors), "invalid", {"errors": translated_errors(errors)})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "not_authenticated"}
        # Starlette's own details ("Not Found") read as our sentences; any other is looked up as written.
        details = {404: _("Not found."), 405: _("This method is not allowed here.")}
        detail = details.get(exc.status_code) or (
            _(exc.detail) if isinstance(exc.detail, str) else _("Request failed.")
        )
        response = _respond(request, exc.status_code, detail, codes.get(exc.status_code, "http_error"), {})
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _bad_data(request: Request, exc: Exception) -> Response:
        # The database refused a value (a NUL byte, a number out of range): the input was bad.
        return _respond(request, 422, _("A value is out of range or contains invalid characters."), "invalid", {})

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        log.info("integrity error on %s %s: %s", request.method, request.url.path, exc.orig)
        return _respond(request, 409, _("The change conflicts with existing data."), "conflict", {})

    @app.exception_handler(StatementError)
    async def _statement(request: Request, exc: StatementError) -> Response:
        # A value the driver could not even send (a date beyond datetime's range) is bad input.
        if isinstance(exc.orig, OverflowError | ValueError):
            return _respond(request, 422, _("A value is out of range."), "invalid", {})
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if sqlstate in BUSY_SQLSTATES or (
            isinstance(exc, DBAPIError) and (exc.connection_invalidated or sqlite_busy(exc))
        ):
            log.warning("database busy on %s %s: %s", request.method, request.url.path, exc.orig)
            return busy_response(request)
        if sqlstate in LOST_RACE_SQLSTATES:
            return _respond(request, 409, _("The request collided with another one; try again."), "conflict", {})
        log.error("database error on %s %s", request.method, request.url.path, exc_info=exc)
        return _respond(request, 500, _("Internal error; it has been logged."), "internal", {})

    @app.exception_handler(PoolTimeout)
    async def _no_connection(request: Request, exc: PoolTimeout) -> Response:
        log.warning("no database connection in time on %s %s", request.method, request.url.path)
        return busy_response(request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _respond(request, 500, _("Internal error; it has been logged."), "internal", {})
