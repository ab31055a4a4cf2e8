"""Shelly Gen2+: a JSON-RPC `Switch.Set` frame on `<prefix>/rpc`; `switch:N.output` confirms.

Documented at https://shelly-api-docs.shelly.cloud/gen2/General/RPCChannels (the MQTT channel:
requests on `<topic_prefix>/rpc`, answers on `<src>/rpc`) and
https://shelly-api-docs.shelly.cloud/gen2/ComponentsAndServices/Switch (`Switch.Set {id, on}`,
status `output`). The state arrives as `<prefix>/status/switch:N` or inside NotifyStatus on
`<prefix>/events/rpc`. A channel `relay:N` is `switch:N`; a device `<prefix>#N` (how readings
name a second channel) is `switch:N` too.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from facility.sensors.channels import index_of
from facility.sensors.encoders.base import Heard, Outbound, Report, Target, dumps, json_body, own_id

# Where a Shelly sends its answers (`<src>/rpc`); nobody needs them, the status confirms.
SOURCE = "facility-gateway"


class ShellyEncoder:
    name = "shelly"
    subscriptions: tuple[str, ...] = ()  # the reading profile follows status and events already

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def command(self, target: Target, channel: str, value: str) -> Outbound | None:
        prefix, _sep, component = own_id(target.code).partition("#")
        switch = index_of(channel)
        if switch is None:
            switch = int(component) if component.isdigit() else 0
        frame = {
            "id": next(self._ids),
            "src": SOURCE,
            "method": "Switch.Set",
            "params": {"id": switch, "on": value == "on"},
        }
        return Outbound(f"{prefix}/rpc", dumps(frame))

    def heard(self, topic: str, levels: list[str], payload: bytes, watched: frozenset[str]) -> Heard | None:
        if len(levels) < 2 or levels[1] not in ("status", "events"):
            return None
        prefix = levels[0]
        if f"{self.name}:{prefix}" not in watched:  # (`<prefix>#N` devices are watched as `<prefix>`)
            return Heard([])
        body = json_body(payload)
        if not isinstance(body, Mapping):
            return Heard([])
        if levels[1] == "status" and len(levels) == 3:
            return Heard(_switch_reports(self.name, prefix, levels[2], body))
        params = body.get("params")
        if body.get("method") not in ("NotifyStatus", "NotifyFullStatus") or not isinstance(params, Mapping):
            return Heard([])
        reports: list[Report] = []
        for key, component in params.items():
            if isinstance(component, Mapping):
                reports += _switch_reports(self.name, prefix, key, component)
        return Heard(reports)


def _switch_reports(profile: str, prefix: str, key: str, body: Mapping[str, object]) -> list[Report]:
    kind, _sep, index = key.partition(":")
    output = body.get("output")
    if kind != "switch" or not isinstance(output, bool) or not index.isdigit():
        return []
    word = "on" if output else "off"
    reports = [Report(f"{profile}:{prefix}", f"relay:{index}", word)]
    if index == "0":
        reports.append(Report(f"{profile}:{prefix}", "relay", word))
    else:
        reports.append(Report(f"{profile}:{prefix}#{index}", "relay", word))
    return reports
