"""The gateway process: broker connection + spool + writer, started and stopped as one."""

from __future__ import annotations

import logging
import re
import signal
import threading
from pathlib import Path

from facility.core.config import Settings
from facility.core.db import get_engine
from facility.sensors.config import SensorSettings, get_sensor_settings
from facility.sensors.store import ReadingStore, open_store
from gateway.connection import AuthenticationFailed, BrokerConnection
from gateway.spool import Spool
from gateway.writer import SpoolWriter

log = logging.getLogger(__name__)
STATUS_TOPIC = "gateway/{client_id}/status"


def subscription_for(group: str) -> str:
    return f"$share/{group}/facility/#" if group else "facility/#"


def spool_path(data_dir: Path, client_id: str) -> Path:
    return data_dir / "spool" / (re.sub(r"[^A-Za-z0-9_.-]", "_", client_id) + ".sqlite")


class Gateway:
    def __init__(
        self,
        settings: Settings,
        sensor_settings: SensorSettings | None = None,
        *,
        store: ReadingStore | None = None,
    ) -> None:
        sensor_settings = sensor_settings or get_sensor_settings()
        if not settings.mqtt_url:
            raise ValueError("FACILITY_MQTT_URL is not set")
        self.client_id = sensor_settings.gateway_client_id
        self.spool = Spool(spool_path(settings.data_dir, self.client_id))
        self.store = store or open_store(settings)
        self.writer = SpoolWriter(self.spool, self.store, get_engine(settings.sqlalchemy_url), self.client_id)
        self.connection = BrokerConnection(
            settings.mqtt_url,
            self.client_id,
            self.spool,
            subscription=subscription_for(sensor_settings.gateway_share_group),
            status_topic=STATUS_TOPIC.format(client_id=self.client_id),
            max_spool_bytes=sensor_settings.spool_max_mb * 2**20,
            on_spooled=self.writer.wake,
        )

    def start(self) -> None:
        self.writer.start()
        self.connection.start()

    def stop(self) -> None:
        """Stop taking messages, store what is spooled, then close the store's write path."""
        self.connection.stop()
        self.writer.stop()
        self.store.close()
        self.spool.close()

    def wait(self, stop: threading.Event) -> None:
        """Block until `stop` is set or the broker refuses our credentials."""
        while not stop.wait(0.5):
            if self.connection.failure:
                raise AuthenticationFailed(self.connection.failure)


def run_gateway(settings: Settings) -> None:
    """`facility gateway`: run until SIGTERM/SIGINT, then drain and stop."""
    from prometheus_client import start_http_server

    sensor_settings = get_sensor_settings()
    if sensor_settings.gateway_metrics_port:
        start_http_server(sensor_settings.gateway_metrics_port, addr="127.0.0.1")
    gateway = Gateway(settings, sensor_settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    gateway.start()
    try:
        gateway.wait(stop)
    finally:
        gateway.stop()
