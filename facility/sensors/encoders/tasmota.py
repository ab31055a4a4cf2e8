"""Tasmota: `cmnd/<topic>/POWER<n>` ON/OFF and `cmnd/<topic>/Dimmer` 0-100; answers on
`stat/<topic>/POWER<n>`, `stat/<topic>/RESULT` and the periodic `tele/<topic>/STATE`.

Documented at https://tasmota.github.io/docs/Commands/ (`Power1` and `Power` both name the first
relay) and https://tasmota.github.io/docs/MQTT/ (the cmnd/stat/tele prefixes).
"""

from __future__ import annotations

from facility.sensors.channels import index_of, kind_of
from facility.sensors.encoders.base import Heard, Outbound, Report, Target, json_body, number_text, on_off, own_id

# Tasmota has at most this many relays (POWER1..POWER32 since 9.x; 8 on most boards).
MAX_RELAYS = 32


def _power_channels(key: str) -> list[str]:
    """`POWER` and `POWER1` are the first relay: both channel names hear it."""
    suffix = key[len("POWER") :]
    if suffix in ("", "1"):
        return ["relay", "relay:1"]
    return [f"relay:{suffix}"] if suffix.isdigit() and int(suffix) <= MAX_RELAYS else []


class TasmotaEncoder:
    name = "tasmota"
    subscriptions = ("stat/+/+", "tele/+/STATE")

    def command(self, target: Target, channel: str, value: str) -> Outbound | None:
        topic = own_id(target.code)
        if kind_of(channel).name == "dimmer":
            return Outbound(f"cmnd/{topic}/Dimmer", value.encode())
        return Outbound(f"cmnd/{topic}/POWER{index_of(channel) or ''}", value.upper().encode())

    def heard(self, topic: str, levels: list[str], payload: bytes, watched: frozenset[str]) -> Heard | None:
        if len(levels) != 3 or not (levels[0] == "stat" or (levels[0] == "tele" and levels[2] == "STATE")):
            return None
        device = f"{self.name}:{levels[1]}"
        if device not in watched:
            return Heard([], exclusive=True)
        if levels[2].startswith("POWER"):
            word = on_off(payload.decode("utf-8", "replace"))
            return Heard([Report(device, c, word) for c in _power_channels(levels[2])] if word else [], True)
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
