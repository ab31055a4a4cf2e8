"""`facility demo` runs the scheduler in the background of the demo process."""

from __future__ import annotations

from collections.abc import Callable

from facility.core.config import Settings
from facility.core.db import get_engine, session_scope
from facility.maintenance.scheduler import SchedulerRunner

# The demo ticks faster so generated work shows up while someone is looking.
DEMO_TICK_SECONDS = 5


def start(settings: Settings) -> Callable[[], None]:
    from facility.maintenance.demo import load_demo_assets

    with session_scope(get_engine(settings.sqlalchemy_url)) as session:
        load_demo_assets(session)
    runner = SchedulerRunner(settings, tick_seconds=DEMO_TICK_SECONDS)
    runner.start()
    return runner.stop
