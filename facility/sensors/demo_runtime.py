"""`facility demo` runs the campus simulator against the demo's broker."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from facility.core.config import Settings
from facility.core.db import engine_for, session_scope
from facility.sensors.actuator_simulator import ActuatorSimulator
from facility.sensors.demo_actuators import place_demo_thermostats, simulated_actuators
from facility.sensors.demo_devices import demo_devices, place_demo_devices
from facility.sensors.simulator import Simulator, SimulatorRunner, busy_rooms_reader

log = logging.getLogger(__name__)


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
