"""A real uvicorn server over the parametrised database, for tests that need true concurrency."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from facility.app import create_app
from facility.core.config import Settings
from tests.conftest import free_port


@pytest.fixture
def served(settings: Settings) -> Iterator[str]:
    """The app on a free loopback port, over this test's database (SQLite or PostgreSQL)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
