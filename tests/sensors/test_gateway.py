"""The gateway against the real Mosquitto (shipped config) and the real InfluxDB."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from facility.core.config import SensorSettings, Settings
from facility.core.db import get_engine
from facility.sensors.models import DeadLetter, Device
from facility.sensors.store.influx import InfluxV1Store
from gateway.connection import AuthenticationFailed
from gateway.runner import Gateway
from tests.keys import TEST_SECRET_KEY
from tests.sensors.mqtt_helpers import publish_all, publisher, wait_until
from tests.sensors.services import Influxd, Mosquitto


def gateway_settings(tmp_path: Path, db_url: str, mqtt_url: str, influxd: Influxd, db: str) -> Settings:
    return Settings(
        database_url=db_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET_KEY,
        mqtt_url=mqtt_url,
        influx_url=influxd.url,
        influx_db=db,
    )


@pytest.fixture
def running(tmp_path: Path, pg_url: str, mosquitto: Mosquitto, influxd: Influxd) -> Iterator[Gateway]:
    db = f"g_{uuid.uuid4().hex[:8]}"
    settings = gateway_settings(tmp_path, pg_url, mosquitto.url, influxd, db)
    gateway = Gateway(settings, SensorSettings(gateway_client_id="gw-test"))
    gateway.start()
    wait_until(gateway.connection.subscribed.is_set)
    yield gateway
    gateway.stop()
    influxd.drop_database(db)


def test_published_reading_becomes_queryable(running: Gateway, mosquitto: Mosquitto, pg_url: str) -> None:
    client = publisher(mosquitto.simulator_url)
    publish_all(
        client,
        [
            ("facility/edu/E-101/env-E-101/co2", b"612"),
            ("facility/edu/E-101/env-E-101", json.dumps({"metrics": {"temperature": 22.5, "humidity": 41}}).encode()),
        ],
    )
    store: InfluxV1Store = running.store  # type: ignore[assignment]
    wait_until(lambda: store.count(["env-E-101"]) == 3)
    latest = {x.metric: x.value for x in store.latest(["env-E-101"])}
    assert latest == {"co2": 612.0, "temperature": 22.5, "humidity": 41.0}

    def registered() -> Device | None:  # the registry commits just after the store write
        with Session(get_engine(pg_url)) as session:
            return session.exec(select(Device).where(Device.code == "env-E-101")).first()

    device = wait_until(registered)
    assert device.room_id is None and device.reported_room == "E-101"  # unassigned until placed
    assert device.metrics == "co2,humidity,temperature" and device.online
    client.disconnect()


def test_bad_payloads_are_dead_lettered_while_good_ones_flow(
    running: Gateway, mosquitto: Mosquitto, pg_url: str
) -> None:
    from prometheus_client import REGISTRY

    def counted(reason: str) -> float:
        return REGISTRY.get_sample_value("facility_gateway_dead_letters_total", {"reason": reason}) or 0.0

    before = counted("bad_topic")
    client = publisher(mosquitto.simulator_url)
    good = [
        (
            "facility/edu/E-102/env-E-102/temperature",
            json.dumps({"value": 20 + i / 10, "ts": datetime.now(UTC).isoformat()}).encode(),
        )
        for i in range(5)
    ]
    bad = [
        ("facility/edu/E-102/env-E-102/temperature", b"hot"),
        ("facility/edu/E-102/env-E-102/flux", b"1"),
        ("facility/edu/E-102/env-E-102/co2", b"-5"),
        ("facility/edu/E 102/x/co2", b"1"),
    ]
    interleaved = [good[0], bad[0], good[1], bad[1], good[2], bad[2], good[3], bad[3], good[4]]
    publish_all(client, interleaved)
    store: InfluxV1Store = running.store  # type: ignore[assignment]
    wait_until(lambda: store.count(["env-E-102"]) == 5)

    def reasons() -> list[str]:
        with Session(get_engine(pg_url)) as session:
            return sorted(d.reason for d in session.exec(select(DeadLetter)))

    wait_until(lambda: len(reasons()) == 4)
    assert reasons() == ["bad_topic", "bad_value", "out_of_range", "unknown_metric"]
    assert store.count(["env-E-102"]) == 5
    assert counted("bad_topic") == before + 1  # counted by reason for /metrics
    client.disconnect()


def test_wrong_password_stops_with_a_clear_message(
    tmp_path: Path, pg_url: str, mosquitto: Mosquitto, influxd: Influxd
) -> None:
    url = mosquitto.url.replace(":test-secret@", ":wrong@")
    gateway = Gateway(
        gateway_settings(tmp_path, pg_url, url, influxd, "unused"), SensorSettings(gateway_client_id="gw-badauth")
    )
    gateway.start()
    import threading

    with pytest.raises(AuthenticationFailed, match="authentication failed"):
        gateway.wait(threading.Event())
    gateway.stop()
