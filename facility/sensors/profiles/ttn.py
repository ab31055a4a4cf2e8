"""The Things Stack v3: `v3/<app>[@<tenant>]/devices/<device id>/up` with
`uplink_message.decoded_payload` and `received_at`. The device is its device id.

The payload formatter's field names are read through the LoRaWAN alias table
(profiles/lorawan.py); the vendor is the uplink's `version_ids.brand_id` when the device was
registered from the Device Repository."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from facility.sensors.parsing import Parsed, Rejection
from facility.sensors.profiles.base import Field, Subscription, device_code, iso_time, json_object
from facility.sensors.profiles.lorawan import decoded_readings, vendor_of


class TtnProfile:
    name = "ttn"
    subscriptions = (Subscription("v3/+/devices/+/up"),)

    def __init__(self, fields: Mapping[str, Field] | None = None) -> None:
        self.fields = dict(fields or {})

    def parse(self, topic: str, levels: list[str], payload: bytes, received_at: datetime) -> Parsed:
        body = json_object(payload)
        uplink = body.get("uplink_message")
        uplink = uplink if isinstance(uplink, dict) else {}
        decoded = uplink.get("decoded_payload")
        if not isinstance(decoded, dict):
            raise Rejection("no_decoded_payload", "no payload formatter output (decoded_payload) in the uplink")
        ts = iso_time(body.get("received_at"), received_at)
        version = uplink.get("version_ids")
        vendor = vendor_of(version.get("brand_id")) if isinstance(version, dict) else ""
        device = device_code(self.name, levels[3])
        return decoded_readings(decoded, device, ts, self.name, vendor=vendor, extra=self.fields)
