"""What the maintenance domain adds to `facility demo`: the demo campus's assets and plans."""

from __future__ import annotations

from collections.abc import Callable

from facility.core.config import Settings
from facility.core.db import engine_for, session_scope
from facility.maintenance.demo import load_demo_assets


def start(settings: Settings) -> Callable[[], None]:
    with session_scope(engine_for(settings)) as session:
        load_demo_assets(session)
    return lambda: None
