"""Topics and payloads into readings; anything else is a Rejection with a counted reason.

Topics: `facility/<building>/<room>/<device>/<metric>` (bare number or JSON with `value`, `ts`,
`unit`), `facility/<building>/<room>/<device>` (JSON `{"ts", "metrics": {...}}`) and
`facility/<building>/<room>/<device>/status` (`online` / `offline`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from facility.sensors.catalogue import get_metric

TOPIC_ROOT = "facility"
MAX_PAYLOAD_BYTES = 16_384
# Device clocks drift and buffers replay; further than this from our clock means a broken clock.
MAX_FUTURE = timedelta(hours=1)
MAX_PAST = timedelta(days=366)
MIN_AHEAD = -MAX_PAST
_MICROSECOND = timedelta(microseconds=1)
MAX_FUTURE_US, MIN_AHEAD_US = MAX_FUTURE // _MICROSECOND, MIN_AHEAD // _MICROSECOND
SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
STATUS_WORDS = {"online": True, "offline": False}


class Rejection(Exception):
    """A message that cannot become a reading; `reason` is a short stable label."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


# A NamedTuple: the gateway builds one per reading, several thousand a second, and a tuple is
# built in a fraction of a frozen dataclass's time.
class Reading(NamedTuple):
    device: str
    building: str
    room: str
    metric: str
    value: float
    ts: datetime
    profile: str = "facility"


@dataclass(frozen=True)
class StatusUpdate:
    device: str
    building: str
    room: str
    online: bool
    ts: datetime
    profile: str = "facility"


class RawFields(NamedTuple):
    """Fields of a device's message that no profile reads: the device is registered with them."""

    device: str
    profile: str
    ts: datetime
    fields: dict[str, Any]


class Parsed(NamedTuple):
    """What one message said (a tuple, built once per message like Reading)."""

    readings: Sequence[Reading] = ()
    status: StatusUpdate | None = None
    # Metrics of a multi-metric message that were rejected while the rest were kept.
    rejections: Sequence[Rejection] = ()
    # Topics a device announced (Home Assistant discovery) that are to be followed from now on.
    subscribe: Sequence[str] = ()
    # Topics no announcement needs any more (a config removed or replaced): to be unsubscribed.
    unsubscribe: Sequence[str] = ()
    # Devices whose fields (some or all) no table names: registered and shown with them.
    raw: Sequence[RawFields] = ()


@lru_cache(maxsize=8192)
def _path(topic: str) -> tuple[str, ...] | None:
    # A campus has a few thousand topics, each seen thousands of times: checked once each.
    parts = topic.split("/")
    if len(parts) not in (4, 5) or parts[0] != TOPIC_ROOT:
        return None
    if not all(SEGMENT.match(part) for part in parts[1:]):
        return None
    return tuple(parts[1:])


def metric_path(topic: str) -> tuple[str, ...] | None:
    """(building, room, device, metric) of a `facility/...` metric topic; None for any other."""
    path = _path(topic)
    return path if path is not None and len(path) == 4 and path[3] != "status" else None


def _segments(topic: str) -> tuple[str, ...]:
    path = _path(topic)
    if path is None:
        raise Rejection("bad_topic", topic[:200])
    return path


def parse_ts(raw: Any, received_at: datetime) -> datetime:
    """RFC 3339 with an offset, or epoch milliseconds; absent means the receive time."""
    if raw is None:
        return received_at
    if isinstance(raw, bool):
        raise Rejection("bad_ts", repr(raw)[:80])
    try:
        if isinstance(raw, int | float):
            if not math.isfinite(raw):
                raise ValueError
            ts = EPOCH + timedelta(microseconds=round(raw * 1000))
        elif isinstance(raw, str):
            ts = datetime.fromisoformat(raw.strip())
            if ts.tzinfo is not UTC:  # `+00:00` and `Z` give UTC itself: nothing to convert
                if ts.tzinfo is None:
                    raise Rejection("bad_ts", f"no UTC offset in {raw[:60]}")
                ts = ts.astimezone(UTC)
        else:
            raise ValueError
    except (ValueError, OverflowError):
        raise Rejection("bad_ts", repr(raw)[:80]) from None
    ahead = ts - received_at
    if ahead > MAX_FUTURE or ahead < MIN_AHEAD:
        raise Rejection("ts_out_of_range", ts.isoformat())
    return ts


def to_value(metric_name: str, raw: Any, unit: Any) -> float:
    """A sent value (number, state word or boolean) in the metric's unit, range-checked."""
    metric = get_metric(metric_name)
    if metric is None:
        raise Rejection("unknown_metric", metric_name[:64])
    kind = type(raw)
    if unit is None and (kind is int or kind is float):  # most readings: a plain number (not bool)
        value = float(raw)
        if not math.isfinite(value):
            raise Rejection("bad_value", f"{metric_name}={value}")
        if not metric.low <= value <= metric.high:
            raise Rejection("out_of_range", f"{metric_name}={value:g} {metric.unit}")
        return value
    if isinstance(raw, str) and raw.strip().lower() in metric.states:
        value = metric.states[raw.strip().lower()]
    elif isinstance(raw, bool) and metric.states:
        value = 1.0 if raw else 0.0
    elif isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    else:
        raise Rejection("bad_value", f"{metric_name}={str(raw)[:60]}")
    if not math.isfinite(value):
        raise Rejection("bad_value", f"{metric_name}={value}")
    if unit is not None and not isinstance(unit, str):
        raise Rejection("unknown_unit", f"{metric_name} in {str(unit)[:30]}")
    try:
        value = metric.to_canonical(value, unit)
    except KeyError:
        raise Rejection("unknown_unit", f"{metric_name} in {str(unit)[:30]}") from None
    if not metric.in_range(value):
        raise Rejection("out_of_range", f"{metric_name}={value:g} {metric.unit}")
    return value


def decode_payload(payload: bytes) -> str:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise Rejection("too_large", f"{len(payload)} bytes")
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise Rejection("undecodable", payload[:40].hex()) from None


def _nan(_name: str) -> float:
    return math.nan


# One decoder for every message: `json.loads` with an option builds a new decoder per call.
JSON = json.JSONDecoder(parse_constant=_nan)
# The scanner raw_decode wraps, for the fast lane, whose text starts with "{" (no space to skip).
SCAN_JSON: Callable[[str, int], tuple[Any, int]] = JSON.scan_once  # type: ignore[attr-defined]


def _json(text: str) -> Any:
    """`text` is stripped (decode_payload): `raw_decode` then does what `decode` does, without
    its two whitespace regex matches per call; anything after the value is still refused."""
    try:
        body, end = JSON.raw_decode(text)
    except (ValueError, RecursionError):
        raise Rejection("bad_json", text[:80]) from None
    if end != len(text):
        raise Rejection("bad_json", text[:80])
    return body


def _single(path: tuple[str, ...], text: str, received_at: datetime) -> Parsed:
    building, room, device, metric = path
    body = _json(text) if text[:1] in '{["' or text in ("true", "false") else None
    if body is None:
        try:
            raw: Any = float(text)
        except ValueError:
            raw = text
        body = {"value": raw}
    elif not isinstance(body, dict):
        body = {"value": body}
    if "value" not in body:
        raise Rejection("bad_value", "no value")
    value = to_value(metric, body["value"], body.get("unit"))
    ts = parse_ts(body.get("ts"), received_at)
    return Parsed((Reading(device, building, room, metric, value, ts),))


def received_datetime(micros: int) -> datetime:
    """A receive time in microseconds since the epoch (as the gateway's spool keeps it), in UTC."""
    return EPOCH + timedelta(microseconds=micros)


def read_plain_single(path: tuple[str, ...], payload: bytes, received_us: int) -> Reading | None:
    """The reading of the commonest message, `{"value": <number>, "ts": ...}` on a metric topic,
    read without `parse_message`'s layers; None for anything else or anything wrong, which
    `parse_message` then reads (or rejects with its reason) as before. An RFC 3339 `ts` in UTC is
    checked against the receive time in microseconds: no datetime is made of the receive time."""
    if payload[:1] != b"{" or len(payload) > MAX_PAYLOAD_BYTES:
        return None
    try:
        text = payload.decode()
        body, end = SCAN_JSON(text, 0)
    except (ValueError, RecursionError, StopIteration):  # UnicodeDecodeError is a ValueError
        return None
    if end != len(text) or type(body) is not dict or "unit" in body:
        return None
    raw = body.get("value")
    kind = type(raw)
    if kind is not int and kind is not float:
        return None
    sent = body.get("ts")
    try:
        value = to_value(path[3], raw, None)
        if type(sent) is not str:
            ts = parse_ts(sent, received_datetime(received_us))
        else:
            ts = datetime.fromisoformat(sent.strip())
            if ts.tzinfo is not UTC:
                return None
            ahead = (ts - EPOCH) // _MICROSECOND - received_us
            if ahead > MAX_FUTURE_US or ahead < MIN_AHEAD_US:
                return None
    except (Rejection, ValueError):
        return None
    return Reading(path[2], path[0], path[1], path[3], value, ts)


def _multi(path: tuple[str, ...], text: str, received_at: datetime) -> Parsed:
    building, room, device = path
    body = _json(text)
    if not isinstance(body, dict) or not isinstance(body.get("metrics"), dict) or not body["metrics"]:
        raise Rejection("bad_json", 'expected {"metrics": {...}}')
    ts = parse_ts(body.get("ts"), received_at)
    readings: list[Reading] = []
    rejections: list[Rejection] = []
    for name, raw in body["metrics"].items():
        unit = None
        if isinstance(raw, dict):
            raw, unit = raw.get("value"), raw.get("unit")  # type: ignore[union-attr]
        try:
            value = to_value(str(name), raw, unit)
        except Rejection as rejection:
            rejections.append(rejection)
            continue
        readings.append(Reading(device, building, room, str(name), value, ts))
    if not readings:
        raise rejections[0]
    return Parsed(readings, rejections=rejections)


def _status(path: tuple[str, ...], text: str, received_at: datetime) -> Parsed:
    building, room, device, _ = path
    word = text.lower()
    if text[:1] == "{":
        body = _json(text)
        word = str(body.get("status", "")).lower() if isinstance(body, dict) else ""
    if word not in STATUS_WORDS:
        raise Rejection("bad_status", text[:40])
    return Parsed(status=StatusUpdate(device, building, room, STATUS_WORDS[word], received_at))


def parse_message(topic: str, payload: bytes, received_at: datetime) -> Parsed:
    """Readings or a status from one MQTT message; raises Rejection, never anything else."""
    path = _segments(topic)
    text = decode_payload(payload)
    if not text:
        raise Rejection("empty_payload")
    if len(path) == 3:
        return _multi(path, text, received_at)
    if path[3] == "status":
        return _status(path, text, received_at)
    return _single(path, text, received_at)
