"""The booking domain's JSON API under /api/v1: one module per resource in `api/`, included here in
the order their OpenAPI paths keep. A new API route goes in the `api/` module of its resource."""

from __future__ import annotations

from fastapi import APIRouter

from facility.booking.api import (
    availability,
    blocks,
    bookings,
    calendar,
    invoices,
    lotteries,
    open_data,
    overview,
    reduction_categories,
    reductions,
    series,
)

router = APIRouter(prefix="/api/v1", tags=["booking"])
for api in (
    availability,
    bookings,
    series,
    blocks,
    invoices,
    calendar,
    overview,
    lotteries,
    reductions,
    reduction_categories,
    open_data,
):
    router.include_router(api.router)
