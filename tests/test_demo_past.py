"""The demo has a past: rentals with invoices and payments, inspections done on time, late and
missed, closed work with parts and photos, a crew day with a handful of overdue items, and
readings older than a month on a room's chart. SQLite runs it through `facility demo-data` twice
(tests/test_cli.py); PostgreSQL here, in process, on a shorter past."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from facility.booking import demo_history as booking_history
from facility.core.accounts import get_user_by_email
from facility.core.config import EnergySettings
from facility.core.db import get_engine, utcnow
from facility.core.models import Role
from facility.demo.load import load_demo_readings, load_whole_demo
from facility.energy import accounting
from facility.energy import demo_history as energy_history
from facility.maintenance.myday import my_day
from facility.rooms.models import Room
from facility.sensors import demo_history as sensor_history
from facility.sensors import service as sensors_service
from facility.sensors.store.sql import SqlStore
from tests.conftest import clean_database
from tests.factories import make_user

SEOUL = ZoneInfo("Asia/Seoul")
COUNTED = (
    "booking",
    "invoice",
    "payment",
    "outbox_message",
    "mnt_inspection",
    "mnt_submission",
    "mnt_work_order",
    "mnt_part_usage",
    "mnt_photo",
    "sensor_reading",
)


def past_counts(url: str) -> dict[str, int]:
    """Rows per table of the past, and bookings per status: what a second load must not change."""
    with get_engine(url).connect() as connection:
        counts = {t: int(connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in COUNTED}
        for status, n in connection.execute(text("SELECT status, count(*) FROM booking GROUP BY status")):
            counts[f"booking {status}"] = int(n)
    return counts


def _scalar(session: Session, sql: str) -> int:
    return int(session.execute(text(sql)).scalar_one())


def assert_demo_has_a_past(url: str, *, old_points: int = 100) -> dict[str, int]:
    """Check the shapes the reports, compliance, the crew's day and the charts show; returns counts."""
    counts = past_counts(url)
    assert counts["booking completed"] > 20 and counts["booking no_show"] + counts["booking cancelled"] > 0, counts
    assert counts.get("booking confirmed", 0) + counts.get("booking requested", 0) > 0, counts
    engine = get_engine(url)
    now = utcnow()
    with Session(engine) as session:
        assert _scalar(session, "SELECT count(*) FROM invoice WHERE status = 'paid' AND paid = total") > 20
        assert _scalar(session, "SELECT count(*) FROM invoice WHERE kind = 'cancellation'") > 0
        assert _scalar(session, "SELECT count(*) FROM invoice WHERE status = 'void'") > 0
        assert _scalar(session, "SELECT count(*) FROM outbox_message WHERE status = 'pending'") < 20
        assert _scalar(session, "SELECT count(*) FROM mnt_inspection WHERE completed_at <= due_at") > 50
        assert _scalar(session, "SELECT count(*) FROM mnt_inspection WHERE completed_at > due_at") > 5
        assert _scalar(session, "SELECT count(*) FROM mnt_inspection WHERE status = 'missed'") > 0
        assert _scalar(session, "SELECT count(*) FROM mnt_submission") > 50
        closed_with_parts = (
            "SELECT count(DISTINCT w.id) FROM mnt_work_order w JOIN mnt_part_usage u ON u.work_order_id = w.id "
            "JOIN mnt_photo p ON p.work_order_id = w.id WHERE w.status = 'verified'"
        )
        assert _scalar(session, closed_with_parts) > 5
        crew = get_user_by_email(session, "crew@demo.facility.kr")
        manager = get_user_by_email(session, "manager@demo.facility.kr")
        assert crew is not None and manager is not None
        overdue = [stop for stop in my_day(session, crew, now, ZoneInfo("Asia/Seoul")) if stop.overdue]
        assert 0 < len(overdue) < 15, [(s.title, s.due_at) for s in overdue]
        assert all(s.due_at is None or s.due_at > now - timedelta(days=7) for s in overdue)
        room = session.exec(select(Room).where(Room.code == "E-201")).one()
        start = now - timedelta(days=90)
        points = sensors_service.room_series(
            session,
            SqlStore(engine),
            manager,
            room.id,  # type: ignore[arg-type]
            "temperature",
            start,
            now,
            sensors_service.default_every(start, now),
        )
        # A month of room meters from the thermal model: the report computes use and a baseline.
        today = now.astimezone(SEOUL).date()
        month = accounting.energy_report(
            session, SqlStore(engine), manager, today - timedelta(days=7), today, "kind", SEOUL, EnergySettings()
        )
    old = [p for p in points if p.ts < now - timedelta(days=30)]
    assert len(old) > old_points and 15 < old[0].value < 30, (len(points), old[:2])
    assert len(month.total.rooms) > 50 and month.total.kwh > 1000, month.total
    assert month.total.baseline_kwh >= month.total.kwh, month.total
    return counts


@pytest.fixture
def pg_engine(database_urls: dict[str, str]) -> Iterator[Engine]:
    engine = get_engine(database_urls["postgresql"])
    clean_database(engine)
    yield engine
    clean_database(engine)


def _load(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        load_whole_demo(session)
        session.commit()
    load_demo_readings(engine, SqlStore(engine))


@pytest.mark.slow
def test_the_demo_past_on_postgresql_loads_once(pg_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # A shorter past than the demo's 90 days keeps this test to seconds; the shapes are the same.
    monkeypatch.setattr(booking_history, "HISTORY_DAYS", 45)
    monkeypatch.setattr(sensor_history, "HISTORY_DAYS", 35)
    monkeypatch.setattr(energy_history, "DAYS", 8)
    with Session(pg_engine, expire_on_commit=False) as session:
        for role in (Role.manager, Role.crew, Role.renter):
            make_user(session, role=role, email=f"{role.value}@demo.facility.kr")
        session.commit()
    _load(pg_engine)
    url = pg_engine.url.render_as_string(hide_password=False)
    first = assert_demo_has_a_past(url, old_points=5)
    _load(pg_engine)
    assert past_counts(url) == first
