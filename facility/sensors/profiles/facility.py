"""Our own scheme, unchanged: `facility/<building>/<room>/<device>[/<metric>|/status]`."""

from __future__ import annotations

from datetime import datetime

from facility.sensors.parsing import Parsed, parse_message
from facility.sensors.profiles.base import Subscription


class FacilityProfile:
    name = "facility"
    subscriptions = (Subscription("facility/#"),)

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        return parse_message(topic, payload, received_at)
