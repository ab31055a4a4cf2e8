"""Tasmota: `tele/<topic>/SENSOR` telemetry and `tele/<topic>/LWT` (Online/Offline).

Each sensor is an object named after its driver (`SCD30`, `BME280`, `AM2301`, `ENERGY`, ...) with
capitalised fields; `TempUnit` says C or F. Tasmota's `Time` is the device's local time without an
offset, so the receive time is used.

Several sensors measuring one metric (`DS18B20-1`, `DS18B20-2`; SHT3X beside DHT11) and the
elements of an array (`ENERGY.Power: [23.6, 67.2]`, one per relay) are channels: the first value of
a metric is the device's, a later sensor's is `<topic>#<sensor>`'s and the n-th element
`<topic>#<n>`'s. The chip's own temperature (`ESP32`, `ESP8266`, and `ANALOG`'s NTC, the relay
board's thermistor on Shelly and Sonoff templates) is `chip_temperature`, never the room's.

The topic follows the device's FullTopic (`%prefix%/%topic%/` by default; any order of
`%prefix%`, `%topic%` or `%hostname%`/`%id%` and fixed levels, from FACILITY_TASMOTA_FULL_TOPICS or
the mapping file); the device is its `%topic%`. Zigbee2Tasmota's `ZbReceived` and `ZbInfo` carry
the bridge's Zigbee devices, each `<topic>/<name or short address>` with its own readings (also on
the per-device topics of SetOption89, `tele/<topic>/<short address>/SENSOR`). A Tasmota on a
FullTopic nobody configured is not silent: its last will (`tele` before or after its topic, one
level besides) is heard and is a dead letter naming the topic.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from facility.sensors.parsing import Parsed, RawFields, Rejection
from facility.sensors.profiles.base import (
    Field,
    ProfileConfigError,
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


# Zigbee2Tasmota's names for a Zigbee device's attributes (its `Power` is on/off, not watts).
ZIGBEE_FIELDS: dict[str, Field] = {
    "Temperature": Field("temperature"),
    "Humidity": Field("humidity"),
    "Illuminance": Field("illuminance"),
    "CO2": Field("co2"),
    "PM25": Field("pm25"),
    "Occupancy": Field("occupancy", count_is_presence=True),
    "Contact": Field("door"),
    "Water": Field("water_leak"),
    "ActivePower": Field("power"),
    "RMSVoltage": Field("voltage"),
    "BatteryPercentage": Field("battery"),
    "BatteryVoltage": Field("battery_voltage", unit="V"),
}
# What a Zigbee message says about itself rather than a reading: not shown as raw fields.
ZIGBEE_ENVELOPE = frozenset(
    {"Device", "Name", "Endpoint", "LinkQuality", "IEEEAddr", "ModelId", "Manufacturer", "Endpoints", "Config"}
)
ZIGBEE_KEYS = ("ZbReceived", "ZbInfo")
MAX_RAW_FIELDS, MAX_RAW_CHARS = 24, 40

DEFAULT_FULL_TOPIC = "%prefix%/%topic%/"
# Where a Tasmota on another FullTopic leaves its last will: `tele` after or before its topic, with
# one more level in front (`tasmota/tele/<topic>/LWT`, `<topic>/tele/LWT`, `site/<topic>/tele/LWT`).
UNCONFIGURED_WILLS = ("+/tele/+/LWT", "+/tele/LWT", "+/+/tele/LWT")
TOKEN = re.compile(r"^%(prefix|topic|hostname|id)%$")
LEVEL = re.compile(r"^[^+#%]+$")


class FullTopic(NamedTuple):
    """A FullTopic pattern as topic levels (`+` for the device's own ones) and where %topic% is."""

    levels: tuple[str, ...]
    own: int
    prefix: int = 0  # where %prefix% (cmnd, stat, tele) is

    def match(self, levels: list[str]) -> int:
        """How many levels follow the pattern's (-1 when the topic is not the pattern's)."""
        n = len(self.levels)
        if len(levels) <= n:
            return -1
        for part, level in zip(self.levels, levels, strict=False):
            if part != "+" and part != level:
                return -1
        return len(levels) - n


def full_topic(pattern: str) -> FullTopic:
    """`tasmota/%prefix%/%topic%/` into levels; %hostname% or %id% stand for %topic% if it is absent."""
    levels = [level for level in pattern.strip().strip("/").split("/")]
    compiled: list[str] = []
    own: dict[str, int] = {}
    for index, level in enumerate(levels):
        token = TOKEN.match(level)
        if token:
            compiled.append("tele" if token.group(1) == "prefix" else "+")
            own.setdefault(token.group(1), index)
        elif LEVEL.match(level):
            compiled.append(level)
        else:
            raise ProfileConfigError(f"Tasmota FullTopic {pattern!r}: level {level!r} is neither text nor a %token%")
    if "prefix" not in own or not own.keys() & {"topic", "hostname", "id"}:
        raise ProfileConfigError(f"Tasmota FullTopic {pattern!r} needs %prefix% and %topic% (or %hostname%, %id%)")
    return FullTopic(tuple(compiled), own.get("topic", own.get("hostname", own.get("id", 0))), own["prefix"])


def zigbee_children(own_id: str, body: dict[str, Any], received_at: datetime, profile: str) -> Parsed:
    """Each Zigbee device of a ZbReceived/ZbInfo message, `<bridge>/<name or address>`, with its
    readings and the fields no table names."""
    parts: list[Parsed] = []
    for key in ZIGBEE_KEYS:
        children = body.get(key)
        if not isinstance(children, dict):
            continue
        for address, child in children.items():
            if not isinstance(child, dict):
                continue
            child_id = str(child.get("Name") or child.get("Device") or address)
            device = device_code(profile, f"{own_id}/{child_id}")
            found = [(spec, child[name]) for name, spec in ZIGBEE_FIELDS.items() if name in child]
            parsed = readings_from(found, device, received_at, profile)
            unknown = {
                name: value if isinstance(value, bool | int | float) else str(value)[:MAX_RAW_CHARS]
                for name, value in list(child.items())[: MAX_RAW_FIELDS + len(ZIGBEE_ENVELOPE)]
                if name not in ZIGBEE_FIELDS and name not in ZIGBEE_ENVELOPE
            }
            if unknown or not parsed.readings:
                parsed = parsed._replace(raw=(RawFields(device, profile, received_at, unknown),))
            parts.append(parsed)
    return merged(parts) if parts else Parsed()


class TasmotaProfile:
    name = "tasmota"

    def __init__(self, full_topics: Sequence[str] = (DEFAULT_FULL_TOPIC,)) -> None:
        patterns = [p for p in full_topics if p.strip()] or [DEFAULT_FULL_TOPIC]
        self.patterns = list(dict.fromkeys(full_topic(p) for p in patterns))
        filters: list[str] = []
        for pattern in self.patterns:
            base = "/".join(pattern.levels)
            # RESULT: where older firmware and ZbInfo answers put Zigbee messages.
            filters += [f"{base}/SENSOR", f"{base}/LWT", f"{base}/RESULT", f"{base}/+/SENSOR"]
        self.subscriptions = tuple(Subscription(f) for f in dict.fromkeys([*filters, *UNCONFIGURED_WILLS]))

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        for pattern in self.patterns:
            extra = pattern.match(levels)
            if extra in (1, 2):
                break
        else:
            raise Rejection(
                "unconfigured_full_topic",
                f"a Tasmota's last will on {topic[:120]!r}: add its FullTopic to FACILITY_TASMOTA_FULL_TOPICS",
            )
        own_id, kind = levels[pattern.own], levels[-1]
        if kind == "LWT" and extra == 1:
            return status(device_code(self.name, own_id), online_word(payload), received_at, self.name)
        body = json_object(payload)
        if any(key in body for key in ZIGBEE_KEYS):
            return zigbee_children(own_id, body, received_at, self.name)
        if kind != "SENSOR" or extra != 1:
            return Parsed()  # a command's result, not a reading
        unit = "°F" if str(body.get("TempUnit", "C")).upper() == "F" else "°C"
        units = {"temperature": unit, "chip_temperature": unit}
        parts = [
            readings_from(found, device_code(self.name, channel), received_at, self.name, unit_override=units)
            for channel, found in channels_of(own_id, body).items()
        ]
        return parts[0] if len(parts) == 1 else merged(parts)
