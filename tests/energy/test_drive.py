"""Bookings drive the building, with a simulated clock, on SQLite and PostgreSQL: a confirmed booking
puts the room in comfort its lead before the start and back to economy after the hold; a cancelled
one leaves no window; presence is never switched off; a plant room never is."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from facility.booking import flows
from facility.booking.api import calendar as booking_calendar
from facility.core.config import Settings
from facility.core.models import Role
from facility.energy import drive, service, tasks
from facility.energy.kinds import Mode
from facility.energy.models import RoomModeState
from facility.sensors import desired
from facility.sensors.models import Alert
from facility.sensors.store.sql import SqlStore
from tests.booking.helpers import next_weekday
from tests.energy.helpers import book, local
from tests.factories import make_room, make_user, token_headers
from tests.sensors.factories import make_device, write_readings


def mode_of(session: Session, room_id: int) -> str:
    session.rollback()
    session.expire_all()
    state = session.get(RoomModeState, room_id)
    return state.mode if state else ""


def test_a_confirmed_booking_tomorrow_brings_comfort_its_lead_before_and_economy_after_the_hold(
    session: Session, engine: Engine, settings: Settings, client: TestClient
) -> None:
    room = make_room(session)
    thermostat = make_device(session, room=room, metrics="temperature")
    desired.note_channel(session, thermostat.id, ["setpoint", "mode"])  # type: ignore[arg-type]
    session.commit()
    renter, manager = make_user(session), make_user(session, role=Role.manager)
    day = next_weekday()
    booking = book(session, renter, manager, room, day, 10, 12)
    store = SqlStore(engine)

    def tick(hour: int, minute: int) -> list[drive.RoomDrive]:
        with Session(engine) as s:
            driven = drive.drive(s, store, local(day, hour, minute), settings.zone, settings.energy)
            s.commit()
        return driven

    # The day before, at noon: nothing booked that day, so protection.
    with Session(engine) as s:
        drive.drive(s, store, local(day, 12) - timedelta(days=1), settings.zone, settings.energy)
        s.commit()
    assert mode_of(session, room.id) == Mode.protection  # type: ignore[arg-type]
    # Commands go out 5 minutes ahead: at 09:24 the 09:30 start (10:00 minus the 30-minute lead) is not due.
    tick(9, 24)
    assert mode_of(session, room.id) == Mode.economy  # type: ignore[arg-type]
    driven = tick(9, 25)
    assert [d.mode for d in driven] == [Mode.comfort]
    sent = {(c.device_id, c.channel): c.value for c in driven[0].commands}
    assert sent == {(thermostat.id, "setpoint"): 22.0, (thermostat.id, "mode"): "auto"}
    # Durable desired states for the gateway to publish, as the system's automation.
    session.rollback()
    rows = {r.channel: r for r in desired.desired_states(session, thermostat.id)}  # type: ignore[arg-type]
    assert rows["setpoint"].desired_value == "22" and rows["setpoint"].state == "pending"
    assert rows["mode"].actor == "system:energy" and rows["mode"].source == "automation"
    # A manager's manual value with an expiry holds against the automation until it expires.
    desired.set_desired(
        session,
        device_id=thermostat.id,  # type: ignore[arg-type]
        channel="setpoint",
        value=24,
        actor=manager.email,
        expires_at=local(day, 13),
    )
    session.commit()
    assert tick(11, 0) == []  # no change, nothing sent again
    tick(12, 9)
    assert mode_of(session, room.id) == Mode.comfort  # type: ignore[arg-type]
    tick(12, 10)  # 12:15 = the end plus the 15-minute hold
    assert mode_of(session, room.id) == Mode.economy  # type: ignore[arg-type]
    rows = {r.channel: r for r in desired.desired_states(session, thermostat.id)}  # type: ignore[arg-type]
    assert rows["mode"].desired_value == "heat" and rows["setpoint"].desired_value == "24"

    # The API shows the same window with its source booking.
    headers = token_headers(client, manager)
    answer = client.get(f"/api/v1/rooms/{room.id}/comfort-windows?date={day}", headers=headers)
    assert answer.status_code == 200, answer.text
    comfort = [w for w in answer.json()["windows"] if w["mode"] == "comfort"]
    assert len(comfort) == 1 and comfort[0]["sources"][0]["id"] == booking.id
    assert answer.json()["lead_minutes"] == 30
    assert client.get(f"/api/v1/rooms/{room.id}/comfort-windows?date=tomorrow", headers=headers).status_code == 422
    # The room's calendar token also opens its comfort windows, lead included, for a BMS or Home Assistant.
    feed = booking_calendar.room_feed_url(session, client.app.state.secret_key, room.id)  # type: ignore[attr-defined,arg-type]
    ics = client.get(feed.replace("calendar.ics", "comfort-windows.ics"))  # type: ignore[union-attr]
    assert ics.status_code == 200 and f"DTSTART;TZID=Asia/Seoul:{day:%Y%m%d}T093000" in ics.text
    assert client.get(f"/api/v1/rooms/{room.id}/comfort-windows.ics?token=wrong").status_code == 404
    assert (
        client.get(f"/api/v1/rooms/{room.id}/comfort-windows", headers=token_headers(client, renter)).status_code == 403
    )


def test_a_cancelled_booking_removes_its_window(session: Session, engine: Engine, settings: Settings) -> None:
    room = make_room(session)
    renter, manager = make_user(session), make_user(session, role=Role.manager)
    day = next_weekday()
    booking = book(session, renter, manager, room, day, 14, 16)
    days = service.room_days(session, [room], day, settings.zone, settings.energy)
    assert [len(w.sources) for w in days[0].windows] == [1]
    flows.cancel_booking(session, renter, booking.id, "일정 변경")  # type: ignore[arg-type]
    session.commit()
    days = service.room_days(session, [room], day, settings.zone, settings.energy)
    assert days[0].windows == []
    assert all(s.mode != Mode.comfort for s in days[0].segments)


def test_presence_is_never_switched_off_and_a_plant_room_never_is(
    session: Session, engine: Engine, settings: Settings
) -> None:
    lecture = make_room(session)
    plant = make_room(session, kind="plant_room", bookable_external=False)
    sensor = make_device(session, room=lecture, metrics="occupancy,temperature")
    now = local(next_weekday(), 15)
    write_readings(engine, sensor, {"occupancy": [(now - timedelta(minutes=3), 1.0)]})
    assert tasks.drive_rooms(engine, settings, now) == 2
    assert mode_of(session, lecture.id) == Mode.comfort  # type: ignore[arg-type]
    assert mode_of(session, plant.id) == Mode.comfort  # type: ignore[arg-type]
    alert = session.exec(select(Alert).where(Alert.room_id == lecture.id, Alert.rule == "occupied_unbooked")).one()
    assert alert.state == "active"
    # The night after: the plant room stays on; the lecture room, empty now, goes to protection.
    night = now + timedelta(hours=9)
    write_readings(engine, sensor, {"occupancy": [(night - timedelta(minutes=3), 0.0)]})
    tasks.drive_rooms(engine, settings, night)
    assert mode_of(session, lecture.id) == Mode.protection  # type: ignore[arg-type]
    assert mode_of(session, plant.id) == Mode.comfort  # type: ignore[arg-type]
