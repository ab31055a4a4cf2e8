"""The booking domain's pages: one module per page in `pages/` (renter search, request form, my
bookings, QR check-in, and the manager console), included here. A new page goes in `pages/`."""

from __future__ import annotations

from fastapi import APIRouter

from facility.booking import texts  # noqa: F401  (registers the pages' text and navigation)
from facility.booking.pages import checkin, console, my_bookings, request, search

router = APIRouter(include_in_schema=False)
for pages in (console, search, request, my_bookings, checkin):
    router.include_router(pages.router)
