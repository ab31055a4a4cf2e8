"""Zigbee2MQTT: `zigbee2mqtt/<friendly name>` JSON state, `.../availability`, `bridge/state`.

A friendly name may itself contain `/`. Field names follow Zigbee2MQTT's exposes (temperature,
humidity, co2, pm25, voc, illuminance, occupancy, contact, water_leak, power, energy, ...);
fields we do not measure (linkquality, state, ...) are passed over, not dead-lettered.

With `output: attribute` (or `attribute_and_json`) Zigbee2MQTT also publishes each attribute on
`<friendly name>/<attribute>` as a bare value (`23.4`, `true`, `ON`): a payload that is not a JSON
object is read as that one attribute of the device before it, and an attribute we do not measure is
passed over. (`attribute_and_json` therefore stores each value twice; choose one output.)

`voltage` is the mains voltage in V on a device that also reports `power` or `current`; otherwise it
is the battery's, which Zigbee2MQTT reports in millivolts (`2995`), stored as `battery_voltage` in V.
A bare attribute has no neighbours: 1000 or more is millivolts. A number for `occupancy`/`motion` is
an event count: any event is presence.

Base topics other than `zigbee2mqtt` (Zigbee2MQTT's `mqtt.base_topic`, one per coordinator) come
from FACILITY_ZIGBEE2MQTT_BASE_TOPICS or the mapping file; a device under another base is
`zigbee2mqtt:<base>/<friendly name>`, so two coordinators' `kitchen` stay two devices. A base
nobody configured is not silent: every Zigbee2MQTT publishes `<base>/bridge/state` (retained), so
the profile also listens there at one and two levels, and an unconfigured base is a dead letter
naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from facility.sensors.parsing import Parsed, Rejection, decode_payload, parse_ts
from facility.sensors.profiles.base import (
    COMMON_FIELDS,
    Field,
    ProfileConfigError,
    Subscription,
    common_fields,
    device_code,
    json_object,
    load_json,
    online_word,
    readings_from,
    status,
)

BASE_TOPIC = "zigbee2mqtt"
# Where any Zigbee2MQTT announces its bridge (retained), whatever its base of one or two levels.
UNCONFIGURED_BRIDGES = ("+/bridge/state", "+/+/bridge/state")
# Requests to devices and answers that are not states.
NOT_STATES = frozenset({"set", "get"})
MAINS = ("power", "current")
BATTERY_VOLTAGE = Field("battery_voltage", unit="mV")
# A battery's millivolts start here; no Zigbee device is fed a thousand volts.
MILLIVOLTS_FROM = 1000


def fields(body: dict[str, Any]) -> list[tuple[Field, Any]]:
    """The known fields of a state, `voltage` as the mains' or the battery's."""
    found = common_fields(body)
    voltage = body.get("voltage")
    if voltage is None or any(name in body for name in MAINS):
        return found
    if "battery" in body or (isinstance(voltage, int | float) and voltage >= MILLIVOLTS_FROM):
        return [(BATTERY_VOLTAGE, raw) if spec.metric == "voltage" else (spec, raw) for spec, raw in found]
    return found


def bare_value(payload: bytes) -> Any:
    """An attribute topic's value: JSON (`23.4`, `true`, `"ON"`) or the plain word (`ON`)."""
    try:
        return load_json(payload)
    except Rejection as rejection:
        if rejection.reason != "bad_json":
            raise
        return decode_payload(payload)


def base_topics(names: Sequence[str]) -> tuple[str, ...]:
    """Base topics as configured (`zigbee2mqtt` when none), without slashes at either end."""
    cleaned = [name.strip().strip("/") for name in names if name.strip().strip("/")]
    for name in cleaned:
        if "+" in name or "#" in name:
            raise ProfileConfigError(f"Zigbee2MQTT base topic {name!r}: wildcards are not a base topic")
    return tuple(dict.fromkeys(cleaned)) or (BASE_TOPIC,)


def split_base(bases: Sequence[tuple[str, ...]], levels: list[str]) -> tuple[str, list[str]] | None:
    """The device-code prefix of the base a topic is under (none for `zigbee2mqtt`) and the levels
    after it; None when it is under no base. `bases` longest first."""
    for base in bases:
        if tuple(levels[: len(base)]) == base:
            prefix = "" if base == (BASE_TOPIC,) else "/".join(base) + "/"
            return prefix, levels[len(base) :]
    return None


class Zigbee2MqttProfile:
    name = "zigbee2mqtt"

    def __init__(self, bases: Sequence[str] = (BASE_TOPIC,)) -> None:
        # Longest first: `campus/z2m/east` is read before `campus/z2m` would claim its topics.
        self.bases = sorted((tuple(b.split("/")) for b in base_topics(bases)), key=len, reverse=True)
        self.subscriptions = tuple(Subscription("/".join(base) + "/#") for base in self.bases) + tuple(
            Subscription(f) for f in UNCONFIGURED_BRIDGES
        )

    def _split(self, levels: list[str]) -> tuple[str, list[str]] | None:
        return split_base(self.bases, levels)

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        split = self._split(levels)
        if split is None:
            base = "/".join(levels[:-2])
            raise Rejection(
                "unconfigured_base_topic",
                f"a Zigbee2MQTT bridge publishes under {base!r}: add it to FACILITY_ZIGBEE2MQTT_BASE_TOPICS",
            )
        prefix, rest = split
        if not rest or not rest[0]:
            return Parsed()
        if rest[0] == "bridge":
            # The bridge's own state says whether any of its devices can be heard at all.
            if rest[1:] == ["state"]:
                return status(device_code(self.name, prefix + "bridge"), online_word(payload), received_at, self.name)
            return Parsed()
        if rest[-1] == "availability":
            friendly = "/".join(rest[:-1])
            return status(device_code(self.name, prefix + friendly), online_word(payload), received_at, self.name)
        if rest[-1] in NOT_STATES:
            return Parsed()
        if len(rest) > 1 and not payload.lstrip().startswith(b"{"):
            attribute = rest[-1]
            if attribute not in COMMON_FIELDS or not payload.strip():
                return Parsed()  # an attribute we do not measure (state, ...), or a retained one cleared
            device = device_code(self.name, prefix + "/".join(rest[:-1]))
            return readings_from(fields({attribute: bare_value(payload)}), device, received_at, self.name)
        body = json_object(payload)
        ts = parse_ts(body["last_seen"], received_at) if isinstance(body.get("last_seen"), str) else received_at
        return readings_from(fields(body), device_code(self.name, prefix + "/".join(rest)), ts, self.name)
