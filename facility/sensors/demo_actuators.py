"""The demo campus's actuators: a thermostat per taught room, and what `facility simulate` plays."""

from __future__ import annotations

from sqlmodel import Session, col, select

from facility.core.db import utcnow
from facility.sensors import desired
from facility.sensors.actuator_simulator import SimulatedActuator
from facility.sensors.command_models import DesiredState
from facility.sensors.demo_devices import demo_devices
from facility.sensors.models import Device

# Rooms whose heating a booking drives (energy's comfort windows); dorms and halls have their own.
THERMOSTAT_ROOMS = frozenset(
    {
        "lecture_room",
        "hybrid_lecture_hall",
        "hybrid_classroom",
        "smart_classroom",
        "seminar_room",
        "computer_lab",
        "studio",
        "vr_room",
        "office",
    }
)
CHANNELS = ("setpoint", "mode")


def place_demo_thermostats(session: Session) -> int:
    """A placed `th-<room>` thermostat (setpoint and mode) in each taught room; idempotent."""
    known = {d.code: d for d in session.exec(select(Device).where(col(Device.code).startswith("th-")))}
    placed = 0
    for spec in demo_devices(session):
        if spec.room_id is None or spec.room_kind not in THERMOSTAT_ROOMS or not spec.code.startswith("env-"):
            continue
        code = f"th-{spec.room_code}"
        device = known.get(code) or Device(
            code=code, reported_building=spec.building, reported_room=spec.room_code, online=False
        )
        device.room_id, device.label = spec.room_id, device.label or code
        device.placed_at = device.placed_at or utcnow()
        session.add(device)
        session.flush()
        assert device.id is not None
        desired.note_channel(session, device.id, CHANNELS)
        placed += 1
    return placed


def simulated_actuators(session: Session) -> list[SimulatedActuator]:
    """Every device with an actuator channel, as the simulator plays it (by its ecosystem's id)."""
    query = select(Device).join(DesiredState, col(DesiredState.device_id) == col(Device.id)).distinct()
    actuators = []
    for device in session.exec(query):
        own_id = device.code.partition(":")[2] if device.profile != "facility" else device.code
        actuators.append(
            SimulatedActuator(device.profile, own_id.partition("#")[0], device.reported_building, device.reported_room)
        )
    return actuators
