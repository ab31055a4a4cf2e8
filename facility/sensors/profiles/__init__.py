"""Device profiles: each turns one device family's topics and payloads into readings.

`ProfileSet` routes a message to the profile whose topic filter matches it. Filters are split
into levels once; a message costs one `split` and a few tuple comparisons, looked up first by
exact topic (topics a device announced), then by first level, then among filters starting `+`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple

from facility.sensors.parsing import RawFields, Reading, Rejection, StatusUpdate, metric_path
from facility.sensors.profiles.base import (
    Profile,
    ProfileConfigError,
    Subscription,
    TopicFilter,
    compile_filter,
    matches,
)
from facility.sensors.profiles.chirpstack import ChirpStackProfile
from facility.sensors.profiles.facility import FacilityProfile
from facility.sensors.profiles.homeassistant import MAX_DISCOVERED_DEVICES, HomeAssistantProfile
from facility.sensors.profiles.mapping import MappingFile, MappingProfile, load_mapping_file
from facility.sensors.profiles.plant import load_plant, plant_profiles
from facility.sensors.profiles.shelly import ShellyProfile
from facility.sensors.profiles.tasmota import TasmotaProfile
from facility.sensors.profiles.ttn import TtnProfile
from facility.sensors.profiles.zigbee2mqtt import Zigbee2MqttProfile

__all__ = ["BUILT_IN", "Outcome", "ProfileConfigError", "ProfileSet", "Subscription", "build_profiles"]

BUILT_IN = ("facility", "zigbee2mqtt", "tasmota", "shelly", "homeassistant", "chirpstack", "ttn")
# ESPHome announces itself through Home Assistant discovery: the same profile.
ALIASES = {"esphome": "homeassistant"}


class Outcome(NamedTuple):
    """What one message said and which profile read it (a tuple: one per message)."""

    profile: str
    readings: Sequence[Reading] = ()
    status: StatusUpdate | None = None
    rejections: Sequence[Rejection] = ()
    raw: Sequence[RawFields] = ()


class UnknownProfile(ProfileConfigError):
    """FACILITY_DEVICE_PROFILES names a profile that does not exist."""


def build_profiles(
    names: Sequence[str],
    mapping_file: str | None = None,
    *,
    discovery_prefixes: Sequence[str] = (),
    discovery_max_devices: int = MAX_DISCOVERED_DEVICES,
    zigbee2mqtt_base_topics: Sequence[str] = (),
    tasmota_full_topics: Sequence[str] = (),
) -> list[Profile]:
    """The profiles named (built-in names, `esphome`, `all`), plus the mapping file's if set;
    discovery follows only topics under `discovery_prefixes` (any concrete topic if empty).
    Base topics and FullTopic patterns are the settings' and the mapping file's together."""
    wanted = {ALIASES.get(n.strip().lower(), n.strip().lower()) for n in names if n.strip()} or {"all"}
    unknown = wanted - set(BUILT_IN) - {"all"}
    if unknown:
        raise UnknownProfile(
            f"FACILITY_DEVICE_PROFILES: unknown device profiles {', '.join(sorted(unknown))}; "
            f"known: {', '.join(BUILT_IN)}"
        )
    chosen = BUILT_IN if "all" in wanted else tuple(n for n in BUILT_IN if n in wanted)
    extra = load_mapping_file(mapping_file) if mapping_file else MappingFile([], [], [], {})
    bases = [*zigbee2mqtt_base_topics, *extra.zigbee2mqtt_base_topics]
    full_topics = [*tasmota_full_topics, *extra.tasmota_full_topics]
    makers: dict[str, Callable[[], Profile]] = {
        "facility": FacilityProfile,
        "zigbee2mqtt": lambda: Zigbee2MqttProfile(bases),
        "tasmota": lambda: TasmotaProfile(full_topics),
        "shelly": ShellyProfile,
        "homeassistant": lambda: HomeAssistantProfile(discovery_prefixes, discovery_max_devices),
        "chirpstack": lambda: ChirpStackProfile(extra.lorawan_fields),
        "ttn": lambda: TtnProfile(extra.lorawan_fields),
    }
    profiles: list[Profile] = [makers[name]() for name in chosen]
    if extra.devices:
        profiles.insert(0, MappingProfile(extra.devices))
    if mapping_file:
        profiles.extend(plant_profiles(load_plant(mapping_file)))
    return profiles


OnAnnounce = Callable[[list[Subscription]], None]
# Topics whose static route is remembered: a campus has a few thousand, each seen all day.
ROUTE_CACHE_MAX = 100_000


class ProfileSet:
    def __init__(self, profiles: Sequence[Profile]) -> None:
        self.profiles = list(profiles)
        # Called with the topics a device announced, so the gateway subscribes to them at once
        # (even when the batch that announced them is retried).
        self.on_announce: OnAnnounce = lambda subscriptions: None
        # Called with announced topics no device needs any more, to unsubscribe them.
        self.on_withdraw: OnAnnounce = lambda subscriptions: None
        self._by_first: dict[str, list[tuple[TopicFilter, Profile]]] = {}
        self._wildcard: list[tuple[TopicFilter, Profile]] = []
        for profile in self.profiles:
            for subscription in profile.subscriptions:
                compiled = compile_filter(subscription.filter)
                if compiled[0] in ("+", "#"):
                    self._wildcard.append((compiled, profile))
                else:
                    self._by_first.setdefault(compiled[0], []).append((compiled, profile))
        self._announced: dict[str, Profile] = {}
        self._routes: dict[str, Profile | None] = {}
        self._own: dict[str, tuple[str, ...] | None] = {}
        self._lock = threading.Lock()

    @classmethod
    def default(cls) -> ProfileSet:
        return cls(build_profiles(["all"]))

    def subscriptions(self) -> list[Subscription]:
        with self._lock:
            announced = [Subscription(topic) for topic in self._announced]
        return [s for p in self.profiles for s in p.subscriptions if not s.local] + announced

    def _static_route(self, levels: list[str]) -> Profile | None:
        for compiled, profile in self._by_first.get(levels[0], ()):
            if matches(compiled, levels):
                return profile
        for compiled, profile in self._wildcard:
            if matches(compiled, levels):
                return profile
        return None

    def route(self, topic: str) -> tuple[Profile | None, list[str]]:
        levels = topic.split("/")
        announced = self._announced.get(topic)
        if announced is not None:
            return announced, levels
        try:
            return self._routes[topic], levels
        except KeyError:
            profile = self._static_route(levels)
            if len(self._routes) < ROUTE_CACHE_MAX:
                self._routes[topic] = profile
            return profile, levels

    def own_metric_path(self, topic: str) -> tuple[str, ...] | None:
        """The path of a metric topic of our own scheme that the facility profile reads (not a
        mapping file's device): Ingest's fast lane. None for every other topic."""
        try:
            return self._own[topic]
        except KeyError:
            profile, _ = self.route(topic)
            path = metric_path(topic) if isinstance(profile, FacilityProfile) else None
            if len(self._own) < ROUTE_CACHE_MAX:
                self._own[topic] = path
            return path

    def profile_of(self, topic: str) -> str:
        profile, _ = self.route(topic)
        return profile.name if profile else ""

    def parse(self, topic: str, payload: bytes, received_at: datetime) -> Outcome:
        """What one message says, or why it says nothing readable; never raises."""
        profile, levels = self.route(topic)
        if profile is None:
            return Outcome("", rejections=(Rejection("no_profile", topic[:200]),))
        try:
            parsed = profile.parse(topic, levels, payload, received_at)
        except Rejection as rejection:
            return Outcome(profile.name, rejections=(rejection,))
        except Exception as error:  # noqa: BLE001 - one bad message never stops the gateway
            return Outcome(profile.name, rejections=(Rejection("internal_error", repr(error)[:200]),))
        if parsed.subscribe:
            self._announce(parsed.subscribe, profile)
        if parsed.unsubscribe:
            self._withdraw(parsed.unsubscribe, profile)
        return Outcome(profile.name, parsed.readings, parsed.status, parsed.rejections, parsed.raw)

    def _announce(self, topics: Sequence[str], profile: Profile) -> None:
        new = []
        for topic in topics:
            # A topic another profile already reads (Zigbee2MQTT's own discovery) stays with it.
            if topic in self._announced or self._static_route(topic.split("/")) is not None:
                continue
            with self._lock:
                self._announced[topic] = profile
            new.append(Subscription(topic))
        if new:
            self.on_announce(new)

    def _withdraw(self, topics: Sequence[str], profile: Profile) -> None:
        with self._lock:
            gone = [t for t in topics if self._announced.get(t) is profile]
            for topic in gone:
                del self._announced[topic]
        if gone:
            self.on_withdraw([Subscription(topic) for topic in gone])
