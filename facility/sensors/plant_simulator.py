"""Plant devices for `facility simulate --plant`: a Modbus TCP energy meter (pymodbus's server)
and a BACnet/IP air handler (a bacpypes3 device), so the gateway's pollers have something real to
read and write in the demo and the tests.

The meter (unit 1): holding registers 0-1 energy (uint32, 0.01 kWh), 2-3 power (uint32, W),
4 voltage (uint16, 0.1 V), 6-7 a current sensor not fitted (float32 NaN, as meters report it),
10-19 free for writes; coil 0 the load relay (off: no power, energy stops). The air handler:
analog-input,1 supply air temperature (°C), binary-input,1 fan status, analog-value,1 the
setpoint (commandable; relinquish default 18 °C), which the supply air follows in a few seconds.
"""

from __future__ import annotations

import asyncio
import math
import random
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bacpypes3.app import Application
from bacpypes3.local.analog import AnalogInputObject, AnalogValueObjectCmd
from bacpypes3.local.binary import BinaryInputObject
from bacpypes3.local.device import DeviceObject
from bacpypes3.local.networkport import NetworkPortObject
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import SimData, SimDevice
from pymodbus.simulator.simdata import DataType

METER_UNIT = 1
AHU_INSTANCE = 1001
# ASHRAE's identifier for "no vendor registered".
VENDOR_ID = 999
# How fast the supply air follows the setpoint: this share of the gap closes each second.
AHU_RESPONSE = 0.3
STARTUP_TIMEOUT_S = 10.0


@dataclass
class MeterModel:
    energy_kwh: float = 12_345.67
    voltage_v: float = 229.8
    relay_on: bool = True
    base_power_w: float = 4_200.0
    rng: random.Random = field(default_factory=random.Random)
    _last: float = field(default_factory=time.monotonic)

    def power_w(self) -> float:
        return self.base_power_w + self.rng.uniform(-150, 150) if self.relay_on else 0.0

    def registers(self) -> list[int]:
        """Registers 0-7 as of now (energy accrues since the last read)."""
        now = time.monotonic()
        power = self.power_w()
        self.energy_kwh += power * (now - self._last) / 3_600_000
        self._last = now
        voltage = self.voltage_v + self.rng.uniform(-0.5, 0.5)
        energy = round(self.energy_kwh * 100)
        nan = struct.unpack(">HH", struct.pack(">f", math.nan))
        return [energy >> 16, energy & 0xFFFF, int(power) >> 16, int(power) & 0xFFFF, round(voltage * 10), 0, *nan]


@dataclass
class AhuModel:
    supply_c: float = 17.0
    fan_on: bool = True


class PlantSimulator:
    """Runs the meter and the air handler on one event loop thread until stopped."""

    def __init__(
        self, *, host: str = "127.0.0.1", modbus_port: int | None = None, bacnet_port: int | None = None
    ) -> None:
        self.host = host
        self.modbus_port = modbus_port
        self.bacnet_port = bacnet_port
        self.meter = MeterModel()
        self.ahu = AhuModel()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="plant-simulator", daemon=True)
        self._server: ModbusTcpServer | None = None
        self._application: Any = None
        self._setpoint: Any = None
        self._supply: Any = None
        self._fan: Any = None
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._open(), self._loop).result(timeout=STARTUP_TIMEOUT_S)

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=STARTUP_TIMEOUT_S)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=STARTUP_TIMEOUT_S)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()
        self._loop.close()

    @property
    def setpoint_c(self) -> float:
        return float(self._setpoint.presentValue) if self._setpoint is not None else math.nan

    async def _open(self) -> None:
        if self.modbus_port is not None:
            self._server = ModbusTcpServer(self._meter_device(), address=(self.host, self.modbus_port))
            await self._server.serve_forever(background=True)
        if self.bacnet_port is not None:
            self._application = self._ahu_application()
            self._tasks.append(self._loop.create_task(self._ahu_loop()))

    async def _close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.shutdown()
        if self._application is not None:
            self._application.close()

    def _meter_device(self) -> SimDevice:
        async def action(
            function_code: int,
            start_address: int,
            address: int,
            count: int,
            current_registers: list[int],
            set_values: list[int] | list[bool] | None,
        ) -> None:
            if function_code == 5 and set_values:  # write single coil: the load relay
                self.meter.relay_on = bool(set_values[0])
            elif function_code in (3, 4) and set_values is None and address < 8:
                current_registers[0:8] = self.meter.registers()

        blocks = (
            [SimData(0, count=8, values=True, datatype=DataType.BITS)],
            [SimData(0, count=8, values=False, datatype=DataType.BITS)],
            [SimData(0, count=32, values=0, datatype=DataType.REGISTERS)],
            [SimData(0, count=8, values=0, datatype=DataType.REGISTERS)],
        )
        return SimDevice(id=METER_UNIT, simdata=blocks, action=action)

    def _ahu_application(self) -> Application:
        device = DeviceObject(objectIdentifier=("device", AHU_INSTANCE), objectName="AHU-1", vendorIdentifier=VENDOR_ID)
        port = NetworkPortObject(
            f"{self.host}/32:{self.bacnet_port}", objectIdentifier=("network-port", 1), objectName="NetworkPort-1"
        )
        self._supply = AnalogInputObject(
            objectIdentifier=("analog-input", 1),
            objectName="Supply air temperature",
            presentValue=self.ahu.supply_c,
            units="degrees-celsius",
        )
        self._fan = BinaryInputObject(
            objectIdentifier=("binary-input", 1), objectName="Supply fan status", presentValue="active"
        )
        self._setpoint = AnalogValueObjectCmd(
            objectIdentifier=("analog-value", 1),
            objectName="Supply air setpoint",
            presentValue=18.0,
            relinquishDefault=18.0,
            units="degrees-celsius",
        )
        return Application.from_object_list([device, port, self._supply, self._fan, self._setpoint])

    async def _ahu_loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            target = self.setpoint_c if self.ahu.fan_on else self.ahu.supply_c
            self.ahu.supply_c += (target - self.ahu.supply_c) * AHU_RESPONSE
            self._supply.presentValue = round(self.ahu.supply_c, 2)
            self._fan.presentValue = "active" if self.ahu.fan_on else "inactive"


MAPPING_EXAMPLE = """\
plant:
  bacnet_address: "{host}/32:{gateway_bacnet_port}"
  modbus:
    - device: meter-plant
      host: {host}
      port: {modbus_port}
      building: edu
      room: E-PLANT
      interval: 10
      points:
        energy: {{register: 0, type: uint32, scale: 0.01, unit: kWh}}
        power: {{register: 2, type: uint32, unit: W}}
        voltage: {{register: 4, type: uint16, scale: 0.1, unit: V}}
        running: {{coil: 0, writable: true}}
  bacnet:
    - device: ahu-plant
      address: "{host}:{bacnet_port}"
      building: edu
      room: E-PLANT
      interval: 10
      points:
        supply_air_temperature: {{object: "analog-input,1"}}
        running: {{object: "binary-input,1"}}
        setpoint: {{object: "analog-value,1", writable: true}}
"""


def mapping_example(host: str, modbus_port: int, bacnet_port: int, gateway_bacnet_port: int) -> str:
    """The mapping file's plant section that reads the simulated devices."""
    return MAPPING_EXAMPLE.format(
        host=host, modbus_port=modbus_port, bacnet_port=bacnet_port, gateway_bacnet_port=gateway_bacnet_port
    )
