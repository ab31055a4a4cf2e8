"""Booking policy: buffers and durations per room kind, lead times, holds, grace periods, quotas,
and the calendar of days the Institute does not rent (Korean public holidays and closures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from sqlmodel import Session, col, select

from facility.booking.models import Closure


@dataclass(frozen=True)
class KindRules:
    buffer_before: timedelta
    buffer_after: timedelta
    min_duration: timedelta
    max_duration: timedelta


_MIN = timedelta(minutes=1)
DEFAULT_RULES = KindRules(15 * _MIN, 15 * _MIN, 60 * _MIN, 12 * 60 * _MIN)
# Halls need time to set up and clear seating and stage; small rooms only a quick clean.
RULES_BY_KIND: dict[str, KindRules] = {
    "auditorium": KindRules(60 * _MIN, 60 * _MIN, 120 * _MIN, 15 * 60 * _MIN),
    "convention_hall": KindRules(60 * _MIN, 60 * _MIN, 120 * _MIN, 15 * 60 * _MIN),
    "multipurpose_hall": KindRules(30 * _MIN, 30 * _MIN, 60 * _MIN, 15 * 60 * _MIN),
    "hybrid_lecture_hall": KindRules(30 * _MIN, 30 * _MIN, 60 * _MIN, 12 * 60 * _MIN),
    "gym": KindRules(30 * _MIN, 30 * _MIN, 60 * _MIN, 8 * 60 * _MIN),
    "pool": KindRules(30 * _MIN, 30 * _MIN, 60 * _MIN, 4 * 60 * _MIN),
    "studio": KindRules(30 * _MIN, 30 * _MIN, 60 * _MIN, 8 * 60 * _MIN),
    "seminar_room": KindRules(15 * _MIN, 15 * _MIN, 30 * _MIN, 12 * 60 * _MIN),
}

# Renters book at least a day ahead (the Institute must prepare the room) and at most a year.
MIN_LEAD = timedelta(days=1)
MAX_LEAD = timedelta(days=365)
# Starts and ends fall on this grid so free slots line up in the week view.
SLOT_MINUTES = 30
# A hold keeps a slot while the renter fills in the request form.
HOLD_TTL = timedelta(minutes=15)
# A booking not checked in this long after its start is released as a no-show.
CHECK_IN_GRACE = timedelta(minutes=30)
# Check-in opens this long before the start.
CHECK_IN_EARLY = timedelta(minutes=30)
# Booked hours per calendar month an organisation may hold unless its quota says otherwise.
DEFAULT_MONTHLY_QUOTA_HOURS = 60


def rules_for(kind: str) -> KindRules:
    return RULES_BY_KIND.get(kind, DEFAULT_RULES)


@lru_cache(maxsize=16)
def _korean_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("KR", years=year, language="ko"))


def holiday_name(session: Session, day: date) -> str | None:
    """The name of the public holiday or Institute closure on this local day, if any."""
    name = _korean_holidays(day.year).get(day)
    if name:
        return name
    closure = session.exec(select(Closure).where(Closure.day == day)).first()
    return closure.name if closure else None


def closed_days(session: Session, first: date, last: date) -> dict[date, str]:
    """Public holidays and closures between two local days, inclusive."""
    found: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        found.update({d: n for d, n in _korean_holidays(year).items() if first <= d <= last})
    query = select(Closure).where(col(Closure.day) >= first, col(Closure.day) <= last)
    found.update({c.day: c.name for c in session.exec(query)})
    return found


def on_grid(moment: datetime) -> bool:
    return moment.second == 0 and moment.microsecond == 0 and moment.minute % SLOT_MINUTES == 0
