"""Times for booking tests, entered in Asia/Seoul as a renter would."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session

SEOUL = ZoneInfo("Asia/Seoul")


def next_weekday(days_ahead: int = 7, weekday: int = 1, *, weeks: int = 1) -> date:
    """A working day (default Tuesday) at least `days_ahead` days from today such that it and the
    same weekday of the following `weeks - 1` weeks are not public holidays."""
    import holidays

    day = datetime.now(SEOUL).date() + timedelta(days=days_ahead)
    kr = holidays.country_holidays("KR", years=[day.year, day.year + 1])
    while day.weekday() != weekday or any(day + timedelta(weeks=k) in kr for k in range(weeks)):
        day += timedelta(days=1)
    return day


def seoul(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SEOUL)


def slot(day: date, start_hour: int, end_hour: int) -> dict[str, str]:
    return {"start": seoul(day, start_hour).isoformat(), "end": seoul(day, end_hour).isoformat()}


def query_plan(session: Session, statement: object) -> str:
    """The plan the database would use, as text; PostgreSQL is kept off sequential scans, which an
    empty test table always favours, to show which indexes can answer at all."""
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True})  # type: ignore[attr-defined]
    if connection.dialect.name == "sqlite":
        return "\n".join(str(row[-1]) for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    return "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {compiled}")))
