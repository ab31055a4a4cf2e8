"""Our own scheme: `facility/<building>/<room>/<device>/set/<channel>` carries the canonical value
(`on`, `42`, `21.5`, `heat`); the device answers on `.../state/<channel>` with its value."""

from __future__ import annotations

from facility.sensors.channels import KINDS
from facility.sensors.encoders.base import Heard, Outbound, Report, Target

STATE = "state"


class FacilityEncoder:
    name = "facility"
    subscriptions: tuple[str, ...] = ()  # the reading profile follows `facility/#`

    def command(self, target: Target, channel: str, value: str) -> Outbound | None:
        return Outbound(f"facility/{target.building}/{target.room}/{target.code}/set/{channel}", value.encode())

    def heard(self, topic: str, levels: list[str], payload: bytes, watched: frozenset[str]) -> Heard | None:
        if levels[0] != "facility" or len(levels) != 6 or levels[4] not in (STATE, "set"):
            return None
        if levels[4] == "set" or levels[3] not in watched or levels[5].partition(":")[0] not in KINDS:
            return Heard([], exclusive=True)  # our own command, or nobody's channel
        value = payload.decode("utf-8", "replace").strip().lower()
        return Heard([Report(levels[3], levels[5], value)] if value else [], exclusive=True)
