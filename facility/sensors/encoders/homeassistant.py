"""Home Assistant MQTT discovery: a device announces its `command_topic`s and `state_topic`s.

Documented at https://www.home-assistant.io/integrations/switch.mqtt/ (`command_topic`,
`state_topic`, `payload_on`/`payload_off` default `ON`/`OFF`, `state_on`/`state_off`),
https://www.home-assistant.io/integrations/light.mqtt/ (`brightness_command_topic`,
`brightness_state_topic`, `brightness_scale` default 255) and
https://www.home-assistant.io/integrations/climate.mqtt/ (`temperature_command_topic`,
`temperature_state_topic`, `mode_command_topic`, `mode_state_topic`). Configs are retained, so the
broker hands them to every gateway again on subscribe; they live in memory, like the reading
profile's. A device's switches are `relay`, `relay:2`, ... in the order of their object ids.
State templates (`value_template`, `brightness_value_template`, `temperature_state_template`,
`mode_state_template`) pick the value out of the state payload and command templates
(`command_template`, `brightness_command_template`, `temperature_command_template`,
`mode_command_template`) make the payload, rendered as the reading profile renders its templates:
in Jinja2's sandbox on a budget (profiles/templates.py). A template that does not compile, or
runs over its budget, leaves the entity unannounced (a device it cannot be told or heard through),
logged once, rather than told a wrong payload.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from jinja2 import Template, TemplateError

from facility.sensors.encoders.base import Heard, Outbound, Report, Target, json_body, number_text, on_off
from facility.sensors.profiles.base import device_code
from facility.sensors.profiles.homeassistant import PREFIX, _expand
from facility.sensors.profiles.templates import BudgetedEnvironment, TemplateRefused, render_payload

log = logging.getLogger(__name__)

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
    "val_tpl": "value_template",
    "cmd_tpl": "command_template",
    "bri_val_tpl": "brightness_value_template",
    "bri_cmd_tpl": "brightness_command_template",
    "temp_stat_tpl": "temperature_state_template",
    "temp_cmd_tpl": "temperature_command_template",
    "mode_stat_tpl": "mode_state_template",
    "mode_cmd_tpl": "mode_command_template",
}
# Per channel kind: the config keys of its state template and its command template.
TEMPLATES = {
    "relay": ("value_template", "command_template"),
    "dimmer": ("brightness_value_template", "brightness_command_template"),
    "setpoint": ("temperature_state_template", "temperature_command_template"),
    "mode": ("mode_state_template", "mode_command_template"),
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
    state_template: Template | None = None
    command_template: Template | None = None


class HomeAssistantEncoder:
    name = "homeassistant"
    subscriptions: tuple[str, ...] = ()  # configs come through the reading profile's subscription

    def __init__(self) -> None:
        self._points: dict[tuple[str, str], Point] = {}  # (device, channel) -> point
        self._by_state: dict[str, list[Point]] = {}
        self._switches: dict[str, dict[str, str]] = {}  # device -> object id -> config topic
        self._lock = threading.Lock()
        self._env = BudgetedEnvironment()

    def followed(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._by_state)

    def command(self, target: Target, channel: str, value: str) -> Outbound | None:
        point = self._points.get((target.code, channel))
        if point is None:
            return None  # not announced (yet): the row waits for the retained config
        if channel.startswith("relay"):
            told = point.payload_on if value == "on" else point.payload_off
        elif channel.startswith("dimmer"):
            told = f"{round(float(value) * point.scale)}"
        else:
            told = value
        if point.command_template is not None:
            try:
                told = self._render(point.command_template, told)
            except TemplateRefused as refused:
                self._refuse(point.config, refused)
                return None
        return Outbound(point.command_topic, told.encode())

    def heard(self, topic: str, levels: list[str], payload: bytes, watched: frozenset[str]) -> Heard | None:
        if levels[0] == PREFIX and levels[-1] == "config" and len(levels) in (4, 5):
            return self._discover(topic, levels, payload) if levels[1] in COMPONENTS else None
        points = self._by_state.get(topic)
        if not points:
            return None
        text = payload.decode("utf-8", "replace").strip()
        reports = []
        for point in points:
            shown = text
            if point.state_template is not None:
                try:
                    shown = self._render(point.state_template, text)
                except TemplateRefused as refused:
                    self._refuse(point.config, refused)
                    continue
            value = _state_value(point, shown)
            if value is not None:
                reports.append(Report(point.device, point.channel, value))
        return Heard(reports)

    def _render(self, template: Template, text: str) -> str:
        return render_payload(self._env, template, text)

    def _refuse(self, config: str, refused: TemplateRefused) -> None:
        """A template over its budget is the config's fault: forget the config, once."""
        if refused.over_budget:
            with self._lock:
                self._forget(config)
        log.warning("Home Assistant template of %s refused: %s", config[:120], str(refused)[:200])

    def _compile(self, source: Any) -> Template | None:
        if not source:
            return None
        try:
            return self._env.from_string(str(source))
        except TemplateError as error:
            raise TemplateRefused(str(error)[:200]) from None

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
            try:
                points = self._points_of(topic, component, levels[-2], device, config)
            except TemplateRefused as refused:
                log.warning("Home Assistant config %s refused: %s", topic[:120], str(refused)[:200])
                return Heard([])
            for point in points:
                self._points[(point.device, point.channel)] = point
                self._by_state.setdefault(point.state_topic, []).append(point)
            return Heard([], follow=tuple({p.state_topic for p in self._points.values() if p.config == topic}))

    def _points_of(self, topic: str, component: str, object_id: str, device: str, c: dict[str, Any]) -> list[Point]:
        def pair(command: str, state: str, channel: str, **extra: Any) -> list[Point]:
            if isinstance(c.get(command), str) and isinstance(c.get(state), str):
                state_key, command_key = TEMPLATES[channel.partition(":")[0]]
                point = Point(topic, device, channel, c[command], c[state], **extra)
                return [
                    replace(
                        point,
                        state_template=self._compile(c.get(state_key)),
                        command_template=self._compile(c.get(command_key)),
                    )
                ]
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
