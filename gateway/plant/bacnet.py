"""BACnet/IP through bacpypes3: the gateway's own local device, reads of each point's property and
WriteProperty at the point's priority (a None value relinquishes: Null at that priority)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any

from bacpypes3.apdu import ErrorRejectAbortNack
from bacpypes3.app import Application
from bacpypes3.basetypes import BinaryPV
from bacpypes3.local.device import DeviceObject
from bacpypes3.local.networkport import NetworkPortObject
from bacpypes3.primitivedata import Boolean, Enumerated, Null

from facility.sensors.profiles.plant import PlantDevice, PlantPoint
from gateway.plant.base import PlantUnreachable, PlantWriteRefused, ReadResult

# ASHRAE's identifier for "no vendor registered"; the gateway is a client, not a product.
VENDOR_ID = 999


def local_application(address: str, instance: int, name: str = "facility-gateway") -> Application:
    """The gateway's own BACnet device on `address` (`host` for the primary interface, or
    `192.168.10.5/24:47808`); call inside the running event loop."""
    device = DeviceObject(objectIdentifier=("device", instance), objectName=name, vendorIdentifier=VENDOR_ID)
    port = NetworkPortObject(address or "host", objectIdentifier=("network-port", 1), objectName="NetworkPort-1")
    return Application.from_object_list([device, port])


def plain_value(value: Any) -> Any:
    """A decoded BACnet value as JSON: binary states as booleans, numbers as numbers."""
    if isinstance(value, BinaryPV):
        return int(value) == 1
    if isinstance(value, Boolean):
        return bool(value)
    if isinstance(value, Null):
        return None
    if isinstance(value, Enumerated):
        return int(value)
    if isinstance(value, int | float):
        number = float(value) if isinstance(value, float) else int(value)
        return number if math.isfinite(number) else str(number)
    return str(value)[:80]


def written_value(point: PlantPoint, value: float | bool | None) -> Any:
    """What WriteProperty sends: Null to relinquish, a state for binary objects, else value / scale."""
    if value is None:
        return Null(())
    if point.object_id.startswith("binary"):
        return "active" if value else "inactive"
    if point.object_id.startswith("multi-state"):
        return int(value)
    return float(value) / point.scale


class BacnetLink:
    """One BACnet device reached through the gateway's application; requests bounded by its timeout."""

    protocol = "bacnet"

    def __init__(self, device: PlantDevice, application: Application) -> None:
        self.device = device
        self.application = application
        self.address = f"{device.host}:{device.port}"

    async def _request(self, call: Any) -> Any:
        try:
            return await asyncio.wait_for(call, self.device.timeout_s)
        except (TimeoutError, OSError) as error:
            raise PlantUnreachable(f"{self.address}: no answer ({error!r})"[:200]) from error

    async def read(self, points: Sequence[PlantPoint]) -> ReadResult:
        result = ReadResult()
        for point in points:
            try:
                value = await self._request(
                    self.application.read_property(self.address, point.object_id, point.property_id)
                )
            except ErrorRejectAbortNack as error:  # the device answered: this point is at fault
                result.errors[point.name] = f"{point.object_id} {point.property_id}: {error}"[:200]
                continue
            result.values[point.name] = plain_value(value)
        return result

    async def write(self, point: PlantPoint, value: float | bool | None) -> None:
        """WriteProperty at the point's priority; None relinquishes that priority."""
        try:
            await self._request(
                self.application.write_property(
                    self.address,
                    point.object_id,
                    point.property_id,
                    written_value(point, value),
                    priority=point.priority,
                )
            )
        except ErrorRejectAbortNack as error:
            raise PlantWriteRefused(f"{point.object_id}: {error}"[:200]) from None

    async def close(self) -> None:
        """The application is the poller's, shared by every BACnet device: closed there."""
