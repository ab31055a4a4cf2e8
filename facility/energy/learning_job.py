"""Optimum start from the database: each room's recent windows and temperatures -> its lead."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from facility.core.config import EnergySettings
from facility.energy import learning, modes, service
from facility.energy.kinds import Mode
from facility.energy.models import RoomEnergySetting
from facility.sensors.models import Device
from facility.sensors.store import ReadingStore

# Days of history a lead is learned from.
LOOK_BACK_DAYS = 14


def learn_leads(session: Session, store: ReadingStore, now: datetime, zone: ZoneInfo, bounds: EnergySettings) -> int:
    """For every controlled room with a temperature sensor, learn its lead; returns rooms updated."""
    rooms = service.controlled_rooms(session)
    ids = [r.id or 0 for r in rooms]
    sensors: dict[int, list[str]] = {}
    for room_id, code, metrics in session.exec(
        select(Device.room_id, Device.code, Device.metrics).where(service.among(col(Device.room_id), ids))
    ):
        if "temperature" in metrics.split(","):
            sensors.setdefault(room_id or 0, []).append(code)
    table = modes.mode_table(session)
    minimum, maximum = timedelta(minutes=bounds.lead_min_minutes), timedelta(minutes=bounds.lead_max_minutes)
    today = now.astimezone(zone).date()
    ramps: dict[int, list[timedelta | None]] = {}
    for offset in range(LOOK_BACK_DAYS, 0, -1):
        for day in service.room_days(
            session, [r for r in rooms if r.id in sensors], today - timedelta(days=offset), zone, bounds
        ):
            setpoint = table.get(day.kind, {}).get(Mode.comfort, {}).get("setpoint")
            if setpoint is None or day.rules.always_on:
                continue
            for window in day.windows:
                if window.start.astimezone(zone).date() != today - timedelta(days=offset) or window.start >= now:
                    continue
                points = store.series(
                    sensors[day.room.id or 0], "temperature", window.start, window.occupied_from + maximum, None
                )
                if points:
                    ramps.setdefault(day.room.id or 0, []).append(
                        learning.time_to_setpoint(points, window.start, float(setpoint))
                    )
    own = service.room_settings(session, list(ramps))
    for room_id, room_ramps in ramps.items():
        lead = learning.learned_lead(room_ramps, minimum=minimum, maximum=maximum)
        if lead is None:
            continue
        setting = own.get(room_id) or RoomEnergySetting(room_id=room_id)
        setting.learned_lead_minutes = int(lead.total_seconds() // 60)
        setting.learned_at = now
        session.add(setting)
    session.flush()
    return len(ramps)
