"""The one runner of a booking request, for the JSON API and the request page alike.

Both hand it a `BookingCreate`; it screens the request outside any transaction, runs
`service.request_booking` in one unit of work on one worker thread and commits (core/one_hop.py).
A page post and an API post for the same slot therefore take the same route, meet the same
refusals and leave the same rows and side effects behind.
"""

from __future__ import annotations

from fastapi import Request

from facility.booking import service
from facility.booking.models import Booking
from facility.booking.schemas import BookingCreate
from facility.core.models import User
from facility.core.one_hop import run_unit_of_work


async def run_booking_request(request: Request, body: BookingCreate) -> tuple[Booking, User]:
    """Book `body` for the signed-in user, committed; the booking and who asked. Refusals raise."""
    return await run_unit_of_work(
        request,
        lambda session, user, screened: (service.request_booking(session, user, body, screened=screened), user),
        idempotent=True,
        screen=lambda session, user: service.screen_booking_request(session, user, body),
    )
