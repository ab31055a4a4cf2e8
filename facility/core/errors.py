"""One error type that carries its HTTP status and a stable code, rendered as JSON or a toast."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    detail: str
    code: str


class FacilityError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code
        if code is not None:
            self.code = code
        self.extra = extra or {}
        # Sent with the error response, e.g. `Retry-After` on a 429.
        self.headers = headers or {}


class NotFound(FacilityError):
    status_code = 404
    code = "not_found"


class Forbidden(FacilityError):
    status_code = 403
    code = "forbidden"


class NotAuthenticated(FacilityError):
    status_code = 401
    code = "not_authenticated"


class Conflict(FacilityError):
    status_code = 409
    code = "conflict"


class InvalidInput(FacilityError):
    status_code = 422
    code = "invalid"


class TooManyRequests(FacilityError):
    status_code = 429
    code = "rate_limited"


def error_responses(*errors: type[FacilityError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the errors a route may raise."""
    return {error.status_code: {"description": error.__name__, "model": ErrorBody} for error in errors}
