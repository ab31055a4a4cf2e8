"""Optimum start from the database: a room's past ramp to the setpoint becomes its lead."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from facility.core.config import Settings
from facility.core.models import Role
from facility.energy import learning_job, service
from facility.energy.models import RoomEnergySetting
from facility.sensors.store.sql import SqlStore
from tests.booking.helpers import next_weekday
from tests.energy.helpers import book, local
from tests.factories import make_room, make_user
from tests.sensors.factories import make_device, write_readings


def test_a_room_learns_its_lead_from_how_fast_it_reached_the_setpoint(
    session: Session, engine: Engine, settings: Settings
) -> None:
    room = make_room(session)
    renter, manager = make_user(session), make_user(session, role=Role.manager)
    day = next_weekday()
    book(session, renter, manager, room, day, 10, 12)
    sensor = make_device(session, room=room, metrics="temperature")
    # Conditioning began at 09:30 (the default 30-minute lead); 17 °C rising 1 °C every 10 minutes
    # is within 0.5 °C of the 22 °C setpoint after 50 minutes: the lead becomes 50 x 1.2 = 60.
    start = local(day, 9, 30)
    write_readings(engine, sensor, {"temperature": [(start + timedelta(minutes=10 * i), 17.0 + i) for i in range(9)]})
    later = local(day, 9) + timedelta(days=1)
    assert learning_job.learn_leads(session, SqlStore(engine), later, settings.zone, settings.energy) == 1
    session.commit()
    assert session.get(RoomEnergySetting, room.id).learned_lead_minutes == 60  # type: ignore[union-attr]
    windows = service.room_days(session, [room], day, settings.zone, settings.energy)[0].windows
    assert windows[0].start == local(day, 9)
