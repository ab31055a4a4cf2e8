"""The gateway process: broker connection + spool + writer, started and stopped as one."""

from __future__ import annotations

import gc
import logging
import re
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from facility.core.collector import tune_garbage_collector
from facility.core.config import SensorSettings, Settings
from facility.core.db import engine_for, session_scope
from facility.sensors import desired
from facility.sensors.encoders import Encoders
from facility.sensors.ingest import Ingest
from facility.sensors.profiles import ProfileConfigError, ProfileSet, Subscription, build_profiles
from facility.sensors.profiles.plant import PlantDevice, PlantPoint, load_plant
from facility.sensors.store import ReadingStore, open_store
from gateway.commands import Commander, MqttSender, SenderRegistry
from gateway.connection import AuthenticationFailed, BrokerConnection
from gateway.plant.poller import PlantPoller
from gateway.plant.senders import PlantSender, plant_reports
from gateway.spool import Spool
from gateway.writer import SpoolWriter

log = logging.getLogger(__name__)
STATUS_TOPIC = "gateway/{client_id}/status"


def subscription_filters(subscriptions: list[Subscription], group: str) -> list[str]:
    """MQTT filters: shared through the group where a profile allows it."""
    return [f"$share/{group}/{s.filter}" if group and s.shared else s.filter for s in subscriptions]


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
        sensor_settings = sensor_settings or settings.sensors
        if not settings.mqtt_url:
            raise ValueError("FACILITY_MQTT_URL is not set")
        self.client_id = sensor_settings.gateway_client_id
        group = sensor_settings.gateway_share_group
        # Before anything opens: an unknown profile or a bad mapping file stops the start here.
        profiles = ProfileSet(
            build_profiles(
                sensor_settings.device_profiles.split(","),
                sensor_settings.device_mapping_file or None,
                discovery_prefixes=[
                    p.strip() for p in sensor_settings.discovery_topic_prefixes.split(",") if p.strip()
                ],
                discovery_max_devices=sensor_settings.discovery_max_devices,
                zigbee2mqtt_base_topics=sensor_settings.zigbee2mqtt_base_topics.split(","),
                tasmota_full_topics=sensor_settings.tasmota_full_topics.split(","),
            )
        )
        self.spool = Spool(spool_path(settings.data_dir, self.client_id))
        self.store = store or open_store(settings)
        self.encoders = Encoders.default(profiles.profiles)
        self.engine = engine_for(settings)
        self.ingest = Ingest(self.store, self.engine, self.client_id, profiles, self.encoders)
        self.writer = SpoolWriter(self.spool, self.ingest)
        self.senders = SenderRegistry()
        self.commander = Commander(self.engine, sensor_settings, self.encoders, self.senders)
        self.ingest.on_reports = self.commander.heard
        self.connection = BrokerConnection(
            settings.mqtt_url,
            self.client_id,
            self.spool,
            subscriptions=lambda: subscription_filters(
                self.ingest.subscriptions() + [Subscription(t) for t in self.encoders.subscriptions()], group
            ),
            status_topic=STATUS_TOPIC.format(client_id=self.client_id),
            max_spool_bytes=sensor_settings.spool_max_mb * 2**20,
            on_spooled=self.writer.wake,
            on_connected=self.commander.connected,
        )
        mqtt_sender = MqttSender(self.connection.client, self.encoders)
        for profile in self.encoders.by_profile:
            self.senders.register(profile, mqtt_sender)
        # Modbus and BACnet points of the mapping file: polled into the same spool.
        plant = load_plant(sensor_settings.device_mapping_file) if sensor_settings.device_mapping_file else None
        self.plant = PlantPoller(plant, self.spool, self.writer.wake) if plant and plant.devices else None
        self._noted_codes: set[str] = set()
        if self.plant:
            for protocol in {device.protocol for device in self.plant.config.devices}:
                self.senders.register(protocol, PlantSender(self.plant, protocol))
            self.plant.on_values = self._plant_heard
        profiles.on_announce = lambda found: self.connection.follow(subscription_filters(found, group))
        profiles.on_withdraw = lambda gone: self.connection.unfollow(subscription_filters(gone, group))

    def _plant_heard(self, device: PlantDevice, points: Sequence[PlantPoint], values: dict[str, Any]) -> None:
        """Each answered poll confirms the desired states of the channels it read; a channel the
        mapping declares is made known once its device is registered (the control page lists it)."""
        reports = plant_reports(device, points, values)
        if not reports:
            return
        for code in {r.device for r in reports} - self._noted_codes:
            with session_scope(self.engine) as session:
                if desired.note_channels_of(session, code, sorted({r.channel for r in reports if r.device == code})):
                    self._noted_codes.add(code)
        self.commander.heard(reports)

    def start(self) -> None:
        if self.plant:
            self.plant.start()
        self.writer.start()
        self.connection.start()
        self.commander.start()

    def stop(self) -> None:
        """Stop sending and taking messages, store what is spooled, then close the store's write path."""
        self.commander.stop()
        if self.plant:
            self.plant.stop()
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

    sensor_settings = settings.sensors
    try:
        gateway = Gateway(settings, sensor_settings)
    except ProfileConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    if sensor_settings.gateway_metrics_port:
        start_http_server(sensor_settings.gateway_metrics_port, addr="127.0.0.1")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # Everything loaded so far (modules, the ORM's mappers, profiles) lives as long as the process:
    # collected once, then out of the collector's sight (facility/core/collector.py).
    gc.collect()
    tune_garbage_collector()
    gateway.start()
    try:
        gateway.wait(stop)
    finally:
        gateway.stop()
