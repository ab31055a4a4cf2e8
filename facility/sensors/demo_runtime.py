"""`facility demo` runs the campus simulator against the demo's broker."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

from facility.core.config import Settings
from facility.core.db import engine_for, session_scope
from facility.sensors.actuator_simulator import ActuatorSimulator
from facility.sensors.demo_actuators import place_demo_thermostats, simulated_actuators
from facility.sensors.demo_devices import demo_devices, place_demo_devices
from facility.sensors.simulator import Simulator, SimulatorRunner, busy_rooms_reader

log = logging.getLogger(__name__)
PLANT_MAPPING = "demo-plant.yaml"


def _free_port(kind: socket.SocketKind) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_plant(settings: Settings) -> tuple[Settings, Callable[[], None]]:
    """The demo's plant room (E-PLANT): a Modbus TCP meter and a BACnet/IP air handler, and a
    mapping file in the data directory that has the gateway poll them. A mapping file the operator
    configured is theirs to keep: then no plant is simulated. A plant that cannot start (a port
    taken, a network without UDP) is logged and the demo runs without it."""
    if settings.sensors.device_mapping_file:
        return settings, lambda: None
    from facility.sensors.plant_simulator import PlantSimulator, mapping_example

    modbus, bacnet, gateway_bacnet = (_free_port(k) for k in (socket.SOCK_STREAM, socket.SOCK_DGRAM, socket.SOCK_DGRAM))
    plant = PlantSimulator(host="127.0.0.1", modbus_port=modbus, bacnet_port=bacnet)
    try:
        plant.start()
    except Exception:  # noqa: BLE001 - the plant is a demo extra, never a reason not to start
        log.warning("the plant simulator did not start; the demo runs without it", exc_info=True)
        return settings, lambda: None
    path = settings.data_dir / PLANT_MAPPING
    path.write_text(mapping_example("127.0.0.1", modbus, bacnet, gateway_bacnet), encoding="utf-8")
    log.info("plant room: Modbus meter on port %d, BACnet air handler on port %d", modbus, bacnet)
    sensors = settings.sensors.model_copy(update={"device_mapping_file": str(path)})
    return settings.model_copy(update={"sensors": sensors}), plant.stop


def start(settings: Settings) -> Callable[[], None]:
    """Place the demo's sensors and thermostats in their rooms, start publishing the readings
    and play the actuators (their commands answered, the rooms warming toward their setpoints)."""
    if not settings.mqtt_url:
        log.info("no broker configured: the sensor simulator is not started")
        return lambda: None
    with session_scope(engine_for(settings)) as session:
        place_demo_devices(session)
        place_demo_thermostats(session)
        devices = demo_devices(session)
        actuators = simulated_actuators(session)
    simulator = Simulator(devices, interval_s=settings.sensors.simulate_interval_s)
    runner = SimulatorRunner(
        settings.mqtt_url,
        simulator,
        client_id="facility-demo-simulator",
        busy_rooms=busy_rooms_reader(engine_for(settings)),
    )
    runner.start()
    players = ActuatorSimulator(settings.mqtt_url, actuators, client_id="facility-demo-actuators")
    players.start()
    stop_warming = threading.Event()
    threading.Thread(target=players.run_thermal, args=(stop_warming, simulator.interval_s), daemon=True).start()
    log.info(
        "simulating %d sensors every %.0f s, playing %d actuators", len(devices), simulator.interval_s, len(actuators)
    )

    def stop() -> None:
        stop_warming.set()
        players.stop()
        runner.stop()

    return stop
