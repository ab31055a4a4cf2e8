"""One Modbus TCP device: reads of its points (raw, decoded by data type) and writes with scale."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from typing import Any, Literal

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.constants import ExcCodes
from pymodbus.exceptions import ModbusException

from facility.sensors.profiles.plant import PlantDevice, PlantPoint
from gateway.plant.base import PlantUnreachable, PlantWriteRefused, ReadResult

DataType = AsyncModbusTcpClient.DATATYPE
INTEGER_TYPES = ("int16", "uint16", "int32", "uint32", "int64", "uint64")


def data_type(point: PlantPoint) -> Any:
    return DataType[point.data_type.upper()]


def word_order(point: PlantPoint) -> Literal["big", "little"]:
    return "little" if point.word_order == "little" else "big"


def describe(response: Any) -> str:
    """A Modbus exception response in words (`exception 2: illegal address`)."""
    code = getattr(response, "exception_code", None)
    if not isinstance(code, int):
        return str(response)[:120]
    try:
        name = ExcCodes(code).name.lower().replace("_", " ")
    except ValueError:
        name = "unknown"
    return f"exception {code}: {name}"


def registers_for(point: PlantPoint, value: float) -> list[int]:
    """The engineering value as the registers the device stores: divided by the scale, rounded
    for integer types; ValueError when it does not fit the type."""
    raw = value / point.scale
    if point.data_type in INTEGER_TYPES:
        raw = round(raw)
    try:
        return AsyncModbusTcpClient.convert_to_registers(raw, data_type(point), word_order=word_order(point))
    except Exception as error:  # noqa: BLE001 - struct.error and friends: the value does not fit
        raise ValueError(f"{value:g} does not fit a {point.data_type} at scale {point.scale:g}") from error


class ModbusLink:
    """Owns one device's TCP connection; every request is bounded by the device's timeout."""

    protocol = "modbus"

    def __init__(self, device: PlantDevice) -> None:
        self.device = device
        # No automatic reconnect or retries: the poller decides when to try again.
        self.client = AsyncModbusTcpClient(
            device.host, port=device.port, timeout=device.timeout_s, retries=0, reconnect_delay=0
        )
        self.lock = asyncio.Lock()  # one request at a time: points polled at different intervals

    async def _connected(self) -> None:
        if not self.client.connected and not await self.client.connect():
            raise PlantUnreachable(f"{self.device.host}:{self.device.port} does not answer")

    async def _request(self, call: Any) -> Any:
        try:
            return await asyncio.wait_for(call, self.device.timeout_s)
        except (ModbusException, TimeoutError, OSError) as error:
            self.client.close()  # a half-answered request leaves the stream out of step
            raise PlantUnreachable(f"{self.device.host}:{self.device.port}: {error!r}"[:200]) from error

    async def read(self, points: Sequence[PlantPoint]) -> ReadResult:
        """Each point's raw value (a number or bool, before scale) or why it could not be read."""
        result = ReadResult()
        async with self.lock:
            await self._connected()
            for point in points:
                response = await self._request(self._read_call(point))
                if response.isError():
                    result.errors[point.name] = describe(response)
                elif point.table in ("coil", "discrete"):
                    result.values[point.name] = bool(response.bits[0])
                else:
                    value = AsyncModbusTcpClient.convert_from_registers(
                        response.registers, data_type(point), word_order=word_order(point)
                    )
                    assert isinstance(value, int | float)
                    result.values[point.name] = value if math.isfinite(value) else str(value)
        return result

    def _read_call(self, point: PlantPoint) -> Any:
        unit = self.device.unit_id
        if point.table == "coil":
            return self.client.read_coils(point.address, count=1, device_id=unit)
        if point.table == "discrete":
            return self.client.read_discrete_inputs(point.address, count=1, device_id=unit)
        count = data_type(point).value[1]
        if point.table == "input":
            return self.client.read_input_registers(point.address, count=count, device_id=unit)
        return self.client.read_holding_registers(point.address, count=count, device_id=unit)

    async def write(self, point: PlantPoint, value: float | bool | None) -> None:
        """Write a holding register (value / scale, in the point's type) or a coil."""
        if value is None:
            raise PlantWriteRefused("a Modbus point has no relinquish: write a value")
        registers = [] if point.table == "coil" else registers_for(point, float(value))
        async with self.lock:
            await self._connected()
            response = await self._request(self._write_call(point, value, registers))
        if response.isError():
            raise PlantWriteRefused(describe(response))

    def _write_call(self, point: PlantPoint, value: float | bool, registers: list[int]) -> Any:
        unit = self.device.unit_id
        if point.table == "coil":
            return self.client.write_coil(point.address, bool(value), device_id=unit)
        if len(registers) == 1:
            return self.client.write_register(point.address, registers[0], device_id=unit)
        return self.client.write_registers(point.address, registers, device_id=unit)

    async def close(self) -> None:
        self.client.close()
