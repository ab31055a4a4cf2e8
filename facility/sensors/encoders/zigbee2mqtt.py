"""Zigbee2MQTT: `<base>/<friendly name>/set` with a JSON object; the device's state JSON confirms.

Documented at https://www.zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html: `{"state": "ON"}`
(`state_l2` for endpoint 2), `{"brightness": 0-254}`, `{"current_heating_setpoint": 21}`,
`{"system_mode": "heat"}`. The state is published on `<base>/<friendly name>` (or per attribute
with `output: attribute`). A bridge on another base topic (FACILITY_ZIGBEE2MQTT_BASE_TOPICS) has its
devices' codes prefixed with that base, so a command goes back under the base it was heard on.
"""

from __future__ import annotations

from collections.abc import Sequence

from facility.sensors.channels import index_of, kind_of
from facility.sensors.encoders.base import (
    Heard,
    Outbound,
    Report,
    Target,
    dumps,
    json_body,
    number_text,
    on_off,
    own_id,
)
from facility.sensors.profiles.zigbee2mqtt import split_base

BASE_TOPIC = "zigbee2mqtt"
# Zigbee levels run 0-254; our dimmer is a percentage.
LEVEL_MAX = 254
MODES = {"off", "heat", "cool", "auto"}


def _state_key(channel: str) -> str:
    index = index_of(channel)
    return f"state_l{index}" if index else "state"


class Zigbee2MqttEncoder:
    name = "zigbee2mqtt"
    subscriptions: tuple[str, ...] = ()  # the reading profile already follows `<base>/#`

    def __init__(self, bases: Sequence[tuple[str, ...]] = ((BASE_TOPIC,),)) -> None:
        # Longest first, as the reading profile reads them.
        self.bases = sorted(bases, key=len, reverse=True)
        self._prefixes = ["/".join(base) + "/" for base in self.bases if base != (BASE_TOPIC,)]

    def command(self, target: Target, channel: str, value: str) -> Outbound | None:
        kind = kind_of(channel).name
        body: dict[str, object]
        if kind == "relay":
            body = {_state_key(channel): value.upper()}
        elif kind == "dimmer":
            body = {"brightness": round(float(value) * LEVEL_MAX / 100)}
        elif kind == "setpoint":
            body = {"current_heating_setpoint": float(value)}
        else:
            body = {"system_mode": value}
        own = own_id(target.code)
        # The code carries its base unless it is the default one.
        under = own if any(own.startswith(prefix) for prefix in self._prefixes) else f"{BASE_TOPIC}/{own}"
        return Outbound(f"{under}/set", dumps(body))

    def heard(self, topic: str, levels: list[str], payload: bytes, watched: frozenset[str]) -> Heard | None:
        split = split_base(self.bases, levels)
        if split is None or not split[1]:
            return None
        prefix, rest = split
        device = f"{self.name}:{prefix}{'/'.join(rest)}"
        if device in watched:
            body = json_body(payload)
            return Heard(_reports(device, body)) if isinstance(body, dict) else Heard([])
        # `output: attribute`: `<base>/<friendly name>/<attribute>` carries one bare value.
        device = f"{self.name}:{prefix}{'/'.join(rest[:-1])}"
        if len(rest) > 1 and device in watched:
            body = json_body(payload)
            return Heard(_reports(device, {levels[-1]: payload.decode("utf-8", "replace") if body is None else body}))
        return Heard([])


def _reports(device: str, body: dict[str, object]) -> list[Report]:
    reports = []
    for key, raw in body.items():
        if key == "state" or key.startswith("state_l"):
            word = on_off(raw)
            suffix = key.removeprefix("state_l") if key != "state" else ""
            if word and (not suffix or suffix.isdigit()):
                reports.append(Report(device, f"relay:{suffix}" if suffix else "relay", word))
        elif key == "brightness":
            text = number_text(raw, 100 / LEVEL_MAX)
            if text is not None:
                reports.append(Report(device, "dimmer", text))
        elif key in ("current_heating_setpoint", "occupied_heating_setpoint"):
            text = number_text(raw)
            if text is not None:
                reports.append(Report(device, "setpoint", text))
        elif key == "system_mode" and str(raw).lower() in MODES:
            reports.append(Report(device, "mode", str(raw).lower()))
    return reports
