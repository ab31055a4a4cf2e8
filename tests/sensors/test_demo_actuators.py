"""What `facility simulate` plays: the demo's thermostats, and a room that follows its setpoint."""

from __future__ import annotations

from sqlmodel import Session

from facility.sensors import desired
from facility.sensors.actuator_simulator import THERMAL_TAU_S, ActuatorSimulator, SimulatedActuator
from facility.sensors.demo_actuators import place_demo_thermostats, simulated_actuators
from tests.factories import make_room


def test_taught_rooms_get_a_placed_thermostat_once(session: Session) -> None:
    lecture = make_room(session, kind="lecture_room", code="A-101")
    make_room(session, kind="dorm_room", code="D-101")
    assert place_demo_thermostats(session) == 1
    assert place_demo_thermostats(session) == 1  # idempotent
    session.commit()
    (played,) = simulated_actuators(session)
    assert (played.profile, played.own_id, played.room) == ("facility", "th-A-101", "A-101")
    device_id = desired.room_actuators(session, lecture.id or 0, "setpoint")[0][0].id
    assert [c.channel for c in desired.actuator_channels(session, device_id or 0)] == ["mode", "setpoint"]


def test_a_room_warms_toward_its_setpoint_and_not_when_off() -> None:
    heated = SimulatedActuator("facility", "th-A-101", "edu", "A-101", {"setpoint": "22"}, room_temperature=16.0)
    off = SimulatedActuator("facility", "th-A-102", "edu", "A-102", {"setpoint": "22", "mode": "off"}, 16.0)
    simulator = ActuatorSimulator("mqtt://127.0.0.1:9", [heated, off])
    readings = dict(simulator.warm(THERMAL_TAU_S))  # one time constant: ~63 % of the way
    assert 19.7 < heated.room_temperature < 19.9 and off.room_temperature == 16.0
    assert readings == {"facility/edu/A-101/th-A-101/temperature": b"19.79"}
