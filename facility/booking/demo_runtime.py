"""What the booking domain adds to `facility demo`: the demo fee schedules (idempotent)."""

from __future__ import annotations

from collections.abc import Callable

from facility.booking.demo import load_demo_fees
from facility.core.config import Settings
from facility.core.db import get_engine, session_scope


def start(settings: Settings) -> Callable[[], None]:
    with session_scope(get_engine(settings.sqlalchemy_url)) as session:
        load_demo_fees(session)
    return lambda: None
