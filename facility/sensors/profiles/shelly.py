"""Shelly Gen2+: `<prefix>/events/rpc` (NotifyStatus, NotifyFullStatus), `<prefix>/status/<component:id>`
and `<prefix>/online` (true/false). The prefix defaults to the device id (`shellyplusht-<mac>`).

Components read: `temperature:N.tC`, `humidity:N.rh`, `switch:N`/`pm1:N` `apower`, `voltage`,
`current`, `aenergy.total` (Wh), `devicepower:N.battery.percent` and `.V`, `illuminance:N.lux`,
`switch:N.temperature.tC` (the relay's own, as `chip_temperature`), the energy
meters `em1:N` (`act_power`, `voltage`, `current`) and `em1data:N.total_act_energy` (Wh), and the
three-phase `em:N` / `emdata:N`. A component with id above 0 is its own device (`<prefix>#<id>`), so
two channels do not overwrite each other; a phase of a three-phase meter is its own device too
(`<prefix>#a`, `<prefix>#1a` for meter 1) and the meter's totals are the component's device.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from facility.sensors.parsing import Parsed, Rejection
from facility.sensors.profiles.base import (
    Field,
    Subscription,
    device_code,
    epoch_seconds,
    json_object,
    merged,
    online_word,
    readings_from,
    status,
)

COMPONENTS: dict[str, tuple[tuple[tuple[str, ...], Field], ...]] = {
    "temperature": ((("tC",), Field("temperature")),),
    "humidity": ((("rh",), Field("humidity")),),
    "illuminance": ((("lux",), Field("illuminance")),),
    "devicepower": ((("battery", "percent"), Field("battery")), (("battery", "V"), Field("battery_voltage"))),
    "pm1": (
        (("apower",), Field("power")),
        (("voltage",), Field("voltage")),
        (("current",), Field("current")),
        (("aenergy", "total"), Field("energy", unit="Wh")),
    ),
}
# A relay's `temperature` is its own chip's, not the room's.
COMPONENTS["switch"] = (*COMPONENTS["pm1"], (("temperature", "tC"), Field("chip_temperature")))
COMPONENTS["em1"] = (
    (("act_power",), Field("power")),
    (("voltage",), Field("voltage")),
    (("current",), Field("current")),
)
COMPONENTS["em1data"] = ((("total_act_energy",), Field("energy", unit="Wh")),)
# Three-phase meters: the whole meter's fields, and each phase's fields behind `a_`, `b_`, `c_`.
COMPONENTS["em"] = ((("total_act_power",), Field("power")),)
COMPONENTS["emdata"] = ((("total_act",), Field("energy", unit="Wh")),)
PHASE_FIELDS: dict[str, tuple[tuple[str, Field], ...]] = {
    "em": (("act_power", Field("power")), ("voltage", Field("voltage")), ("current", Field("current"))),
    "emdata": (("total_act_energy", Field("energy", unit="Wh")),),
}
PHASES = ("a", "b", "c")
STATUS_METHODS = frozenset({"NotifyStatus", "NotifyFullStatus"})


def _dig(body: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = body
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


class ShellyProfile:
    name = "shelly"
    subscriptions = (Subscription("+/events/rpc"), Subscription("+/status/+"), Subscription("+/online"))

    def _component(self, prefix: str, key: str, body: Any, ts: datetime) -> Parsed:
        kind, _, index = key.partition(":")
        fields = COMPONENTS.get(kind)
        if fields is None or not isinstance(body, Mapping):
            return Parsed()
        channel = "" if index in ("", "0") else index
        own_id = f"{prefix}#{channel}" if channel else prefix
        found = [(spec, _dig(body, path)) for path, spec in fields]
        meter = readings_from(found, device_code(self.name, own_id), ts, self.name)
        phased = PHASE_FIELDS.get(kind)
        if phased is None:
            return meter
        phases = [
            readings_from(
                [(spec, body.get(f"{phase}_{name}")) for name, spec in phased],
                device_code(self.name, f"{prefix}#{channel}{phase}"),
                ts,
                self.name,
            )
            for phase in PHASES
        ]
        return merged([meter, *phases])

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        prefix = levels[0]
        if levels[1] == "online":
            return status(device_code(self.name, prefix), online_word(payload), received_at, self.name)
        body = json_object(payload)
        if levels[1] == "status":
            return self._component(prefix, levels[2], body, received_at)
        if body.get("method") not in STATUS_METHODS:
            return Parsed()  # NotifyEvent and friends: button presses, not measurements
        params = body.get("params")
        if not isinstance(params, Mapping):
            raise Rejection("bad_json", "NotifyStatus without params")
        ts = epoch_seconds(params.get("ts"), received_at)
        parts = [self._component(prefix, key, component, ts) for key, component in params.items()]
        return merged(parts)
