"""The Things Stack v3: `v3/<app>[@<tenant>]/devices/<device id>/up` with
`uplink_message.decoded_payload` and `received_at`. The device is its device id."""

from __future__ import annotations

from datetime import datetime

from facility.sensors.parsing import Parsed, Rejection
from facility.sensors.profiles.base import (
    Subscription,
    common_fields,
    device_code,
    iso_time,
    json_object,
    readings_from,
)


class TtnProfile:
    name = "ttn"
    subscriptions = (Subscription("v3/+/devices/+/up"),)

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        body = json_object(payload)
        uplink = body.get("uplink_message")
        decoded = uplink.get("decoded_payload") if isinstance(uplink, dict) else None
        if not isinstance(decoded, dict):
            raise Rejection("no_decoded_payload", "no payload formatter output (decoded_payload) in the uplink")
        ts = iso_time(body.get("received_at"), received_at)
        return readings_from(common_fields(decoded), device_code(self.name, levels[3]), ts, self.name)
