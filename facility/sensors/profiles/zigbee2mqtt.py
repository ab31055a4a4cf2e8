"""Zigbee2MQTT: `zigbee2mqtt/<friendly name>` JSON state, `.../availability`, `bridge/state`.

A friendly name may itself contain `/`. Field names follow Zigbee2MQTT's exposes (temperature,
humidity, co2, pm25, voc, illuminance, occupancy, contact, water_leak, power, energy, ...);
fields we do not measure (linkquality, state, ...) are passed over, not dead-lettered.
"""

from __future__ import annotations

from datetime import datetime

from facility.sensors.parsing import Parsed, parse_ts
from facility.sensors.profiles.base import (
    Subscription,
    common_fields,
    device_code,
    json_object,
    online_word,
    readings_from,
    status,
)

BASE_TOPIC = "zigbee2mqtt"
# Requests to devices and answers that are not states.
NOT_STATES = frozenset({"set", "get"})


class Zigbee2MqttProfile:
    name = "zigbee2mqtt"
    subscriptions = (Subscription(f"{BASE_TOPIC}/#"),)

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        rest = levels[1:]
        if not rest or not rest[0]:
            return Parsed()
        if rest[0] == "bridge":
            # The bridge's own state says whether any of its devices can be heard at all.
            if rest[1:] == ["state"]:
                return status(device_code(self.name, "bridge"), online_word(payload), received_at, self.name)
            return Parsed()
        if rest[-1] == "availability":
            friendly = "/".join(rest[:-1])
            return status(device_code(self.name, friendly), online_word(payload), received_at, self.name)
        if rest[-1] in NOT_STATES:
            return Parsed()
        body = json_object(payload)
        ts = parse_ts(body["last_seen"], received_at) if isinstance(body.get("last_seen"), str) else received_at
        return readings_from(common_fields(body), device_code(self.name, "/".join(rest)), ts, self.name)
