"""The contract between domains and the scheduler: each domain's `tasks.py` lists its JOBS.

The scheduler process (maintenance) collects `JOBS` from every domain's `tasks` module and runs
each on its interval under one lock, so web workers never run jobs themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from facility.core.config import Settings


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: int
    # Called with the engine, the settings and the tick's time (UTC); opens its own session_scope.
    run: Callable[[Engine, Settings, datetime], object]
