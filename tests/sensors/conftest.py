"""Fixtures of the sensors tests: a real influxd and a real Mosquitto on free loopback ports."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from facility.core.db import get_engine
from facility.sensors.store.influx import InfluxV1Store
from tests.conftest import clean_database
from tests.sensors.services import Influxd, Mosquitto


@pytest.fixture(scope="session")
def influxd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Influxd]:
    server = Influxd(tmp_path_factory.mktemp("influxd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def influx_store(influxd: Influxd) -> Iterator[InfluxV1Store]:
    """A v1 store on a fresh database of the shared server."""
    name = f"t_{uuid.uuid4().hex[:10]}"
    store = InfluxV1Store(influxd.url, name, retention_days=7, rollup_days=30)
    yield store
    store.close()
    influxd.drop_database(name)


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = Mosquitto(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def pg_url(database_urls: dict[str, str]) -> str:
    """The PostgreSQL test database, emptied: gateways write through their own connections."""
    url = database_urls["postgresql"]
    clean_database(get_engine(url))
    return url
