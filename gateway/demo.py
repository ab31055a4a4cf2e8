"""The demo's MQTT side: the embedded broker (when no broker is configured) and one gateway."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable

from facility.core.config import Settings
from gateway.broker import EmbeddedBroker
from gateway.runner import Gateway

log = logging.getLogger(__name__)
# The embedded broker prefers this port (Mosquitto may already hold 1883); any free one otherwise.
EMBEDDED_PORT = 18830


def _free_port(preferred: int) -> int:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", preferred))
        except OSError:
            sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_mqtt_stack(settings: Settings) -> tuple[Settings, list[Callable[[], None]]]:
    """Start the broker if needed and a gateway; returns settings naming the broker, and stoppers."""
    stoppers: list[Callable[[], None]] = []
    sensor_settings = settings.sensors
    if not settings.mqtt_url:
        broker = EmbeddedBroker(_free_port(EMBEDDED_PORT))
        broker.start()
        stoppers.append(broker.stop)
        # amqtt speaks MQTT 3.1.1 and has no shared subscriptions.
        settings = settings.model_copy(update={"mqtt_url": broker.url + "?protocol=3.1.1"})
        sensor_settings = sensor_settings.model_copy(update={"gateway_share_group": ""})
        log.info("embedded MQTT broker on %s", broker.url)
    gateway = Gateway(settings, sensor_settings)
    gateway.start()
    stoppers.append(gateway.stop)
    return settings, stoppers
