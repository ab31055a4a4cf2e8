"""Times for booking tests, entered in Asia/Seoul as a renter would."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")


def next_weekday(days_ahead: int = 7, weekday: int = 1) -> date:
    """A working day (default Tuesday) at least `days_ahead` days from today, not a holiday."""
    import holidays

    day = datetime.now(SEOUL).date() + timedelta(days=days_ahead)
    kr = holidays.country_holidays("KR", years=[day.year, day.year + 1])
    while day.weekday() != weekday or day in kr:
        day += timedelta(days=1)
    return day


def seoul(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SEOUL)


def slot(day: date, start_hour: int, end_hour: int) -> dict[str, str]:
    return {"start": seoul(day, start_hour).isoformat(), "end": seoul(day, end_hour).isoformat()}
