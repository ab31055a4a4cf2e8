"""Typed factories for sensors tests; each commits so the app's own sessions see the rows."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from facility.core.db import utcnow
from facility.rooms.models import Room
from facility.sensors.models import Alert, Device
from facility.sensors.parsing import Reading
from facility.sensors.store.sql import SqlStore

_seq = itertools.count(1)


def make_device(
    session: Session, *, room: Room | None = None, code: str = "", metrics: str = "temperature,co2"
) -> Device:
    device = Device(
        code=code or f"dev-{next(_seq)}",
        room_id=room.id if room else None,
        reported_building="edu",
        reported_room=room.code if room else "X-1",
        metrics=metrics,
    )
    session.add(device)
    session.commit()
    return device


def write_readings(engine: Engine, device: Device, values: dict[str, list[tuple[datetime, float]]]) -> None:
    """Put points straight into the embedded store, as the gateway's writer would."""
    SqlStore(engine).write(
        [
            Reading(device.code, device.reported_building, device.reported_room, metric, value, ts)
            for metric, points in values.items()
            for ts, value in points
        ]
    )


def make_alert(session: Session, *, room: Room | None = None, rule: str = "co2_high", state: str = "active") -> Alert:
    alert = Alert(
        rule=rule,
        room_id=room.id if room else None,
        metric="co2",
        severity="warning",
        state=state,
        message="test",
        value=1200,
        raised_at=utcnow(),
        cleared_at=utcnow() if state == "cleared" else None,
    )
    session.add(alert)
    session.commit()
    return alert
