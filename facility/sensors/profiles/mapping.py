"""A mapping file (YAML, `FACILITY_DEVICE_MAPPING_FILE`) for devices no built-in profile knows.

    devices:
      - topic: "plant/{building}/{room}/{device}/telemetry"   # {name}: one topic level
        ts: time                                              # optional JSON path
        metrics:
          temperature: {path: data.temp, unit: "°F"}
          co2: {path: "sensors[0].co2", scale: 1}

`{device}` is required; `{building}` and `{room}` become the location the device reports. An
invalid file stops the start with a message naming the file and line. Its `plant:` section
(Modbus and BACnet points the gateway polls) is read by profiles/plant.py.

The same file tells the built-in profiles what a site configured differently (each key optional,
added to the FACILITY_* settings of the same name):

    zigbee2mqtt_base_topics: [zigbee2mqtt, campus/z2m-east]
    tasmota_full_topics: ["%prefix%/%topic%/", "tasmota/%prefix%/%topic%/"]
    lorawan_fields:                 # decoder field -> metric, for ChirpStack and TTN
      Temp_Ext: {metric: temperature}
      Bat_mV: {metric: battery_voltage, unit: mV}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from facility.sensors.catalogue import METRICS
from facility.sensors.parsing import Parsed, Rejection, parse_ts
from facility.sensors.profiles.base import (
    Field,
    ProfileConfigError,
    Subscription,
    TopicFilter,
    compile_filter,
    device_code,
    json_object,
    matches,
    readings_from,
)

WILDCARD = re.compile(r"^\{([a-z_][a-z0-9_]*)\}$")
PATH_SEGMENT = re.compile(r"^([^.\[\]]*)((?:\[\d+\])*)$")
INDEX = re.compile(r"\[(\d+)\]")
JsonPath = tuple[str | int, ...]


class MappingFileError(ProfileConfigError):
    """The mapping file is invalid; the message names the file and line."""


@dataclass(frozen=True)
class TopicMapping:
    topic_filter: TopicFilter
    names: tuple[tuple[int, str], ...]  # topic level index -> wildcard name
    metrics: tuple[tuple[JsonPath, Field], ...]
    ts: JsonPath | None


def compile_path(text: str) -> JsonPath:
    """`a.b[0].c` (a leading `$.` is allowed) into keys and indexes."""
    parts: list[str | int] = []
    for token in text.removeprefix("$.").split("."):
        found = PATH_SEGMENT.match(token)
        if not token or not found:
            raise ValueError(f"bad JSON path {text!r}")
        if found.group(1):
            parts.append(found.group(1))
        parts.extend(int(index) for index in INDEX.findall(found.group(2)))
    return tuple(parts)


def follow_path(body: Any, path: JsonPath) -> Any:
    for part in path:
        if isinstance(part, int):
            body = body[part] if isinstance(body, list) and part < len(body) else None
        else:
            body = body.get(part) if isinstance(body, Mapping) else None
        if body is None:
            return None
    return body


class MappingReader:
    """Walks the composed YAML nodes so every error can name its line."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, node: yaml.Node, problem: str) -> MappingFileError:
        return MappingFileError(f"{self.path}:{node.start_mark.line + 1}: {problem}")

    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        return {str(k.value): (k, v) for k, v in node.value}

    def scalar(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode) or node.value == "":
            raise self.fail(node, f"{what} must be a non-empty text")
        return str(node.value)

    def entry(self, node: yaml.Node) -> TopicMapping:
        keys = self.mapping(node, "each device entry")
        for name, (key, _) in keys.items():
            if name not in ("topic", "metrics", "ts"):
                raise self.fail(key, f"unknown key {name!r} (topic, metrics, ts)")
        if "topic" not in keys or "metrics" not in keys:
            raise self.fail(node, "a device entry needs topic and metrics")
        topic_node = keys["topic"][1]
        levels = self.scalar(topic_node, "topic").split("/")
        names: list[tuple[int, str]] = []
        for index, level in enumerate(levels):
            found = WILDCARD.match(level)
            if found:
                names.append((index, found.group(1)))
                levels[index] = "+"
            elif "{" in level or "}" in level or level in ("#", ""):
                raise self.fail(topic_node, f"topic level {level!r}: use {{name}} for a whole level")
        if "device" not in dict((n, i) for i, n in names):
            raise self.fail(topic_node, "topic needs a {device} level")
        metrics = []
        for name, (key, spec_node) in self.mapping(keys["metrics"][1], "metrics").items():
            metrics.append(self.metric(name, key, spec_node))
        ts = None
        if "ts" in keys:
            ts = self.json_path(keys["ts"][1])
        return TopicMapping(compile_filter("/".join(levels)), tuple(names), tuple(metrics), ts)

    def texts(self, node: yaml.Node, what: str) -> list[str]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list")
        return [self.scalar(item, what) for item in node.value]

    def alias(self, name: str, key: yaml.Node, node: yaml.Node) -> Field:
        """A decoder field's metric, unit and scale (`{metric: temperature, unit: "°F"}`)."""
        spec = self.mapping(node, f"lorawan field {name}")
        for option, (option_key, _) in spec.items():
            if option not in ("metric", "unit", "scale"):
                raise self.fail(option_key, f"unknown key {option!r} (metric, unit, scale)")
        if "metric" not in spec:
            raise self.fail(node, f"lorawan field {name} needs a metric")
        metric_name = self.scalar(spec["metric"][1], "metric")
        metric = METRICS.get(metric_name)
        if metric is None:
            raise self.fail(spec["metric"][1], f"unknown metric {metric_name!r}; known: {', '.join(METRICS)}")
        unit = self.unit(metric_name, spec)
        return Field(metric_name, unit=unit, scale=self.scale(spec))

    def unit(self, name: str, spec: dict[str, tuple[yaml.Node, yaml.Node]]) -> str | None:
        unit = self.scalar(spec["unit"][1], "unit") if "unit" in spec else None
        if unit is not None:
            try:
                METRICS[name].to_canonical(1.0, unit)
            except KeyError:
                raise self.fail(spec["unit"][1], f"{name} does not accept unit {unit!r}") from None
        return unit

    def scale(self, spec: dict[str, tuple[yaml.Node, yaml.Node]]) -> float:
        if "scale" not in spec:
            return 1.0
        try:
            return float(self.scalar(spec["scale"][1], "scale"))
        except ValueError:
            raise self.fail(spec["scale"][1], "scale must be a number") from None

    def json_path(self, node: yaml.Node) -> JsonPath:
        try:
            return compile_path(self.scalar(node, "path"))
        except ValueError as error:
            raise self.fail(node, str(error)) from None

    def metric(self, name: str, key: yaml.Node, node: yaml.Node) -> tuple[JsonPath, Field]:
        metric = METRICS.get(name)
        if metric is None:
            raise self.fail(key, f"unknown metric {name!r}; known: {', '.join(METRICS)}")
        spec = self.mapping(node, f"metric {name}")
        for option, (option_key, _) in spec.items():
            if option not in ("path", "unit", "scale"):
                raise self.fail(option_key, f"unknown key {option!r} (path, unit, scale)")
        if "path" not in spec:
            raise self.fail(node, f"metric {name} needs a path")
        return self.json_path(spec["path"][1]), Field(name, unit=self.unit(name, spec), scale=self.scale(spec))


@dataclass(frozen=True)
class MappingFile:
    """Everything a mapping file says: its own devices and what it adds to the built-in profiles."""

    devices: list[TopicMapping]
    zigbee2mqtt_base_topics: list[str]
    tasmota_full_topics: list[str]
    lorawan_fields: dict[str, Field]


def read_mapping_file(path: str) -> tuple[MappingReader, yaml.Node, dict[str, tuple[yaml.Node, yaml.Node]]]:
    """The file's composed YAML and its top-level keys; MappingFileError when unreadable."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise MappingFileError(f"{path}: cannot read the mapping file ({error.strerror})") from None
    try:
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 0
        raise MappingFileError(f"{path}:{line}: {error.problem}") from None
    reader = MappingReader(path)
    if root is None:
        raise MappingFileError(f"{path}:1: the mapping file is empty")
    return reader, root, reader.mapping(root, "the file")


def load_mapping(path: str) -> list[TopicMapping]:
    """The mapping file's own MQTT devices (see load_mapping_file); none in a plant-only file."""
    return load_mapping_file(path).devices


def load_mapping_file(path: str) -> MappingFile:
    """Read and check the mapping file; MappingFileError names the line of the first problem."""
    reader, root, top = read_mapping_file(path)
    for name, (key, _) in top.items():
        if name not in TOP_KEYS:
            raise reader.fail(key, f"unknown key {name!r} ({', '.join(TOP_KEYS)})")
    if "devices" in top and not isinstance(top["devices"][1], yaml.SequenceNode):
        raise reader.fail(top["devices"][1], "devices must be a list")
    if not top.keys() - {"devices"} and "devices" not in top:
        raise reader.fail(root, "the file needs a devices: list")
    devices = [reader.entry(node) for node in top["devices"][1].value] if "devices" in top else []
    fields: dict[str, Field] = {}
    if "lorawan_fields" in top:
        for name, (key, node) in reader.mapping(top["lorawan_fields"][1], "lorawan_fields").items():
            fields[name] = reader.alias(name, key, node)
    return MappingFile(
        devices,
        reader.texts(top["zigbee2mqtt_base_topics"][1], "zigbee2mqtt_base_topics")
        if "zigbee2mqtt_base_topics" in top
        else [],
        reader.texts(top["tasmota_full_topics"][1], "tasmota_full_topics") if "tasmota_full_topics" in top else [],
        fields,
    )


TOP_KEYS = ("devices", "zigbee2mqtt_base_topics", "tasmota_full_topics", "lorawan_fields", "plant")


class MappingProfile:
    name = "mapping"

    def __init__(self, mappings: list[TopicMapping]) -> None:
        self.mappings = mappings
        self.subscriptions = tuple(dict.fromkeys(Subscription("/".join(m.topic_filter)) for m in mappings))

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        mapping = next(m for m in self.mappings if matches(m.topic_filter, levels))
        named = {name: levels[index] for index, name in mapping.names}
        body = json_object(payload)
        ts = parse_ts(follow_path(body, mapping.ts), received_at) if mapping.ts else received_at
        found = [(spec, follow_path(body, path)) for path, spec in mapping.metrics]
        parsed = readings_from(found, device_code(self.name, named["device"]), ts, self.name)
        if not parsed.readings and not parsed.rejections:
            raise Rejection("no_metrics", "none of the mapped paths is in the payload")
        building, room = named.get("building", ""), named.get("room", "")
        return parsed._replace(readings=[r._replace(building=building, room=room) for r in parsed.readings])
