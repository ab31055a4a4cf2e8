"""Tasmota: `cmnd/<topic>/POWER<n>` ON/OFF and `cmnd/<topic>/Dimmer` 0-100; answers on
`stat/<topic>/POWER<n>`, `stat/<topic>/RESULT` and the periodic `tele/<topic>/STATE`.

Documented at https://tasmota.github.io/docs/Commands/ (`Power1` and `Power` both name the first
relay) and https://tasmota.github.io/docs/MQTT/ (the cmnd/stat/tele prefixes). A Tasmota on
another FullTopic (FACILITY_TASMOTA_FULL_TOPICS, `tasmota/%prefix%/%topic%/`) is heard on that
pattern and told on it: the pattern its answers came on, or the first configured one until one came.
"""

from __future__ import annotations

from collections.abc import Sequence

from facility.sensors.channels import index_of, kind_of
from facility.sensors.encoders.base import Heard, Outbound, Report, Target, json_body, number_text, on_off, own_id
from facility.sensors.profiles.tasmota import DEFAULT_FULL_TOPIC, FullTopic, full_topic

# Tasmota has at most this many relays (POWER1..POWER32 since 9.x; 8 on most boards).
MAX_RELAYS = 32
# Devices whose FullTopic was learnt from their answers: a campus has hundreds, bounded anyway.
MAX_LEARNT = 50_000


def _power_channels(key: str) -> list[str]:
    """`POWER` and `POWER1` are the first relay: both channel names hear it."""
    suffix = key[len("POWER") :]
    if suffix in ("", "1"):
        return ["relay", "relay:1"]
    return [f"relay:{suffix}"] if suffix.isdigit() and int(suffix) <= MAX_RELAYS else []


def _with_prefix(pattern: FullTopic, prefix: str, own: str = "+") -> str:
    """The pattern's topic with %prefix% filled (and its own levels, `+` for a filter)."""
    levels = list(pattern.levels)
    levels[pattern.prefix] = prefix
    return "/".join(own if i != pattern.prefix and level == "+" else level for i, level in enumerate(levels))


def _answer_of(pattern: FullTopic, levels: list[str]) -> bool:
    """`stat/<topic>/<anything>` or `tele/<topic>/STATE` on the pattern."""
    if len(levels) != len(pattern.levels) + 1:
        return False
    prefix = levels[pattern.prefix]
    if prefix != "stat" and not (prefix == "tele" and levels[-1] == "STATE"):
        return False
    return all(
        i == pattern.prefix or part == "+" or part == level
        for i, (part, level) in enumerate(zip(pattern.levels, levels, strict=False))
    )


class TasmotaEncoder:
    name = "tasmota"

    def __init__(self, patterns: Sequence[FullTopic] = ()) -> None:
        self.patterns = list(patterns) or [full_topic(DEFAULT_FULL_TOPIC)]
        self.subscriptions = tuple(
            dict.fromkeys(
                topic
                for pattern in self.patterns
                for topic in (_with_prefix(pattern, "stat") + "/+", _with_prefix(pattern, "tele") + "/STATE")
            )
        )
        self._learnt: dict[str, FullTopic] = {}

    def command(self, target: Target, channel: str, value: str) -> Outbound | None:
        own = own_id(target.code)
        topic = _with_prefix(self._learnt.get(own, self.patterns[0]), "cmnd", own)
        if kind_of(channel).name == "dimmer":
            return Outbound(f"{topic}/Dimmer", value.encode())
        return Outbound(f"{topic}/POWER{index_of(channel) or ''}", value.upper().encode())

    def heard(self, topic: str, levels: list[str], payload: bytes, watched: frozenset[str]) -> Heard | None:
        pattern = next((p for p in self.patterns if _answer_of(p, levels)), None)
        if pattern is None:
            return None
        own = levels[pattern.own]
        device = f"{self.name}:{own}"
        if device not in watched:
            return Heard([], exclusive=True)
        if own in self._learnt or len(self._learnt) < MAX_LEARNT:
            self._learnt[own] = pattern
        if levels[-1].startswith("POWER"):
            word = on_off(payload.decode("utf-8", "replace"))
            return Heard([Report(device, c, word) for c in _power_channels(levels[-1])] if word else [], True)
        body = json_body(payload)
        if not isinstance(body, dict):
            return Heard([], exclusive=True)
        reports = []
        for key, raw in body.items():
            if key.startswith("POWER") and (word := on_off(raw)):
                reports += [Report(device, c, word) for c in _power_channels(key)]
            elif key == "Dimmer" and (text := number_text(raw)) is not None:
                reports.append(Report(device, "dimmer", text))
        return Heard(reports, exclusive=True)
