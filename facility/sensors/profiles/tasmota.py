"""Tasmota: `tele/<topic>/SENSOR` telemetry and `tele/<topic>/LWT` (Online/Offline).

Each sensor is an object named after its driver (`SCD30`, `BME280`, `AM2301`, `ENERGY`, ...) with
capitalised fields; `TempUnit` says C or F. Tasmota's `Time` is the device's local time without an
offset, so the receive time is used.

Several sensors measuring one metric (`DS18B20-1`, `DS18B20-2`; SHT3X beside DHT11) and the
elements of an array (`ENERGY.Power: [23.6, 67.2]`, one per relay) are channels: the first value of
a metric is the device's, a later sensor's is `<topic>#<sensor>`'s and the n-th element
`<topic>#<n>`'s. The chip's own temperature (`ESP32`, `ESP8266`, and `ANALOG`'s NTC, the relay
board's thermistor on Shelly and Sonoff templates) is `chip_temperature`, never the room's.
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
    merged,
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
CHIP = {"Temperature": Field("chip_temperature")}
# Sensor objects that describe the device itself rather than the room.
SENSOR_FIELDS: dict[str, dict[str, Field]] = {"ESP32": CHIP, "ESP8266": CHIP, "ANALOG": {**FIELDS, **CHIP}}


# Tasmota's energy drivers have at most this many channels; a longer array is not a device's.
MAX_CHANNELS = 8


def channels_of(own_id: str, body: dict[str, Any]) -> dict[str, list[tuple[Field, Any]]]:
    """Each channel's own id and its (field, raw value)s: the first sensor measuring a metric is the
    device's, a later one `#<sensor name>`, the n-th element of an array `#<n>`."""
    channels: dict[str, list[tuple[Field, Any]]] = {own_id: []}
    taken: set[str] = set()  # metrics the device itself has from an earlier sensor
    for name, sensor in body.items():
        if not isinstance(sensor, dict):
            continue
        measured: set[str] = set()
        for key, spec in SENSOR_FIELDS.get(name, FIELDS).items():
            raw = sensor.get(key)
            if raw is None:
                continue
            first = f"{own_id}#{name}" if spec.metric in taken else own_id
            if isinstance(raw, list):
                for position, value in enumerate(raw[:MAX_CHANNELS]):
                    channels.setdefault(f"{own_id}#{position + 1}" if position else first, []).append((spec, value))
            else:
                channels.setdefault(first, []).append((spec, raw))
            measured.add(spec.metric)
        taken |= measured
    return channels


class TasmotaProfile:
    name = "tasmota"
    subscriptions = (Subscription("tele/+/SENSOR"), Subscription("tele/+/LWT"))

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        own_id = levels[1]
        if levels[2] == "LWT":
            return status(device_code(self.name, own_id), online_word(payload), received_at, self.name)
        body = json_object(payload)
        unit = "°F" if str(body.get("TempUnit", "C")).upper() == "F" else "°C"
        units = {"temperature": unit, "chip_temperature": unit}
        parts = [
            readings_from(found, device_code(self.name, channel), received_at, self.name, unit_override=units)
            for channel, found in channels_of(own_id, body).items()
        ]
        return parts[0] if len(parts) == 1 else merged(parts)
