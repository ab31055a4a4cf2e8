"""The booking domain's pages: one module per page in `pages/` (renter search, request form, my
bookings, QR check-in, and the manager console), included here. A new page goes in `pages/`."""

from __future__ import annotations

from fastapi import APIRouter

from facility.booking.pages import (
    checkin,
    console,
    deposits,
    manage_booking,
    my_bookings,
    overview,
    reduction_categories,
    rental_rules,
    request,
    search,
)
from facility.core.web import NavItem

router = APIRouter(include_in_schema=False)
NAV = (
    NavItem("nav.book", "/book", order=20),
    NavItem("nav.my_bookings", "/my/bookings", frozenset({"renter"}), order=30),
    NavItem("nav.lotteries", "/lotteries", frozenset({"renter"}), order=35),
    NavItem("nav.manage", "/manage/bookings", frozenset({"manager", "admin"}), order=40),
    NavItem("nav.grid", "/manage/grid", frozenset({"manager", "admin", "crew"}), order=45),
    NavItem("nav.setup", "/manage/setup", frozenset({"crew"}), order=46),
)
for pages in (
    manage_booking,
    console,
    overview,
    search,
    request,
    my_bookings,
    checkin,
    rental_rules,
    reduction_categories,
    deposits,
):
    router.include_router(pages.router)
