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
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from facility.sensors.parsing import Parsed, Rejection, decode_payload, parse_ts
from facility.sensors.profiles.base import (
    COMMON_FIELDS,
    Field,
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


class Zigbee2MqttProfile:
    name = "zigbee2mqtt"
    subscriptions = (Subscription(f"{BASE_TOPIC}/#"),)

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        rest = levels[1:]
        if not rest or not rest[0]:
            return Parsed()
        if rest[0] == "bridge":
            # The bridge's own state says whether any of its devices can be heard at all.
            if rest[1:] == ["state"]:
                return status(device_code(self.name, "bridge"), online_word(payload), received_at, self.name)
            return Parsed()
        if rest[-1] == "availability":
            friendly = "/".join(rest[:-1])
            return status(device_code(self.name, friendly), online_word(payload), received_at, self.name)
        if rest[-1] in NOT_STATES:
            return Parsed()
        if len(rest) > 1 and not payload.lstrip().startswith(b"{"):
            attribute = rest[-1]
            if attribute not in COMMON_FIELDS or not payload.strip():
                return Parsed()  # an attribute we do not measure (state, ...), or a retained one cleared
            device = device_code(self.name, "/".join(rest[:-1]))
            return readings_from(fields({attribute: bare_value(payload)}), device, received_at, self.name)
        body = json_object(payload)
        ts = parse_ts(body["last_seen"], received_at) if isinstance(body.get("last_seen"), str) else received_at
        return readings_from(fields(body), device_code(self.name, "/".join(rest)), ts, self.name)
