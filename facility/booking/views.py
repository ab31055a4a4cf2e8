"""Renter pages: search and the week grids, the request form with a live price, my bookings and
invoices, and the QR check-in page; each lives in a `views_*` module beside this one, and the manager
console in `console`. The app picks up `views.router`, which includes them all."""

from __future__ import annotations

from fastapi import APIRouter

from facility.booking import (
    console,
    texts,  # noqa: F401  (registers the pages' text and navigation)
    views_checkin,
    views_my_bookings,
    views_request,
    views_search,
)

router = APIRouter(include_in_schema=False)
for pages in (console, views_search, views_request, views_my_bookings, views_checkin):
    router.include_router(pages.router)
