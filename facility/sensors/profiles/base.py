"""What every device profile shares: the profile shape, topic filters compiled once, and the
turning of a family's named fields into readings of the metric catalogue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from facility.sensors.parsing import (
    JSON,
    Parsed,
    RawFields,
    Reading,
    Rejection,
    StatusUpdate,
    decode_payload,
    parse_ts,
    to_value,
)

# Device.code holds `<profile>:<device's own id>`; the column is this wide.
CODE_MAX = 64


class ProfileConfigError(ValueError):
    """The profiles cannot start as configured; the message names the setting or file line."""


@dataclass(frozen=True)
class Subscription:
    filter: str
    # False for topics every gateway of a share group must see (discovery configs).
    shared: bool = True
    # True for topics the gateway makes itself (plant polls): routed, never subscribed.
    local: bool = False


class Profile(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def subscriptions(self) -> tuple[Subscription, ...]:
        """The topic filters it reads, subscribed to by the gateway."""
        ...

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        """Readings or a status of one message; raises Rejection for what it cannot read."""
        ...


TopicFilter = tuple[str, ...]


def compile_filter(topic_filter: str) -> TopicFilter:
    return tuple(topic_filter.split("/"))


def matches(topic_filter: TopicFilter, levels: list[str]) -> bool:
    """MQTT filter matching on pre-split levels: `+` one level, `#` the rest."""
    for index, part in enumerate(topic_filter):
        if part == "#":
            return True
        if index >= len(levels) or (part != "+" and part != levels[index]):
            return False
    return len(levels) == len(topic_filter)


def epoch_seconds(raw: Any, received_at: datetime) -> datetime:
    """Unix seconds (Shelly's `ts`); absent means the receive time."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return parse_ts(raw * 1000, received_at)
    return parse_ts(raw, received_at)


def iso_time(raw: Any, received_at: datetime) -> datetime:
    """RFC 3339 as LoRaWAN servers write it: `Z`, and nanoseconds Python does not read."""
    if isinstance(raw, str):
        head, dot, tail = raw.replace("Z", "+00:00").partition(".")
        if dot:
            digits = len(tail) - len(tail.lstrip("0123456789"))
            raw = f"{head}.{tail[: min(digits, 6)]}{tail[digits:]}"
        else:
            raw = head
    return parse_ts(raw, received_at)


def device_code(profile: str, own_id: str) -> str:
    """`<profile>:<own id>`, bounded; an id with control characters (a newline would end a
    line-protocol point and start a forged one) or a trailing backslash is refused here."""
    code = f"{profile}:{own_id}"[:CODE_MAX]
    if not code.isprintable() or code.endswith("\\"):
        raise Rejection("bad_device", repr(own_id)[:80])
    return code


def load_json(payload: bytes) -> Any:
    text = decode_payload(payload)
    try:
        return JSON.decode(text)
    except (ValueError, RecursionError):
        raise Rejection("bad_json", text[:80]) from None


def json_object(payload: bytes) -> dict[str, Any]:
    body = load_json(payload)
    if not isinstance(body, dict):
        raise Rejection("bad_json", "expected a JSON object")
    return body


@dataclass(frozen=True)
class Field:
    """One of a family's fields: the catalogue metric it feeds, in what unit, times what scale."""

    metric: str
    unit: str | None = None
    scale: float = 1.0
    # Booleans that mean the opposite of the metric (Zigbee2MQTT contact true = door closed).
    inverted: bool = False
    # A number here counts events since the last message (Elsys, some Zigbee PIRs: `motion: 6`):
    # any event means someone is there.
    count_is_presence: bool = False


def readings_from(
    fields: Iterable[tuple[Field, Any]],
    device: str,
    ts: datetime,
    profile: str,
    *,
    unit_override: Mapping[str, str] | None = None,
) -> Parsed:
    """Readings of every (field, raw value); a bad value is a partial rejection, not the batch's."""
    readings: list[Reading] = []
    rejections: list[Rejection] = []
    seen: set[str] = set()
    for spec, raw in fields:
        if spec.metric in seen or raw is None:
            continue  # two sensors of one device measuring the same: the first one counts
        value: Any = raw
        if isinstance(raw, bool) and spec.inverted:
            value = not raw
        elif spec.count_is_presence and isinstance(raw, int | float) and not isinstance(raw, bool):
            value = raw > 0
        elif isinstance(raw, int | float) and not isinstance(raw, bool) and spec.scale != 1.0:
            value = raw * spec.scale
        unit = (unit_override or {}).get(spec.metric, spec.unit)
        try:
            number = to_value(spec.metric, value, unit)
        except Rejection as rejection:
            rejections.append(rejection)
            continue
        seen.add(spec.metric)
        readings.append(Reading(device, "", "", spec.metric, number, ts, profile))
    return Parsed(readings, rejections=rejections)


def merged(parts: Iterable[Parsed]) -> Parsed:
    """One message's readings and partial rejections from several of its parts."""
    readings: list[Reading] = []
    rejections: list[Rejection] = []
    raw: list[RawFields] = []
    for part in parts:
        readings.extend(part.readings)
        rejections.extend(part.rejections)
        raw.extend(part.raw)
    return Parsed(readings, rejections=rejections, raw=raw)


def status(device: str, online: bool, ts: datetime, profile: str) -> Parsed:
    return Parsed(status=StatusUpdate(device, "", "", online, ts, profile))


ONLINE_WORDS = {"online": True, "offline": False, "true": True, "false": False}


def online_word(payload: bytes) -> bool:
    """`online`/`offline` (any case), `true`/`false`, or JSON `{"state": "online"}`."""
    text = decode_payload(payload)
    word = text.lower()
    if text.startswith("{"):
        body = load_json(payload)
        word = str(body.get("state", "")).lower() if isinstance(body, dict) else ""
    if word not in ONLINE_WORDS:
        raise Rejection("bad_status", text[:40])
    return ONLINE_WORDS[word]


# Field names decoders and integrations commonly use, for families without a fixed schema
# (LoRaWAN payload decoders, Zigbee2MQTT exposes).
COMMON_FIELDS: dict[str, Field] = {
    "temperature": Field("temperature"),
    "humidity": Field("humidity"),
    "co2": Field("co2"),
    "pm25": Field("pm25"),
    "pm2_5": Field("pm25"),
    "pm10": Field("pm10"),
    "voc": Field("voc"),
    "tvoc": Field("voc"),
    "illuminance_lux": Field("illuminance"),
    "illuminance": Field("illuminance"),
    "light": Field("illuminance"),
    "lux": Field("illuminance"),
    "occupancy": Field("occupancy", count_is_presence=True),
    "presence": Field("occupancy", count_is_presence=True),
    "motion": Field("occupancy", count_is_presence=True),
    "contact": Field("door", inverted=True),
    "water_leak": Field("water_leak"),
    "leak": Field("water_leak"),
    "power": Field("power"),
    "energy": Field("energy"),
    "voltage": Field("voltage"),
    "current": Field("current"),
    "battery": Field("battery"),
    "noise": Field("noise"),
}


def common_fields(body: Mapping[str, Any]) -> list[tuple[Field, Any]]:
    """The known fields of a flat JSON object, in COMMON_FIELDS order (illuminance_lux first)."""
    return [(spec, body[name]) for name, spec in COMMON_FIELDS.items() if name in body]
