"""Plant points (Modbus TCP, BACnet/IP) declared in the mapping file, and the profile that reads
what the gateway's pollers spool.

    plant:
      bacnet_address: "192.168.10.5/24:47808"   # the gateway's own BACnet/IP port (optional)
      modbus:
        - device: meter-B1            # device code modbus:meter-B1
          host: 10.0.5.20             # port 502, unit 1, interval 10 s, timeout 2 s by default
          building: edu
          room: E-PLANT
          points:
            energy: {register: 0, type: uint32, scale: 0.01, unit: kWh}
            power: {register: 2, type: uint32, unit: W}
      bacnet:
        - device: ahu-1
          address: "10.0.5.30:47808"
          priority: 8                 # WriteProperty priority of its writable points
          points:
            supply_air_temperature: {object: "analog-input,1"}
            setpoint: {object: "analog-value,1", writable: true}

A point's name is its metric unless `metric:` says otherwise (`metric: none` for a point only
written); `interval`, `device`, `building` and `room` may be set per point. The pollers spool
`$plant/<protocol>/<device>` messages, which no broker subscription can match, with the raw
values read; this profile applies scale and unit, so a bad value is a dead letter like an MQTT
device's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import yaml

from facility.sensors.catalogue import METRICS
from facility.sensors.parsing import Parsed, Reading, Rejection, StatusUpdate, parse_ts
from facility.sensors.profiles.base import Field, Subscription, device_code, json_object, readings_from
from facility.sensors.profiles.mapping import MappingFileError, MappingReader, read_mapping_file

PROTOCOLS = ("modbus", "bacnet")
CHANNEL = re.compile(r"^[a-z_]{1,30}(:\d{1,3})?$")
TOPIC_ROOT = "$plant"
MODBUS_TABLES = ("register", "input", "coil", "discrete")
MODBUS_TYPES = ("int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64")
DEFAULT_INTERVAL_S = 10.0
DEFAULT_TIMEOUT_S = 2.0
# BACnet priority 8 is "manual operator" in ASHRAE 135's table; below automation's 9-16, above
# life safety's 1-7, which a facility system has no business writing.
DEFAULT_PRIORITY = 8


@dataclass(frozen=True)
class PlantPoint:
    name: str
    metric: str | None  # None: written, never read into a reading
    device: str  # the device's own id; the code is `<protocol>:<device>`
    building: str
    room: str
    interval_s: float
    unit: str | None = None
    scale: float = 1.0
    writable: bool = False
    # Modbus: the table (register = holding), address, data type and word order.
    table: str = "register"
    address: int = 0
    data_type: str = "uint16"
    word_order: str = "big"
    # BACnet: object, property and the priority it is written at.
    object_id: str = ""
    property_id: str = "present-value"
    priority: int = DEFAULT_PRIORITY
    # The actuator channel a desired state names (`setpoint`, `relay:1`): written and confirmed here.
    channel: str | None = None


@dataclass(frozen=True)
class PlantDevice:
    protocol: str
    name: str
    host: str
    port: int
    timeout_s: float
    points: tuple[PlantPoint, ...]
    unit_id: int = 1  # Modbus unit (slave) id

    @property
    def topic(self) -> str:
        return f"{TOPIC_ROOT}/{self.protocol}/{self.name}"

    def point(self, name: str) -> PlantPoint | None:
        return next((p for p in self.points if p.name == name), None)

    def code(self, point: PlantPoint) -> str:
        """The device code the point's readings carry (`modbus:meter-B1`)."""
        return f"{self.protocol}:{point.device}"


@dataclass(frozen=True)
class PlantConfig:
    devices: tuple[PlantDevice, ...] = ()
    bacnet_address: str = ""
    # The gateway's own BACnet device instance; unique on the network (4,194,303 is the wildcard).
    bacnet_instance: int = 4_194_301

    def device(self, protocol: str, name: str) -> PlantDevice | None:
        return next((d for d in self.devices if d.protocol == protocol and d.name == name), None)


@dataclass
class _PlantReader:
    base: MappingReader
    names: set[tuple[str, str]] = field(default_factory=set)

    def fail(self, node: yaml.Node, problem: str) -> MappingFileError:
        return self.base.fail(node, problem)

    def number(self, node: yaml.Node, what: str, *, low: float = 0, integer: bool = False) -> float:
        text = self.base.scalar(node, what)
        try:
            value = int(text, 0) if integer else float(text)
        except ValueError:
            raise self.fail(node, f"{what} must be {'a whole number' if integer else 'a number'}") from None
        if value < low:
            raise self.fail(node, f"{what} must be at least {low:g}")
        return value

    def device(self, protocol: str, node: yaml.Node) -> PlantDevice:
        common = ("device", "building", "room", "interval", "timeout", "points")
        allowed = common + (("host", "port", "unit") if protocol == "modbus" else ("address", "priority"))
        keys = self.base.mapping(node, f"each {protocol} device")
        for name, (key, _) in keys.items():
            if name not in allowed:
                raise self.fail(key, f"unknown key {name!r} ({', '.join(allowed)})")
        needed = ("device", "host", "points") if protocol == "modbus" else ("device", "address", "points")
        for name in needed:
            if name not in keys:
                raise self.fail(node, f"a {protocol} device needs {name}")
        text = {k: self.base.scalar(v, k) for k, (_, v) in keys.items() if k not in ("points",)}
        own_id = text["device"]
        if (protocol, own_id) in self.names:
            raise self.fail(keys["device"][1], f"{protocol} device {own_id!r} is declared twice")
        self.names.add((protocol, own_id))
        defaults = PlantPoint(
            name="",
            metric=None,
            device=own_id,
            building=text.get("building", ""),
            room=text.get("room", ""),
            interval_s=self.number(keys["interval"][1], "interval", low=0.1)
            if "interval" in keys
            else DEFAULT_INTERVAL_S,
            priority=self.priority(keys["priority"][1]) if "priority" in keys else DEFAULT_PRIORITY,
        )
        if protocol == "modbus":
            host, port = (
                text["host"],
                int(self.number(keys["port"][1], "port", integer=True)) if "port" in keys else 502,
            )
        else:
            host, _sep, port_text = text["address"].rpartition(":")
            if not host or not port_text.isdigit():
                host, port_text = text["address"], "47808"
            port = int(port_text)
        points = tuple(
            self.point(protocol, name, key, spec, defaults)
            for name, (key, spec) in self.base.mapping(keys["points"][1], "points").items()
        )
        if not points:
            raise self.fail(keys["points"][1], "a device needs at least one point")
        return PlantDevice(
            protocol,
            own_id,
            host,
            port,
            self.number(keys["timeout"][1], "timeout", low=0.1) if "timeout" in keys else DEFAULT_TIMEOUT_S,
            points,
            unit_id=int(self.number(keys["unit"][1], "unit", integer=True)) if "unit" in keys else 1,
        )

    def priority(self, node: yaml.Node) -> int:
        value = int(self.number(node, "priority", low=1, integer=True))
        if value > 16:
            raise self.fail(node, "priority must be 1 to 16")
        return value

    def point(self, protocol: str, name: str, key: yaml.Node, node: yaml.Node, defaults: PlantPoint) -> PlantPoint:
        shared = ("metric", "unit", "scale", "interval", "device", "building", "room", "writable", "channel")
        where = MODBUS_TABLES + ("type", "word_order") if protocol == "modbus" else ("object", "property", "priority")
        spec = self.base.mapping(node, f"point {name}")
        for option, (option_key, _) in spec.items():
            if option not in shared + where:
                raise self.fail(option_key, f"unknown key {option!r} ({', '.join(shared + where)})")
        text = {k: self.base.scalar(v, k) for k, (_, v) in spec.items()}
        metric_name: str | None = text.get("metric", name)
        if metric_name == "none":
            metric_name = None
        elif metric_name not in METRICS:
            raise self.fail(key, f"unknown metric {metric_name!r}; name one with metric: (or metric: none)")
        unit = text.get("unit")
        if unit is not None and metric_name is not None:
            try:
                METRICS[metric_name].to_canonical(1.0, unit)
            except KeyError:
                raise self.fail(spec["unit"][1], f"{metric_name} does not accept unit {unit!r}") from None
        writable = text.get("writable", "false").lower()
        if writable not in ("true", "false"):
            raise self.fail(spec["writable"][1], "writable is true or false")
        point = replace(
            defaults,
            name=name,
            metric=metric_name,
            unit=unit,
            scale=self.number(spec["scale"][1], "scale", low=-1e12) if "scale" in spec else 1.0,
            writable=writable == "true",
            interval_s=self.number(spec["interval"][1], "interval", low=0.1)
            if "interval" in spec
            else defaults.interval_s,
            device=text.get("device", defaults.device),
            building=text.get("building", defaults.building),
            room=text.get("room", defaults.room),
        )
        if point.scale == 0:
            raise self.fail(spec["scale"][1], "scale must not be 0")
        if "channel" in text:
            if not CHANNEL.match(text["channel"]) or not point.writable or point.metric is None:
                raise self.fail(spec["channel"][1], "a channel (setpoint, relay:1) is a writable point with a metric")
            point = replace(point, channel=text["channel"])
        if protocol == "modbus":
            return self.modbus_point(point, name, node, spec, text)
        if "object" not in spec:
            raise self.fail(node, f'point {name} needs object (e.g. "analog-input,1")')
        object_type, _sep, instance = text["object"].partition(",")
        if not object_type or not instance.strip().isdigit():
            raise self.fail(spec["object"][1], 'object is "<type>,<instance>", e.g. "analog-value,3"')
        return replace(
            point,
            object_id=f"{object_type.strip()},{int(instance)}",
            property_id=text.get("property", "present-value"),
            priority=self.priority(spec["priority"][1]) if "priority" in spec else defaults.priority,
        )

    def modbus_point(
        self, point: PlantPoint, name: str, node: yaml.Node, spec: dict[str, Any], text: dict[str, str]
    ) -> PlantPoint:
        tables = [t for t in MODBUS_TABLES if t in spec]
        if len(tables) != 1:
            raise self.fail(node, f"point {name} needs one of {', '.join(MODBUS_TABLES)} (its address)")
        table = tables[0]
        data_type = text.get("type", "uint16" if table in ("register", "input") else "bool")
        if table in ("coil", "discrete") and data_type != "bool":
            raise self.fail(spec["type"][1], "a coil or discrete input is a bool")
        if table in ("register", "input") and data_type not in MODBUS_TYPES:
            raise self.fail(spec["type"][1], f"type is one of {', '.join(MODBUS_TYPES)}")
        word_order = text.get("word_order", "big")
        if word_order not in ("big", "little"):
            raise self.fail(spec["word_order"][1], "word_order is big or little")
        if point.writable and table in ("input", "discrete"):
            raise self.fail(spec["writable"][1], f"an {table} is read-only")
        address = int(self.number(spec[table][1], table, integer=True))
        if address > 65535:
            raise self.fail(spec[table][1], f"{table} address is 0 to 65535")
        return replace(point, table=table, address=address, data_type=data_type, word_order=word_order)


def load_plant(path: str) -> PlantConfig:
    """The mapping file's `plant:` section (empty when it has none); errors name the line."""
    reader, _root, top = read_mapping_file(path)
    if "plant" not in top:
        return PlantConfig()
    plant = _PlantReader(reader)
    section = reader.mapping(top["plant"][1], "plant")
    for name, (key, _) in section.items():
        if name not in ("modbus", "bacnet", "bacnet_address", "bacnet_instance"):
            raise reader.fail(key, f"unknown key {name!r} (modbus, bacnet, bacnet_address, bacnet_instance)")
    devices: list[PlantDevice] = []
    for protocol in PROTOCOLS:
        if protocol not in section:
            continue
        entries = section[protocol][1]
        if not isinstance(entries, yaml.SequenceNode):
            raise reader.fail(entries, f"{protocol} must be a list of devices")
        devices.extend(plant.device(protocol, entry) for entry in entries.value)
    address = reader.scalar(section["bacnet_address"][1], "bacnet_address") if "bacnet_address" in section else ""
    instance = (
        int(plant.number(section["bacnet_instance"][1], "bacnet_instance", integer=True))
        if "bacnet_instance" in section
        else PlantConfig.bacnet_instance
    )
    return PlantConfig(tuple(devices), address, instance)


class PlantProfile:
    """Reads the pollers' messages: `{"ts", "values": {point: raw}, "errors": {point: text},
    "online": bool}`; each value is scaled and converted like a mapped MQTT field."""

    def __init__(self, protocol: str, devices: list[PlantDevice]) -> None:
        self.name = protocol
        self.devices = {d.name: d for d in devices}
        # Local: routed by the profile set, never subscribed on the broker.
        self.subscriptions = (Subscription(f"{TOPIC_ROOT}/{protocol}/+", local=True),)

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        device = self.devices.get(levels[2])
        if device is None:
            raise Rejection("unknown_device", f"no {self.name} device {levels[2][:64]!r} in the mapping file")
        body = json_object(payload)
        ts = parse_ts(body.get("ts"), received_at)
        readings: list[Reading] = []
        rejections: list[Rejection] = []
        values = body.get("values")
        for name, raw in (values if isinstance(values, dict) else {}).items():
            point = device.point(name)
            if point is None:
                rejections.append(Rejection("unknown_point", name[:64]))
                continue
            if point.metric is None:
                continue
            code = device_code(self.name, point.device)
            parsed = readings_from([(Field(point.metric, point.unit), scaled(raw, point.scale))], code, ts, self.name)
            readings += [r._replace(building=point.building, room=point.room) for r in parsed.readings]
            rejections += [Rejection(r.reason, f"{name}: {r.detail}") for r in parsed.rejections]
        errors = body.get("errors")
        for name, text in (errors if isinstance(errors, dict) else {}).items():
            rejections.append(Rejection("read_failed", f"{str(name)[:64]}: {str(text)[:120]}"))
        status = None
        if isinstance(body.get("online"), bool):
            first = device.points[0]
            status = StatusUpdate(
                device_code(self.name, device.name), first.building, first.room, body["online"], ts, self.name
            )
        if not readings and not rejections and status is None:
            raise Rejection("no_metrics", "the poll read nothing")
        return Parsed(readings, status, rejections)


def scaled(raw: Any, scale: float) -> Any:
    """A number times the point's scale, without the binary fraction's tail (234 x 0.1 is 23.4,
    not 23.400000000000002); booleans and text (a NaN) pass as they are, to be judged later."""
    if isinstance(raw, bool) or not isinstance(raw, int | float) or scale == 1.0:
        return raw
    return float(f"{raw * scale:.12g}")


def plant_profiles(config: PlantConfig) -> list[PlantProfile]:
    """One profile per protocol the mapping file uses."""
    return [
        PlantProfile(protocol, [d for d in config.devices if d.protocol == protocol])
        for protocol in PROTOCOLS
        if any(d.protocol == protocol for d in config.devices)
    ]
