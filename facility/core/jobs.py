"""The contract between domains and the scheduler: a `Job`, and the table that keeps its runs.

Each domain's `tasks.py` lists its `JOBS`; `facility/domains.py` names them all and
`facility/scheduler.py` runs each on its interval under one lock, so web workers never run jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from facility.core.config import Settings
from facility.core.db import utc_field


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: int
    # Called with the engine, the settings and the tick's time (UTC); opens its own session_scope.
    run: Callable[[Engine, Settings, datetime], object]


class SchedulerState(SQLModel, table=True):
    """One row per job (its last run), the 'lease' row that elects the acting scheduler, and
    cursor rows where a job keeps its place (e.g. the last alert turned into a work order)."""

    __tablename__ = "scheduler_state"

    name: str = Field(primary_key=True, max_length=80)
    last_run_at: datetime | None = utc_field(default=None, nullable=True)
    holder: str = Field(default="", max_length=100)
    lease_until: datetime | None = utc_field(default=None, nullable=True)
    cursor: int = Field(default=0)
