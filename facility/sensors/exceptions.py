"""Errors of the sensors domain."""

from __future__ import annotations

from facility.core.errors import FacilityError, InvalidInput, NotFound


class DeviceNotFound(NotFound):
    code = "device_not_found"

    def __init__(self, device_id: object) -> None:
        super().__init__(f"Device {device_id} does not exist.")


class UnknownMetric(InvalidInput):
    code = "unknown_metric"

    def __init__(self, metric: str) -> None:
        super().__init__(f"Unknown metric {metric!r}.")


class ReadingStoreDown(FacilityError):
    status_code = 503
    code = "reading_store_unavailable"

    def __init__(self) -> None:
        super().__init__("The reading store is not reachable right now; try again shortly.")
