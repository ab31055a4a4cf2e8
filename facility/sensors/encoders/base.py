"""What every ecosystem's encoder shares: how a device is told a value, and how its answer is heard.

An encoder turns a desired value (canonical text, facility/sensors/channels.py) into the topic and
payload its ecosystem documents, and reads the device's reported state back into channel values.
Reports only ever update channels that already have a row, so the aliases an ecosystem uses for
one relay (Tasmota `POWER` and `POWER1`) may both be reported without inventing channels.
"""

from __future__ import annotations

import json
from typing import NamedTuple, Protocol

from facility.sensors.parsing import JSON, decode_payload


class Target(NamedTuple):
    """The device a command goes to: its code and where it says it is (its topic's parts)."""

    code: str
    building: str = ""
    room: str = ""


class Outbound(NamedTuple):
    topic: str
    payload: bytes


class Report(NamedTuple):
    device: str  # Device.code
    channel: str
    value: str  # canonical text


class Heard(NamedTuple):
    reports: list[Report]
    # The topic is only a command answer (no reading profile reads it): skip the reading profiles.
    exclusive: bool = False
    # Answer topics the device announced (Home Assistant discovery): subscribe to them.
    follow: tuple[str, ...] = ()


NOTHING = Heard([])


class Encoder(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """Answer topics no reading profile subscribes to already."""
        ...

    def command(self, target: Target, channel: str, value: str) -> Outbound | None:
        """The message telling the device; None while it cannot be told yet (no config seen)."""
        ...

    def heard(self, topic: str, levels: list[str], payload: bytes, watched: frozenset[str]) -> Heard | None:
        """The channel values a message reports for `watched` devices; None: not this ecosystem's."""
        ...


def own_id(code: str) -> str:
    """The device's own id in `<profile>:<own id>`."""
    return code.partition(":")[2] or code


def on_off(word: object) -> str | None:
    text = str(word).strip().upper()
    return {"ON": "on", "OFF": "off", "TRUE": "on", "FALSE": "off", "1": "on", "0": "off"}.get(text)


def number_text(raw: object, scale: float = 1.0) -> str | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        return f"{round(float(raw) * scale, 1):g}"
    except ValueError:
        return None


def json_body(payload: bytes) -> object:
    try:
        return JSON.decode(decode_payload(payload))
    except (ValueError, RecursionError):
        return None


def dumps(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
