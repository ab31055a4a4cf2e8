"""A real uvicorn server over the parametrised database, for tests that need true concurrency."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from facility.core.config import Settings
from tests.conftest import serve_app


@pytest.fixture
def served(settings: Settings) -> Iterator[str]:
    """The app on a free loopback port, over this test's database (SQLite or PostgreSQL)."""
    with serve_app(settings) as url:
        yield url
