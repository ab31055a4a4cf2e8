"""What the booking domain adds to `facility demo`: fee schedules and a few bookings."""

from __future__ import annotations

from collections.abc import Callable

from facility.booking.demo import load_demo_bookings, load_demo_fees
from facility.core.config import Settings
from facility.core.db import engine_for, session_scope


def start(settings: Settings) -> Callable[[], None]:
    with session_scope(engine_for(settings)) as session:
        load_demo_fees(session)
        load_demo_bookings(session)
    return lambda: None
