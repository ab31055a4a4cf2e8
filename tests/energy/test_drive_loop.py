"""The whole loop through the real Mosquitto: a confirmed booking -> the drive job at a simulated
08:55 -> desired setpoint and mode -> the gateway publishes -> the simulated thermostat answers ->
confirmed, as the system's automation."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from facility.core.config import Settings, using
from facility.core.db import get_engine
from facility.core.models import Role
from facility.energy import drive
from facility.energy.kinds import Mode
from facility.sensors import desired
from facility.sensors.actuator_simulator import SimulatedActuator
from facility.sensors.models import Device
from facility.sensors.store.sql import SqlStore
from tests.booking.helpers import next_weekday
from tests.conftest import clean_database
from tests.energy.helpers import book, local
from tests.factories import make_room, make_user
from tests.keys import TEST_SECRET_KEY
from tests.sensors.services import Mosquitto
from tests.sensors.test_command_loop import confirmed_row, running_gateway, simulated


def test_a_confirmed_booking_reaches_the_thermostat_and_is_confirmed(
    tmp_path: Path, database_urls: dict[str, str], mosquitto: Mosquitto
) -> None:
    url = database_urls["postgresql"]
    engine = get_engine(url)
    clean_database(engine)
    settings = Settings(database_url=url, data_dir=tmp_path, secret_key=TEST_SECRET_KEY, mqtt_url=mosquitto.url)
    with using(settings), Session(engine, expire_on_commit=False) as session:
        room = make_room(session)
        thermostat = Device(code="th-loop", profile="facility", room_id=room.id, reported_building="edu")
        thermostat.reported_room = room.code
        session.add(thermostat)
        session.commit()
        desired.note_channel(session, thermostat.id or 0, ["setpoint", "mode"])
        session.commit()
        day = next_weekday()
        book(session, make_user(session), make_user(session, role=Role.manager), room, day, 9, 11)
        simulated_thermostat = SimulatedActuator("facility", "th-loop", "edu", room.code)
        with simulated(mosquitto, [simulated_thermostat]) as simulator, running_gateway(tmp_path, url, mosquitto):
            # 08:25 local: the 09:00 booking's window (30-minute lead) opens at 08:30, 5 minutes ahead.
            driven = drive.drive(session, SqlStore(engine), local(day, 8, 25), settings.zone, settings.energy)
            session.commit()
            assert [(d.room_id, d.mode) for d in driven] == [(room.id, Mode.comfort)]
            setpoint = confirmed_row(url, thermostat.id or 0, "setpoint")
            mode = confirmed_row(url, thermostat.id or 0, "mode")
        assert (setpoint.reported_value, mode.reported_value) == ("22", "auto")
        assert (setpoint.actor, setpoint.source, setpoint.attempts) == ("system:energy", "automation", 1)
        assert simulator.applied[("facility", "th-loop")] >= 1
        assert simulated_thermostat.values["setpoint"] == "22"
