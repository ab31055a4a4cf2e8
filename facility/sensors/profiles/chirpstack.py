"""ChirpStack v4: `application/<id>/device/<devEUI>/event/up` with the codec's decoded `object`
and `time`, and `.../event/status` with `batteryLevel`. The device is its DevEUI."""

from __future__ import annotations

from datetime import datetime

from facility.sensors.parsing import Parsed, Rejection
from facility.sensors.profiles.base import (
    Field,
    Subscription,
    common_fields,
    device_code,
    iso_time,
    json_object,
    readings_from,
)


class ChirpStackProfile:
    name = "chirpstack"
    subscriptions = (
        Subscription("application/+/device/+/event/up"),
        Subscription("application/+/device/+/event/status"),
    )

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        body = json_object(payload)
        info = body.get("deviceInfo")
        dev_eui = info.get("devEui") if isinstance(info, dict) else None
        device = device_code(self.name, str(dev_eui or levels[3]).lower())
        ts = iso_time(body.get("time"), received_at)
        if levels[5] == "status":
            return readings_from([(Field("battery"), body.get("batteryLevel"))], device, ts, self.name)
        decoded = body.get("object")
        if not isinstance(decoded, dict):
            raise Rejection("no_decoded_payload", "no codec output (object) in the uplink")
        return readings_from(common_fields(decoded), device, ts, self.name)
