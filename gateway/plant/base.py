"""What the Modbus and BACnet links share: the shape of a read, and the two ways one fails."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from facility.sensors.profiles.plant import PlantDevice, PlantPoint


class PlantUnreachable(Exception):
    """The device did not answer (refused, timed out, connection lost): the whole poll failed."""


class PlantWriteRefused(Exception):
    """The device answered a write with an error, or the value cannot be written to the point."""


@dataclass
class ReadResult:
    # Raw values before scale: numbers, booleans, or "nan"/"inf" text for non-finite floats.
    values: dict[str, Any] = field(default_factory=dict)
    # Points the device answered with an error (Modbus exception, BACnet error): dead letters.
    errors: dict[str, str] = field(default_factory=dict)


class PlantLink(Protocol):
    protocol: str
    device: PlantDevice

    async def read(self, points: Sequence[PlantPoint]) -> ReadResult: ...

    async def write(self, point: PlantPoint, value: float | bool | None) -> None: ...

    async def close(self) -> None: ...
