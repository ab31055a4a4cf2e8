"""Home Assistant MQTT discovery: a device announces its `command_topic`s and `state_topic`s.

Documented at https://www.home-assistant.io/integrations/switch.mqtt/ (`command_topic`,
`state_topic`, `payload_on`/`payload_off` default `ON`/`OFF`, `state_on`/`state_off`),
https://www.home-assistant.io/integrations/light.mqtt/ (`brightness_command_topic`,
`brightness_state_topic`, `brightness_scale` default 255) and
https://www.home-assistant.io/integrations/climate.mqtt/ (`temperature_command_topic`,
`temperature_state_topic`, `mode_command_topic`, `mode_state_topic`). Configs are retained, so the
broker hands them to every gateway again on subscribe; they live in memory, like the reading
profile's. A device's switches are `relay`, `relay:2`, ... in the order of their object ids.
Value templates are not rendered here: an entity with one is read as its raw payload.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from facility.sensors.encoders.base import Heard, Outbound, Report, Target, json_body, number_text, on_off
from facility.sensors.profiles.base import device_code
from facility.sensors.profiles.homeassistant import PREFIX, _expand

COMPONENTS = ("switch", "light", "climate")
ABBREVIATED = {
    "cmd_t": "command_topic",
    "bri_cmd_t": "brightness_command_topic",
    "bri_stat_t": "brightness_state_topic",
    "bri_scl": "brightness_scale",
    "temp_cmd_t": "temperature_command_topic",
    "temp_stat_t": "temperature_state_topic",
    "mode_cmd_t": "mode_command_topic",
    "mode_stat_t": "mode_state_topic",
    "stat_on": "state_on",
    "stat_off": "state_off",
}


@dataclass(frozen=True)
class Point:
    """One channel of an announced entity: where it is told and where it answers."""

    config: str
    device: str
    channel: str
    command_topic: str
    state_topic: str
    payload_on: str = "ON"
    payload_off: str = "OFF"
    scale: float = 1.0  # brightness_scale / 100


class HomeAssistantEncoder:
    name = "homeassistant"
    subscriptions: tuple[str, ...] = ()  # configs come through the reading profile's subscription

    def __init__(self) -> None:
        self._points: dict[tuple[str, str], Point] = {}  # (device, channel) -> point
        self._by_state: dict[str, list[Point]] = {}
        self._switches: dict[str, dict[str, str]] = {}  # device -> object id -> config topic
        self._lock = threading.Lock()

    def followed(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._by_state)

    def command(self, target: Target, channel: str, value: str) -> Outbound | None:
        point = self._points.get((target.code, channel))
        if point is None:
            return None  # not announced (yet): the row waits for the retained config
        if channel.startswith("relay"):
            return Outbound(point.command_topic, (point.payload_on if value == "on" else point.payload_off).encode())
        if channel.startswith("dimmer"):
            return Outbound(point.command_topic, f"{round(float(value) * point.scale)}".encode())
        return Outbound(point.command_topic, value.encode())

    def heard(self, topic: str, levels: list[str], payload: bytes, watched: frozenset[str]) -> Heard | None:
        if levels[0] == PREFIX and levels[-1] == "config" and len(levels) in (4, 5):
            return self._discover(topic, levels, payload) if levels[1] in COMPONENTS else None
        points = self._by_state.get(topic)
        if not points:
            return None
        text = payload.decode("utf-8", "replace").strip()
        reports = []
        for point in points:
            value = _state_value(point, text)
            if value is not None:
                reports.append(Report(point.device, point.channel, value))
        return Heard(reports)

    def _discover(self, topic: str, levels: list[str], payload: bytes) -> Heard:
        with self._lock:
            self._forget(topic)
            raw = json_body(payload) if payload else None
            if not isinstance(raw, Mapping):
                return Heard([])
            config = _expand({ABBREVIATED.get(str(k), str(k)): v for k, v in raw.items()})
            component, node = levels[1], (levels[2] if len(levels) == 5 else "")
            info = config.get("device") if isinstance(config.get("device"), Mapping) else {}
            identifiers = info.get("identifiers") if isinstance(info, Mapping) else None
            first_id = identifiers[0] if isinstance(identifiers, list) and identifiers else identifiers
            device = device_code(self.name, str(node or first_id or levels[-2]))
            for point in self._points_of(topic, component, levels[-2], device, config):
                self._points[(point.device, point.channel)] = point
                self._by_state.setdefault(point.state_topic, []).append(point)
            return Heard([], follow=tuple({p.state_topic for p in self._points.values() if p.config == topic}))

    def _points_of(self, topic: str, component: str, object_id: str, device: str, c: dict[str, Any]) -> list[Point]:
        def pair(command: str, state: str, channel: str, **extra: Any) -> list[Point]:
            if isinstance(c.get(command), str) and isinstance(c.get(state), str):
                return [Point(topic, device, channel, c[command], c[state], **extra)]
            return []

        if component == "switch":
            switches = self._switches.setdefault(device, {})
            switches[object_id] = topic
            position = sorted(switches).index(object_id)
            channel = "relay" if position == 0 else f"relay:{position + 1}"
            on, off = str(c.get("payload_on", "ON")), str(c.get("payload_off", "OFF"))
            return pair("command_topic", "state_topic", channel, payload_on=on, payload_off=off)
        if component == "light":
            scale = float(c.get("brightness_scale", 255)) / 100
            return pair("brightness_command_topic", "brightness_state_topic", "dimmer", scale=scale)
        return pair("temperature_command_topic", "temperature_state_topic", "setpoint") + pair(
            "mode_command_topic", "mode_state_topic", "mode"
        )

    def _forget(self, config: str) -> None:
        for key, point in list(self._points.items()):
            if point.config == config:
                del self._points[key]
                remaining = [p for p in self._by_state.get(point.state_topic, []) if p.config != config]
                if remaining:
                    self._by_state[point.state_topic] = remaining
                else:
                    self._by_state.pop(point.state_topic, None)


def _state_value(point: Point, text: str) -> str | None:
    if point.channel.startswith("relay"):
        if text == point.payload_on:
            return "on"
        if text == point.payload_off:
            return "off"
        return on_off(text)
    if point.channel == "dimmer":
        return number_text(text, 1 / point.scale)
    if point.channel == "setpoint":
        return number_text(text)
    return text.lower() or None
