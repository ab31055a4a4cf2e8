"""Small helpers the booking modules share: the campus time zone and timestamps."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from facility.booking.models import Booking
from facility.core.config import active_settings
from facility.core.db import utcnow


def local_zone() -> ZoneInfo:
    """The campus time zone of the active settings (Asia/Seoul unless FACILITY_TIMEZONE says otherwise)."""
    return active_settings().zone


def iso(moment: datetime) -> str:
    """An instant as ISO 8601 in the campus time zone, with its offset."""
    return moment.astimezone(local_zone()).isoformat()


def hours_text(length: timedelta) -> str:
    return f"{length.total_seconds() / 3600:g}"


def touch(booking: Booking) -> None:
    booking.updated_at = utcnow()
