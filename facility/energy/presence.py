"""Is anybody there? Occupancy sensors, people counters, a CO2 rise or a power draw say so.

Absence is only ever concluded from sensors that reported: a room without any of these sensors,
or whose sensors said nothing, is never taken for empty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from facility.energy import service
from facility.sensors.models import Device
from facility.sensors.store import Latest, Point, ReadingStore

PRESENCE_METRICS = ("occupancy", "people_count", "co2", "power")
# Breathing people raise CO2 by this much within minutes; ventilation alone does not.
CO2_RISE_PPM = 150.0
# A projector, a PC or a kettle switched on: a rise above the room's standby draw.
POWER_RISE_W = 150.0
# A latest value older than this says nothing about now.
FRESH = timedelta(minutes=15)


@dataclass(frozen=True)
class Evidence:
    measured: bool
    present: bool


def presence_in(series: Mapping[str, Sequence[Point]]) -> Evidence:
    """What one room's readings over a stretch of time say (pure)."""
    occupancy = series.get("occupancy", ())
    people = series.get("people_count", ())
    co2 = series.get("co2", ())
    power = series.get("power", ())
    present = (
        any(p.value >= 0.5 for p in occupancy)
        or any(p.value >= 1 for p in people)
        or (len(co2) >= 2 and max(p.value for p in co2) - co2[0].value >= CO2_RISE_PPM)
        or (len(power) >= 2 and max(p.value for p in power) - power[0].value >= POWER_RISE_W)
    )
    return Evidence(measured=any((occupancy, people, co2, power)), present=present)


def present_now(latest: Sequence[Latest], now: datetime) -> bool:
    """Someone is there by the newest fresh occupancy or people count."""
    return any(
        now - item.ts <= FRESH
        and ((item.metric == "occupancy" and item.value >= 0.5) or (item.metric == "people_count" and item.value >= 1))
        for item in latest
    )


def presence_devices(session: Session, room_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each room's devices that measure something presence can be read from (one query)."""
    found: dict[int, list[str]] = defaultdict(list)
    if not room_ids:
        return found
    rows = session.exec(
        select(Device.room_id, Device.code, Device.metrics).where(service.among(col(Device.room_id), room_ids))
    )
    for room_id, code, metrics in rows:
        if room_id is not None and set(metrics.split(",")) & set(PRESENCE_METRICS):
            found[room_id].append(code)
    return found


def read_evidence(store: ReadingStore, codes: Sequence[str], start: datetime, end: datetime) -> Evidence:
    """The room's presence readings in [start, end)."""
    if not codes:
        return Evidence(measured=False, present=False)
    series = {metric: store.series(codes, metric, start, end, None) for metric in PRESENCE_METRICS}
    return presence_in(series)
