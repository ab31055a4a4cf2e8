"""ChirpStack v4: `application/<id>/device/<devEUI>/event/up` with the codec's decoded `object`
and `time`, and `.../event/status` with `batteryLevel`. The device is its DevEUI.

The codec's field names are read through the LoRaWAN alias table (profiles/lorawan.py); the
vendor is guessed from the device profile's name (`Dragino LHT65`, `Browan TBHV110`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from facility.sensors.parsing import Parsed, Rejection
from facility.sensors.profiles.base import (
    Field,
    Subscription,
    device_code,
    iso_time,
    json_object,
    readings_from,
)
from facility.sensors.profiles.lorawan import decoded_readings, vendor_of


class ChirpStackProfile:
    name = "chirpstack"
    subscriptions = (
        Subscription("application/+/device/+/event/up"),
        Subscription("application/+/device/+/event/status"),
    )

    def __init__(self, fields: Mapping[str, Field] | None = None) -> None:
        self.fields = dict(fields or {})

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        body = json_object(payload)
        info = body.get("deviceInfo")
        info = info if isinstance(info, dict) else {}
        dev_eui = info.get("devEui")
        device = device_code(self.name, str(dev_eui or levels[3]).lower())
        ts = iso_time(body.get("time"), received_at)
        if levels[5] == "status":
            return readings_from([(Field("battery"), body.get("batteryLevel"))], device, ts, self.name)
        decoded = body.get("object")
        if not isinstance(decoded, dict):
            raise Rejection("no_decoded_payload", "no codec output (object) in the uplink")
        vendor = vendor_of(info.get("deviceProfileName"), (info.get("tags") or {}).get("vendor"))
        return decoded_readings(decoded, device, ts, self.name, vendor=vendor, extra=self.fields)
