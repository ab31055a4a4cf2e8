"""Fixtures of the sensors tests (the real influxd, its stores and Mosquitto are shared: tests/conftest.py)."""

from __future__ import annotations

import pytest

from facility.core.db import get_engine
from tests.conftest import clean_database


@pytest.fixture
def pg_url(database_urls: dict[str, str]) -> str:
    """The PostgreSQL test database, emptied: gateways write through their own connections."""
    url = database_urls["postgresql"]
    clean_database(get_engine(url))
    return url
