"""Tasmota: `tele/<topic>/SENSOR` telemetry and `tele/<topic>/LWT` (Online/Offline).

Each sensor is an object named after its driver (`SCD30`, `BME280`, `AM2301`, `ENERGY`, ...) with
capitalised fields; `TempUnit` says C or F. Tasmota's `Time` is the device's local time without an
offset, so the receive time is used.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from facility.sensors.parsing import Parsed
from facility.sensors.profiles.base import (
    Field,
    Subscription,
    device_code,
    json_object,
    online_word,
    readings_from,
    status,
)

FIELDS: dict[str, Field] = {
    "Temperature": Field("temperature"),
    "Humidity": Field("humidity"),
    "CarbonDioxide": Field("co2"),
    "eCO2": Field("co2"),
    "PM2.5": Field("pm25"),
    "PM10": Field("pm10"),
    "TVOC": Field("voc"),
    "Illuminance": Field("illuminance"),
    "Power": Field("power"),
    "Total": Field("energy"),
    "Voltage": Field("voltage"),
    "Current": Field("current"),
}


class TasmotaProfile:
    name = "tasmota"
    subscriptions = (Subscription("tele/+/SENSOR"), Subscription("tele/+/LWT"))

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        device = device_code(self.name, levels[1])
        if levels[2] == "LWT":
            return status(device, online_word(payload), received_at, self.name)
        body = json_object(payload)
        unit = "°F" if str(body.get("TempUnit", "C")).upper() == "F" else "°C"
        found: list[tuple[Field, Any]] = []
        for sensor in body.values():
            if isinstance(sensor, dict):
                found.extend((spec, sensor[key]) for key, spec in FIELDS.items() if key in sensor)
        return readings_from(found, device, received_at, self.name, unit_override={"temperature": unit})
