"""Fixtures of the sensors tests (the real influxd, its stores and Mosquitto are shared: tests/conftest.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from facility.core.config import SensorSettings, Settings
from facility.core.db import get_engine
from gateway.runner import Gateway
from tests.conftest import clean_database
from tests.keys import TEST_SECRET_KEY
from tests.sensors.mqtt_helpers import wait_until
from tests.sensors.services import Influxd, Mosquitto


@pytest.fixture
def pg_url(database_urls: dict[str, str]) -> str:
    """The PostgreSQL test database, emptied: gateways write through their own connections."""
    url = database_urls["postgresql"]
    clean_database(get_engine(url))
    return url


@contextmanager
def running_gateway(
    tmp_path: Path, pg_url: str, mosquitto: Mosquitto, influxd: Influxd, client_id: str = "gw-profiles"
) -> Iterator[Gateway]:
    """A running gateway on the test's Mosquitto, a fresh influxd database and PostgreSQL."""
    db = f"p_{uuid.uuid4().hex[:8]}"
    settings = Settings(
        database_url=pg_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET_KEY,
        mqtt_url=mosquitto.url,
        influx_url=influxd.url,
        influx_db=db,
    )
    running = Gateway(settings, SensorSettings(gateway_client_id=client_id))
    running.start()
    try:
        wait_until(running.connection.subscribed.is_set)
        yield running
    finally:
        running.stop()
        influxd.drop_database(db)


@pytest.fixture
def gateway(tmp_path: Path, pg_url: str, mosquitto: Mosquitto, influxd: Influxd) -> Iterator[Gateway]:
    with running_gateway(tmp_path, pg_url, mosquitto, influxd) as running:
        yield running
