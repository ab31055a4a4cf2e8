"""The public open-data feed of rentable rooms (공유누리 and Seoul field names), JSON and CSV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from facility.booking import open_data
from facility.core.auth import DbSession
from facility.core.exports import csv_response

router = APIRouter()
# Portals poll daily; an hour's cache lets proxies and portals share one answer.
CACHE_CONTROL = "public, max-age=3600"


@router.get("/open-data/facilities")
def facilities(session: DbSession) -> Response:
    """Every rentable room with both portals' fields; `fields` lists them in order (docs/booking.md)."""
    body: dict[str, Any] = {
        "fields": {"eshare": list(open_data.ESHARE_FIELDS), "seoul": list(open_data.SEOUL_FIELDS)},
        "items": list(open_data.facilities(session)),
    }
    return JSONResponse(body, headers={"Cache-Control": CACHE_CONTROL})


@router.get("/open-data/facilities.csv")
def facilities_csv(session: DbSession) -> Response:
    """The same records as a CSV (UTF-8 with BOM), one column per field."""
    response = csv_response(open_data.as_rows(open_data.facilities(session)), filename="facilities.csv")
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response
