"""`facility demo` runs the campus simulator against the demo's broker."""

from __future__ import annotations

import logging
from collections.abc import Callable

from facility.core.config import Settings
from facility.core.db import engine_for, session_scope
from facility.sensors.demo_devices import demo_devices, place_demo_devices
from facility.sensors.simulator import Simulator, SimulatorRunner, busy_rooms_reader

log = logging.getLogger(__name__)


def start(settings: Settings) -> Callable[[], None]:
    """Place the demo's sensors in their rooms and start publishing their readings."""
    if not settings.mqtt_url:
        log.info("no broker configured: the sensor simulator is not started")
        return lambda: None
    with session_scope(engine_for(settings)) as session:
        place_demo_devices(session)
        devices = demo_devices(session)
    simulator = Simulator(devices, interval_s=settings.sensors.simulate_interval_s)
    runner = SimulatorRunner(
        settings.mqtt_url,
        simulator,
        client_id="facility-demo-simulator",
        busy_rooms=busy_rooms_reader(engine_for(settings)),
    )
    runner.start()
    log.info("simulating %d sensors every %.0f s", len(devices), simulator.interval_s)
    return runner.stop
