"""Ninety days of sensor history for the demo campus, written through the reading store.

Resolution, chosen for speed: a point every 6 hours (03, 09, 15 and 21 local: two in class
time, two outside) over 90 days, hourly over the last two days, for the metrics whose long shape
means something: every metric of every room's devices (air, dust, light, noise, presence and head
count, the pool's water, the server rack's load, the plant's power, leak and fault flags), all but
the energy meter's running total. Every point of every metric hourly (1,500 series x 2,160) would be
3.2 million points and minutes on SQLite; this is about a fifth of that.

Points fall on the hour, so the SQL store keeps them as its hourly rollup past its one-week raw
retention; InfluxDB 1.x gets them in its rollup policy (and the raw one while it keeps them).
Values are closed-form in the time and the room (a fixed seed, the class timetable the simulator
uses), so a rerun on the same day writes the same points, which the store keeps once.
"""

from __future__ import annotations

import math
import random
import zlib
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session

from facility.core.db import utcnow
from facility.sensors.demo_devices import DemoDevice, demo_devices
from facility.sensors.parsing import Reading
from facility.sensors.simulator import OUTDOOR_CO2, SEOUL, in_class
from facility.sensors.store import ReadingStore

SEED = 13
HISTORY_DAYS = 90
COARSE_STEP = timedelta(hours=6)
FINE_DAYS = 2
DEVICES_PER_WRITE = 10
# Every metric the demo's devices report except the energy meter's running total: a chart of any
# of them over 7 to 90 days has a shape, not a single point on a -1..1 axis.
HISTORY_METRICS = frozenset(
    {
        "temperature",
        "humidity",
        "co2",
        "pm25",
        "pm10",
        "illuminance",
        "noise",
        "occupancy",
        "people_count",
        "ph",
        "free_chlorine",
        "water_temperature",
        "ups_load",
        "power",
        "water_leak",
        "equipment_status",
    }
)
# Seasonal drift across the 90 days before December: cooling in September, heating by winter.
WARM_START, WARM_END = 24.0, 20.8
HUMID_START, HUMID_END = 60.0, 36.0


def history_times(today_start: datetime) -> list[datetime]:
    """Every history timestamp, oldest first: 6-hourly, then hourly for the last two days."""
    first = datetime.combine((today_start - timedelta(days=HISTORY_DAYS)).date(), time(3), tzinfo=SEOUL)
    fine_from = today_start - timedelta(days=FINE_DAYS)
    times = []
    moment = first
    while moment < fine_from:
        times.append(moment)
        moment += COARSE_STEP
    moment = fine_from
    while moment < today_start:
        times.append(moment)
        moment += timedelta(hours=1)
    return times


def _values(device: DemoDevice, local: datetime, progress: float, rng: random.Random) -> dict[str, float]:
    """What the device would have read at that local time (`progress` 0 at the start, 1 today)."""
    occupied = in_class(device, local)
    people = device.capacity * 0.7 if occupied else 0.0
    daily = math.sin((local.hour - 9) / 24 * 2 * math.pi)
    ventilation = 1.0 + (zlib.crc32(device.room_code.encode()) % 10) / 10
    co2 = OUTDOOR_CO2 + 30 + (people * 45 / max(8.0, device.capacity) * 10 / ventilation if occupied else 0)
    values = {
        "temperature": WARM_START + (WARM_END - WARM_START) * progress + daily + min(2.0, people * 0.04),
        "humidity": HUMID_START + (HUMID_END - HUMID_START) * progress + 4 * daily,
        "co2": co2,
        "ph": 7.25,
        "free_chlorine": 0.7 - (0.25 if local.weekday() == 0 else 0),
        "water_temperature": 27.5,
        "ups_load": 40 + 4 * progress,
        "power": 1500 + people * 60,
        # Dust follows the season's yellow-dust and heating days, not the class timetable.
        "pm25": 12 + 6 * math.sin(progress * 9) + 4 * max(0.0, daily),
        "pm10": 25 + 10 * math.sin(progress * 9) + 6 * max(0.0, daily),
        "illuminance": 480.0 if occupied else 40.0,
        "noise": 55.0 if occupied else 32.0,
        "occupancy": 1.0 if occupied else 0.0,
        "people_count": float(round(people)),
        "water_leak": 0.0,
        "equipment_status": 0.0,
    }
    if device.code.startswith("rack-"):
        values["temperature"] = 23.0
        values["humidity"] = 42.0
    noise = {"co2": 15.0, "power": 40.0, "ph": 0.05, "free_chlorine": 0.04, "ups_load": 1.5, "illuminance": 15.0}
    noise |= {"pm25": 2.0, "pm10": 4.0, "noise": 2.0}
    exact = {"occupancy", "people_count", "water_leak", "equipment_status"}
    return {
        metric: values[metric]
        if metric in exact
        else round(max(0.0, values[metric] + rng.gauss(0, noise.get(metric, 0.3))), 2)
        for metric in device.metrics
        if metric in HISTORY_METRICS
    }


def history_readings(devices: list[DemoDevice], today_start: datetime) -> list[Reading]:
    """The whole history of the placed devices, deterministic for a given day."""
    rng = random.Random(f"{SEED}:{devices[0].code if devices else ''}")
    times = history_times(today_start)
    span = (today_start - times[0]).total_seconds()
    readings = []
    for device in devices:
        if device.room_id is None:
            continue
        for moment in times:
            progress = 1 - (today_start - moment).total_seconds() / span
            ts = moment.astimezone(UTC)
            for metric, value in _values(device, moment, progress, rng).items():
                readings.append(Reading(device.code, device.building, device.room_code, metric, value, ts))
    return readings


def load_sensor_history(session: Session, store: ReadingStore) -> int:
    """Write the history unless the store already has its first day; returns points written."""
    today_start = datetime.combine(utcnow().astimezone(SEOUL).date(), time(), tzinfo=SEOUL)
    devices = [d for d in demo_devices(session) if d.room_id is not None]
    probe = next((d for d in devices if "temperature" in d.metrics), None)
    if probe is None:
        return 0
    first = history_times(today_start)[0]
    if store.series([probe.code], "temperature", first, first + timedelta(days=1), None):
        return 0
    written = 0
    # A few devices at a time: a batch is some 10,000 points, so memory stays flat.
    for start in range(0, len(devices), DEVICES_PER_WRITE):
        readings = history_readings(devices[start : start + DEVICES_PER_WRITE], today_start)
        store.write_history(readings)
        written += len(readings)
    return written
