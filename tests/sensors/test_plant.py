"""Plant protocols end to end: the gateway polls a pymodbus server and a bacpypes3 device on
loopback (the simulator's meter and air handler), stores through the spool like MQTT readings,
dead-letters bad values, counts an unreachable device without stopping the others, and writes
points that the next poll reads back."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from facility.core.config import SensorSettings, Settings
from facility.core.db import get_engine, session_scope
from facility.sensors.catalogue import METRICS
from facility.sensors.command_models import DesiredState
from facility.sensors.desired import set_desired
from facility.sensors.models import DeadLetter, Device
from facility.sensors.plant_simulator import PlantSimulator, mapping_example
from facility.sensors.profiles.plant import PlantDevice, PlantPoint
from facility.sensors.store.influx import InfluxV1Store
from gateway.plant.base import PlantUnreachable, PlantWriteRefused
from gateway.plant.modbus import ModbusLink
from gateway.runner import Gateway
from tests.keys import TEST_SECRET_KEY
from tests.sensors.mqtt_helpers import wait_until
from tests.sensors.services import Influxd, Mosquitto

HOST = "127.0.0.1"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def plant() -> Iterator[PlantSimulator]:
    simulator = PlantSimulator(host=HOST, modbus_port=free_port(), bacnet_port=free_port(socket.SOCK_DGRAM))
    simulator.start()
    yield simulator
    simulator.stop()


def mapping_file(tmp_path: Path, plant: PlantSimulator) -> Path:
    """The simulator's example mapping, polled fast, plus what the tests need: a register written
    with scale, a NaN register (bad value) and two devices that never answer."""
    assert plant.modbus_port and plant.bacnet_port
    example = mapping_example(HOST, plant.modbus_port, plant.bacnet_port, free_port(socket.SOCK_DGRAM))
    config = yaml.safe_load(example)
    meter, ahu = config["plant"]["modbus"][0], config["plant"]["bacnet"][0]
    meter["interval"] = ahu["interval"] = 0.3
    meter["points"]["running"]["channel"] = "relay"
    ahu["points"]["setpoint"]["channel"] = "setpoint"
    meter["points"]["current"] = {"register": 6, "type": "float32", "unit": "A"}
    meter["points"]["setpoint"] = {"register": 10, "type": "int16", "scale": 0.1, "unit": "°C", "writable": True}
    config["plant"]["modbus"].append(
        {"device": "meter-gone", "host": HOST, "port": free_port(), "timeout": 0.3, "interval": 0.3,
         "points": {"energy": {"register": 0, "type": "uint32"}}}
    )  # fmt: skip
    config["plant"]["bacnet"].append(
        {"device": "ahu-gone", "address": f"{HOST}:{free_port(socket.SOCK_DGRAM)}", "timeout": 0.3, "interval": 0.3,
         "points": {"supply_air_temperature": {"object": "analog-input,1"}}}
    )  # fmt: skip
    path = tmp_path / "mapping.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def gateway(
    tmp_path: Path, pg_url: str, mosquitto: Mosquitto, influxd: Influxd, plant: PlantSimulator
) -> Iterator[Gateway]:
    db, client_id = f"plant_{uuid.uuid4().hex[:8]}", f"gw-plant-{uuid.uuid4().hex[:6]}"
    settings = Settings(
        database_url=pg_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET_KEY,
        mqtt_url=mosquitto.url,
        influx_url=influxd.url,
        influx_db=db,
    )
    mapping = mapping_file(tmp_path, plant)
    running = Gateway(settings, SensorSettings(gateway_client_id=client_id, device_mapping_file=str(mapping)))
    running.start()
    try:
        yield running
    finally:
        running.stop()
        influxd.drop_database(db)


def latest(gateway: Gateway, device: str) -> dict[str, float]:
    store: InfluxV1Store = gateway.store  # type: ignore[assignment]
    return {x.metric: x.value for x in store.latest([device])}


def test_plant_points_are_polled_scaled_dead_lettered_and_isolated(gateway: Gateway, pg_url: str) -> None:
    meter = wait_until(
        lambda: (v := latest(gateway, "modbus:meter-plant")).keys() >= {"energy", "power", "voltage"} and v
    )
    ahu = wait_until(lambda: (v := latest(gateway, "bacnet:ahu-plant")).keys() >= {"supply_air_temperature"} and v)
    # Scale and unit: 0.01 kWh counts, 0.1 V, W as they are; the catalogue's units are what is stored.
    assert 12_345.6 <= meter["energy"] < 12_400 and METRICS["energy"].unit == "kWh"
    assert 229.2 <= meter["voltage"] <= 230.4 and METRICS["voltage"].unit == "V"
    assert 4_000 <= meter["power"] <= 4_400 and meter["running"] == 1.0
    assert 10 < ahu["supply_air_temperature"] < 25 and ahu["running"] == 1.0 and ahu["setpoint"] == 18.0
    assert gateway.plant is not None
    polls = gateway.plant.polls
    # The silent devices are counted (and each marked offline once) while the others keep being read.
    wait_until(
        lambda: (
            polls[("modbus", "meter-gone", "unreachable")] >= 2 and polls[("bacnet", "ahu-gone", "unreachable")] >= 2
        )
    )
    wait_until(lambda: polls[("modbus", "meter-plant", "ok")] >= 3 and polls[("bacnet", "ahu-plant", "ok")] >= 3)
    with Session(get_engine(pg_url)) as session:
        letters = wait_until(
            lambda: session.exec(select(DeadLetter).where(DeadLetter.topic == "$plant/modbus/meter-plant")).all()
        )
        assert {(x.reason, x.profile) for x in letters} == {("bad_value", "modbus")}
        assert "current" in letters[0].detail

    def registered() -> dict[str, Device] | None:
        """The devices once the recorder (once a second) has registered the silent ones as offline."""
        with Session(get_engine(pg_url)) as session:
            found = {d.code: d for d in session.exec(select(Device)).all()}
        gone = [found.get("modbus:meter-gone"), found.get("bacnet:ahu-gone")]
        return found if all(device is not None and not device.online for device in gone) else None

    devices = wait_until(registered)
    assert devices["modbus:meter-plant"].reported_room == "E-PLANT" and devices["modbus:meter-plant"].online


def test_writes_are_read_back_by_the_next_poll(gateway: Gateway, plant: PlantSimulator) -> None:
    assert gateway.plant is not None
    wait_until(lambda: "setpoint" in latest(gateway, "bacnet:ahu-plant"))
    # BACnet WriteProperty at priority 8, then relinquished: the relinquish default comes back.
    gateway.plant.write_point("bacnet", "ahu-plant", "setpoint", 21.5)
    assert plant.setpoint_c == 21.5
    wait_until(lambda: latest(gateway, "bacnet:ahu-plant")["setpoint"] == 21.5)
    wait_until(lambda: latest(gateway, "bacnet:ahu-plant")["supply_air_temperature"] > 19)
    gateway.plant.write_point("bacnet", "ahu-plant", "setpoint", None)
    assert plant.setpoint_c == 18.0
    wait_until(lambda: latest(gateway, "bacnet:ahu-plant")["setpoint"] == 18.0)
    # Modbus: a holding register with scale 0.1 (23.4 °C is 234 on the wire), and a coil.
    gateway.plant.write_point("modbus", "meter-plant", "setpoint", 23.4)
    wait_until(lambda: latest(gateway, "modbus:meter-plant").get("setpoint") == 23.4)
    gateway.plant.write_point("modbus", "meter-plant", "running", False)
    wait_until(lambda: latest(gateway, "modbus:meter-plant")["power"] == 0.0)
    assert latest(gateway, "modbus:meter-plant")["running"] == 0.0
    gateway.plant.write_point("modbus", "meter-plant", "running", True)
    # What cannot be written is refused with a reason, not sent.
    with pytest.raises(PlantWriteRefused, match="not writable"):
        gateway.plant.write_point("modbus", "meter-plant", "energy", 1.0)
    with pytest.raises(ValueError, match="does not fit"):
        gateway.plant.write_point("modbus", "meter-plant", "setpoint", 99_999.0)


def test_a_desired_state_on_a_plant_point_is_written_and_confirmed_by_the_next_poll(
    gateway: Gateway, plant: PlantSimulator, pg_url: str
) -> None:
    engine = get_engine(pg_url)

    def registered() -> dict[str, int]:
        with Session(engine) as session:
            return {d.code: d.id for d in session.exec(select(Device)).all() if d.id}

    def states() -> dict[str, tuple[str, str | None]]:
        with Session(engine) as session:
            return {r.channel: (r.state, r.reported_value) for r in session.exec(select(DesiredState)).all()}

    codes = wait_until(lambda: (found := registered()).keys() >= {"bacnet:ahu-plant", "modbus:meter-plant"} and found)
    # The mapping's channels are known (for the control page) and reported before anything is asked.
    wait_until(lambda: states() == {"setpoint": ("idle", "18"), "relay": ("idle", "on")})
    with session_scope(engine) as session:
        ahu, meter = codes["bacnet:ahu-plant"], codes["modbus:meter-plant"]
        set_desired(session, device_id=ahu, channel="setpoint", value=22.5, actor="test", source="automation")
        set_desired(session, device_id=meter, channel="relay", value="off", actor="test", source="automation")

    wait_until(lambda: states() == {"setpoint": ("confirmed", "22.5"), "relay": ("confirmed", "off")})
    assert plant.setpoint_c == 22.5 and not plant.meter.relay_on
    wait_until(lambda: latest(gateway, "modbus:meter-plant")["power"] == 0.0)
    gateway.plant.write_point("bacnet", "ahu-plant", "setpoint", None)  # type: ignore[union-attr]
    gateway.plant.write_point("modbus", "meter-plant", "running", True)  # type: ignore[union-attr]


def test_a_modbus_device_that_went_away_is_read_again_when_it_is_back() -> None:
    port = free_port()
    voltage = PlantPoint("voltage", "voltage", "m", "", "", 1.0, address=4, scale=0.1)

    async def read_twice_around_an_outage() -> None:
        link = ModbusLink(PlantDevice("modbus", "m", HOST, port, 0.5, (voltage,)))
        for _ in range(2):
            meter = PlantSimulator(host=HOST, modbus_port=port)
            meter.start()
            try:
                assert 2290 <= (await link.read([voltage])).values["voltage"] <= 2310
            finally:
                meter.stop()
            with pytest.raises(PlantUnreachable):
                await link.read([voltage])
        await link.close()

    # On a thread of its own: a browser test earlier in this process leaves Playwright's event
    # loop running on the main thread, where asyncio.run refuses to start another.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, read_twice_around_an_outage()).result(timeout=120)
