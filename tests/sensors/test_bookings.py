"""Bookings meet sensors: comfort rules during bookings, likely no-shows, rooms occupied without
a booking, and managers e-mailed about alerts (through core's outbox)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from facility.booking.models import Block, Booking
from facility.core.db import utcnow
from facility.core.models import Role
from facility.core.outbox import OutboxMessage
from facility.rooms.models import Room
from facility.sensors import service
from facility.sensors.bookings import flag_bookings_against_occupancy, rooms_in_use
from facility.sensors.parsing import Reading
from facility.sensors.store.sql import SqlStore
from tests.factories import make_room, make_user
from tests.korean_pages import english_words
from tests.sensors.factories import make_device, write_readings

NOW = utcnow().replace(second=0, microsecond=0)


def make_booking(session: Session, room: Room, *, minutes_ago: int, status: str = "confirmed") -> Booking:
    booking = Booking(
        room_id=room.id,
        title="교원 연수",
        status=status,  # type: ignore[arg-type]
        starts_at=NOW - timedelta(minutes=minutes_ago),
        ends_at=NOW + timedelta(hours=2),
    )
    session.add(booking)
    session.commit()
    return booking


def test_comfort_alert_only_while_the_room_is_booked(session: Session) -> None:
    booked, free = make_room(session), make_room(session)
    make_booking(session, booked, minutes_ago=60)
    for room in (booked, free):
        device = make_device(session, room=room)
        for minute in (40, 20, 0):
            ts = NOW - timedelta(minutes=minute)
            service.record_batch(session, [Reading(device.code, "edu", room.code, "temperature", 31, ts)], now=ts)
            session.commit()
    (alert,) = service.list_alerts(session, active=True)
    assert (alert.rule, alert.room_id) == ("comfort_temperature", booked.id)


def test_likely_no_show_is_flagged_once_and_clears_when_people_arrive(session: Session, engine: Engine) -> None:
    room = make_room(session)
    device = make_device(session, room=room, metrics="occupancy")
    make_booking(session, room, minutes_ago=20)
    write_readings(engine, device, {"occupancy": [(NOW - timedelta(minutes=m), 0) for m in (20, 10, 1)]})
    store = SqlStore(engine)
    (flag,) = flag_bookings_against_occupancy(session, store, NOW)
    assert flag.rule == "likely_no_show" and flag.room_id == room.id
    assert flag_bookings_against_occupancy(session, store, NOW + timedelta(minutes=5)) == []  # once
    session.commit()
    write_readings(engine, device, {"occupancy": [(NOW + timedelta(minutes=6), 1)]})
    flag_bookings_against_occupancy(session, store, NOW + timedelta(minutes=7))
    session.commit()
    assert service.list_alerts(session, active=True) == []


def test_occupied_without_booking_is_flagged_unless_a_block_holds_the_room(session: Session, engine: Engine) -> None:
    unbooked, blocked = make_room(session), make_room(session)
    session.add(
        Block(
            room_id=blocked.id,
            kind="training",
            starts_at=NOW - timedelta(hours=1),  # type: ignore[arg-type]
            ends_at=NOW + timedelta(hours=1),
        )
    )
    session.commit()
    for room in (unbooked, blocked):
        write_readings(
            engine,
            make_device(session, room=room, metrics="occupancy"),
            {"occupancy": [(NOW - timedelta(minutes=2), 1)]},
        )
    (flag,) = flag_bookings_against_occupancy(session, SqlStore(engine), NOW)
    assert (flag.rule, flag.room_id) == ("occupied_unbooked", unbooked.id)
    assert rooms_in_use(session, NOW) == {blocked.id}


def test_managers_are_emailed_about_warnings(session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    make_user(session, role=Role.crew)
    room = make_room(session)
    device = make_device(session, room=room)
    service.record_batch(session, [Reading(device.code, "edu", room.code, "water_leak", 1, NOW)], now=NOW)
    session.commit()
    (message,) = session.exec(select(OutboxMessage)).all()
    assert message.to == manager.email
    assert room.code in message.subject and "누수 감지" in message.subject
    # In Korean, at local time, with a link a mail client can open (FACILITY_BASE_URL).
    local = NOW.astimezone(ZoneInfo("Asia/Seoul")).strftime("%Y-%m-%d %H:%M")
    assert f"발생: {local}" in message.body and "누수" in message.body
    assert f"http://localhost:8000/sensors/alerts#alert-{message.body.rsplit('-', 1)[1]}" in message.body
    words = message.subject + "\n" + message.body.rsplit("\n", 1)[0]  # all but the link
    assert english_words(f'<main id="main">{words}</main>') == []


def test_simulated_occupancy_follows_the_bookings() -> None:
    from datetime import UTC, datetime

    from facility.sensors.demo_devices import DemoDevice
    from facility.sensors.simulator import SEOUL, Simulator

    booked = DemoDevice("env-A", "edu", "E-A", 1, "lecture_room", 36, ("occupancy",))
    free = DemoDevice("env-B", "edu", "E-B", 2, "lecture_room", 36, ("occupancy",))
    simulator = Simulator([booked, free], seed=1)
    simulator.busy = {1}
    hours = [datetime(2026, 11, d, h, tzinfo=UTC).astimezone(SEOUL) for d in range(2, 9) for h in range(24)]
    share_booked = sum(simulator.occupied(booked, t) for t in hours) / len(hours)
    share_free = sum(simulator.occupied(free, t) for t in hours) / len(hours)
    assert share_booked > 0.8 and share_free < 0.05


def test_the_scheduler_job_flags_through_the_configured_store(session: Session, engine: Engine, settings) -> None:  # type: ignore[no-untyped-def]
    from facility.sensors.tasks import JOBS

    job = next(j for j in JOBS if j.name == "sensors.bookings_vs_occupancy")
    room = make_room(session)
    write_readings(
        engine, make_device(session, room=room, metrics="occupancy"), {"occupancy": [(NOW - timedelta(minutes=1), 1)]}
    )
    assert job.run(engine, settings, NOW) == 1
    assert [a.rule for a in service.list_alerts(session, active=True)] == ["occupied_unbooked"]
