"""Dates and wall-clock times as the renter pages read them: in the campus zone of the running app."""

from __future__ import annotations

from datetime import date, datetime, time

from fastapi import Request

from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _


def parse_day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def today(request: Request) -> date:
    return datetime.now(request.app.state.settings.zone).date()


def local_time(request: Request, day: date, at: str) -> datetime:
    """A local wall-clock time from a form's HH:MM (ValueError when it is not one)."""
    hour, minute = (int(p) for p in at.split(":", 1))
    return datetime.combine(day, time(hour, minute), tzinfo=request.app.state.settings.zone)


def local_range(request: Request, day: str, start: str, end: str) -> tuple[datetime, datetime]:
    """Start and end from a form's day and times, or a 422 saying what is wrong."""
    try:
        local_day = date.fromisoformat(day)
        return local_time(request, local_day, start), local_time(request, local_day, end)
    except ValueError:
        raise InvalidInput(_("Enter the day as YYYY-MM-DD and the times as HH:MM.")) from None
