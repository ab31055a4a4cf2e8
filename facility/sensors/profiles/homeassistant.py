"""Home Assistant MQTT discovery (ESPHome, and anything else that announces itself that way).

`homeassistant/<component>/[<node_id>/]<object_id>/config` announces an entity: its
`state_topic`, `device_class`, `unit_of_measurement`, `value_template` and availability, in full
or abbreviated keys (`stat_t`, `dev_cla`, `unit_of_meas`, `val_tpl`, `avty_t`, `~`). The announced
topics are then followed; `value_template` is compiled once and rendered in Jinja2's sandbox on
a budget (profiles/templates.py): a config whose template runs over it is a dead letter naming
the config, and its entity is dropped until the device announces a new config.
Entities live in memory: discovery configs are retained, so the broker sends them again on every
subscribe, and every gateway of a share group subscribes to them unshared.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import TemplateError, Undefined

from facility.sensors.parsing import Parsed, Rejection, decode_payload
from facility.sensors.profiles.base import Field, Subscription, device_code, merged, readings_from, status
from facility.sensors.profiles.templates import BudgetedEnvironment, TemplateRefused, render_payload

PREFIX = "homeassistant"
# Devices one gateway follows through discovery unless FACILITY_DISCOVERY_MAX_DEVICES says
# otherwise: a campus has hundreds; a flood of announcements beyond it is dead letters.
MAX_DISCOVERED_DEVICES = 1000
# An announced topic longer than this is no device's state topic.
MAX_TOPIC = 256
SENSOR_CLASSES = {
    "temperature": "temperature",
    "humidity": "humidity",
    "carbon_dioxide": "co2",
    "pm25": "pm25",
    "pm10": "pm10",
    "volatile_organic_compounds_parts": "voc",
    "illuminance": "illuminance",
    "power": "power",
    "energy": "energy",
    "voltage": "voltage",
    "current": "current",
    "battery": "battery",
    "sound_pressure": "noise",
}
BINARY_CLASSES = {
    "occupancy": "occupancy",
    "motion": "occupancy",
    "presence": "occupancy",
    "door": "door",
    "opening": "door",
    "window": "door",
    "garage_door": "door",
    "moisture": "water_leak",
}
ABBREVIATIONS = {
    "stat_t": "state_topic",
    "dev_cla": "device_class",
    "unit_of_meas": "unit_of_measurement",
    "val_tpl": "value_template",
    "avty_t": "availability_topic",
    "avty": "availability",
    "pl_avail": "payload_available",
    "pl_not_avail": "payload_not_available",
    "pl_on": "payload_on",
    "pl_off": "payload_off",
    "dev": "device",
    "uniq_id": "unique_id",
    "t": "topic",
    "ids": "identifiers",
}


def _expand(config: Mapping[str, Any]) -> dict[str, Any]:
    """Full key names, and `~` replaced by the base topic where a topic starts or ends with it."""
    base = config.get("~", "")
    expanded: dict[str, Any] = {}
    for key, value in config.items():
        name = ABBREVIATIONS.get(key, key)
        if isinstance(value, str) and name.endswith("topic") and base:
            if value.startswith("~"):
                value = base + value[1:]
            elif value.endswith("~"):
                value = value[:-1] + base
        elif isinstance(value, Mapping):
            value = _expand({**value, "~": base} if base else value)
        elif isinstance(value, list):
            value = [_expand({**v, "~": base} if base else v) if isinstance(v, Mapping) else v for v in value]
        expanded[name] = value
    return expanded


def _is_defined(value: Any) -> Any:
    """HA's `is_defined` filter: a template reading a missing key fails instead of storing ''."""
    if isinstance(value, Undefined):
        raise TemplateError("value is undefined")
    return value


@dataclass(frozen=True)
class Entity:
    config: str  # the discovery topic that announced it
    device: str
    field: Field
    template: Any  # a compiled jinja2 Template, or None for the raw payload
    payload_on: str | None = None
    payload_off: str | None = None


@dataclass(frozen=True)
class Availability:
    config: str
    device: str
    available: str
    not_available: str
    template: Any


class HomeAssistantProfile:
    name = "homeassistant"
    subscriptions = (
        Subscription(f"{PREFIX}/+/+/config", shared=False),
        Subscription(f"{PREFIX}/+/+/+/config", shared=False),
    )

    def __init__(self, prefixes: Sequence[str] = (), max_devices: int = MAX_DISCOVERED_DEVICES) -> None:
        self.prefixes = tuple(prefixes)
        self.max_devices = max_devices
        self._env = BudgetedEnvironment()
        self._env.filters["is_defined"] = _is_defined
        self._states: dict[str, dict[str, Entity]] = {}  # state topic -> config topic -> entity
        self._availability: dict[str, dict[str, Availability]] = {}

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        if levels[0] == PREFIX and levels[-1] == "config" and len(levels) in (4, 5):
            return self._discover(topic, levels, payload)
        parsed = merged(
            [self._reading(entity, payload, received_at) for entity in list(self._states.get(topic, {}).values())]
        )
        for availability in list(self._availability.get(topic, {}).values()):
            text = self._render(availability.template, payload, availability.config)
            if text == availability.available:
                return status(availability.device, True, received_at, self.name)
            if text == availability.not_available:
                return status(availability.device, False, received_at, self.name)
            raise Rejection("bad_status", text[:40])
        return parsed

    # --- discovery ---------------------------------------------------------------------------

    def _forget(self, config_topic: str) -> list[str]:
        """Drop the config's entities; returns the topics no other config follows any more."""
        unused = []
        tables: tuple[dict[str, dict[str, Any]], ...] = (self._states, self._availability)
        for table in tables:
            for followed, entries in list(table.items()):
                if entries.pop(config_topic, None) is not None and not entries:
                    del table[followed]
                    unused.append(followed)
        return [t for t in unused if t not in self._states and t not in self._availability]

    def _check_topic(self, topic: str) -> str:
        """A concrete topic (no wildcard, no `$` system topic) under a configured prefix: a device
        may point us at its own topics, never at the broker's or another application's."""
        if (
            not topic
            or len(topic) > MAX_TOPIC
            or "#" in topic
            or "+" in topic
            or topic.startswith("$")
            or not topic.isprintable()
            or (self.prefixes and not topic.startswith(self.prefixes))
        ):
            raise Rejection("bad_topic", f"announced topic not allowed: {topic[:100]!r}")
        return topic

    def _devices(self) -> set[str]:
        return {e.device for entries in self._states.values() for e in entries.values()}

    def _compile(self, source: Any) -> Any:
        if not source:
            return None
        try:
            return self._env.from_string(str(source))
        except TemplateError as error:
            raise Rejection("bad_template", str(error)[:200]) from None

    def _discover(self, topic: str, levels: list[str], payload: bytes) -> Parsed:
        dropped = self._forget(topic)
        if not payload:
            return Parsed(unsubscribe=dropped)  # an empty config removes the entity
        try:
            raw = json.loads(decode_payload(payload))
        except ValueError:
            raise Rejection("bad_json", payload[:80].decode("utf-8", "replace")) from None
        if not isinstance(raw, dict):
            raise Rejection("bad_json", "discovery config is not an object")
        config = _expand(raw)
        component, node = levels[1], (levels[2] if len(levels) == 5 else "")
        metric = (BINARY_CLASSES if component == "binary_sensor" else SENSOR_CLASSES).get(
            str(config.get("device_class", ""))
        )
        state_topic = config.get("state_topic")
        if component not in ("sensor", "binary_sensor") or metric is None or not isinstance(state_topic, str):
            return Parsed(unsubscribe=dropped)  # an entity we do not measure: switches, buttons, diagnostics
        self._check_topic(state_topic)
        device_info = config["device"] if isinstance(config.get("device"), dict) else {}
        identifiers = device_info.get("identifiers")
        first_id = identifiers[0] if isinstance(identifiers, list) and identifiers else identifiers
        device = device_code(self.name, str(node or first_id or levels[-2]))
        if device not in self._devices() and len(self._devices()) >= self.max_devices:
            raise Rejection("too_many_devices", f"{topic[:100]}: more than {self.max_devices} discovered devices")
        binary = component == "binary_sensor"
        entity = Entity(
            topic,
            device,
            Field(metric, unit=None if binary else config.get("unit_of_measurement")),
            self._compile(config.get("value_template")),
            str(config.get("payload_on", "ON")) if binary else None,
            str(config.get("payload_off", "OFF")) if binary else None,
        )
        self._states.setdefault(state_topic, {})[topic] = entity
        follow = [state_topic]
        for item in self._availability_of(config):
            avail_topic, availability = item
            self._check_topic(avail_topic)
            self._availability.setdefault(avail_topic, {})[topic] = Availability(topic, device, *availability)
            follow.append(avail_topic)
        return Parsed(subscribe=follow, unsubscribe=[t for t in dropped if t not in follow])

    def _availability_of(self, config: Mapping[str, Any]) -> list[tuple[str, tuple[str, str, Any]]]:
        default = (str(config.get("payload_available", "online")), str(config.get("payload_not_available", "offline")))
        found = []
        if isinstance(config.get("availability_topic"), str):
            found.append((config["availability_topic"], (*default, None)))
        for item in config.get("availability") or []:
            if isinstance(item, Mapping) and isinstance(item.get("topic"), str):
                found.append(
                    (
                        item["topic"],
                        (
                            str(item.get("payload_available", default[0])),
                            str(item.get("payload_not_available", default[1])),
                            self._compile(item.get("value_template")),
                        ),
                    )
                )
        return found

    # --- states ------------------------------------------------------------------------------

    def _render(self, template: Any, payload: bytes, config: str) -> str:
        text = decode_payload(payload)
        if template is None:
            return text
        try:
            return render_payload(self._env, template, text)
        except TemplateRefused as refused:
            if refused.over_budget:
                self._forget(config)  # one dead letter, not one per state message
                raise Rejection("template_budget", f"{config}: {refused}"[:200]) from None
            raise Rejection("bad_template", str(refused)) from None

    def _reading(self, entity: Entity, payload: bytes, received_at: datetime) -> Parsed:
        try:
            text = self._render(entity.template, payload, entity.config)
        except Rejection as rejection:
            return Parsed(rejections=[rejection])
        value: Any = text
        if entity.payload_on is not None:
            value = {entity.payload_on: True, entity.payload_off: False}.get(text, text)
        else:
            try:
                value = float(text)
            except ValueError:
                pass
        return readings_from([(entity.field, value)], entity.device, received_at, self.name)
