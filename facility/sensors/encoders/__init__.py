"""Encoders: per ecosystem, how a device is told a desired value and how its answer is heard.

`Encoders` routes both ways: a command by the device's profile, a message by asking each encoder
whether the topic is its ecosystem's (cheap checks on the topic first; a payload is decoded only
for devices with actuator channels, the `watched` set the gateway refreshes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from facility.core.errors import FacilityError
from facility.sensors.channels import canonical
from facility.sensors.encoders.base import Encoder, Heard, Outbound, Report, Target
from facility.sensors.encoders.facility import FacilityEncoder
from facility.sensors.encoders.homeassistant import HomeAssistantEncoder
from facility.sensors.encoders.shelly import ShellyEncoder
from facility.sensors.encoders.tasmota import TasmotaEncoder
from facility.sensors.encoders.zigbee2mqtt import BASE_TOPIC, Zigbee2MqttEncoder
from facility.sensors.profiles.tasmota import TasmotaProfile
from facility.sensors.profiles.zigbee2mqtt import Zigbee2MqttProfile

__all__ = ["Encoders", "Heard", "Outbound", "Report", "Target"]


# Topics remembered as heard by no encoder: a campus has a few thousand, each seen all day.
DEAF_CACHE_MAX = 100_000


class Encoders:
    def __init__(self, encoders: Sequence[Encoder]) -> None:
        # Shelly's check (any `<x>/status/...`) is the loosest: it is asked last.
        self.encoders = list(encoders)
        self.by_profile = {encoder.name: encoder for encoder in encoders}
        self.watched: frozenset[str] = frozenset()
        # Topics no encoder hears (every reading's, mostly): whether an encoder answers None
        # depends on the topic alone, except Home Assistant's, which learns state topics from
        # discovery configs (heard here too): the set is emptied whenever that encoder answers.
        # Ingest looks here before calling `heard`.
        self.deaf: set[str] = set()
        self._learning = self.by_profile.get("homeassistant")

    @classmethod
    def default(cls, profiles: Iterable[object] = ()) -> Encoders:
        """Every ecosystem's encoder, on the base topics and FullTopics the reading profiles were
        configured with (the defaults without them)."""
        bases = next((p.bases for p in profiles if isinstance(p, Zigbee2MqttProfile)), [(BASE_TOPIC,)])
        patterns = next((p.patterns for p in profiles if isinstance(p, TasmotaProfile)), [])
        return cls(
            [
                FacilityEncoder(),
                TasmotaEncoder(patterns),
                Zigbee2MqttEncoder(bases),
                HomeAssistantEncoder(),
                ShellyEncoder(),
            ]
        )

    def watch(self, codes: Iterable[str]) -> None:
        """The devices with actuator channels; a channel device `<id>#N` is heard through `<id>`."""
        watched = set(codes)
        watched |= {code.partition("#")[0] for code in watched if "#" in code}
        self.watched = frozenset(watched)

    def subscriptions(self) -> list[str]:
        """Answer topics the reading profiles do not follow, and topics devices announced."""
        topics = [topic for encoder in self.encoders for topic in encoder.subscriptions]
        ha = self.by_profile.get("homeassistant")
        if isinstance(ha, HomeAssistantEncoder):
            topics += ha.followed()
        return topics

    def can_tell(self, profile: str) -> bool:
        return profile in self.by_profile

    def command(self, profile: str, target: Target, channel: str, value: str) -> Outbound | None:
        """The message telling the device; None while it cannot be told yet."""
        return self.by_profile[profile].command(target, channel, value)

    def heard(self, topic: str, payload: bytes) -> Heard | None:
        """Reported channel values in one message (canonical); None when no ecosystem's answer."""
        if topic in self.deaf:
            return None
        levels = topic.split("/")
        watched = self.watched
        for encoder in self.encoders:
            heard = encoder.heard(topic, levels, payload, watched)
            if heard is not None:
                if encoder is self._learning:
                    self.deaf.clear()
                return heard._replace(reports=_canonical(heard.reports)) if heard.reports else heard
        if len(self.deaf) < DEAF_CACHE_MAX:
            self.deaf.add(topic)
        return None


def _canonical(reports: list[Report]) -> list[Report]:
    kept = []
    for report in reports:
        try:
            kept.append(report._replace(value=canonical(report.channel, report.value)))
        except FacilityError:
            continue  # a value outside what we would ask for: not a confirmation of anything
    return kept
