"""The maintenance domain's scheduled jobs (run by `facility scheduler`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from facility.core.config import Settings
from facility.core.db import session_scope
from facility.core.jobs import Job
from facility.maintenance import alerts, duty_clock, escalation, integrations, meters, plans


def create_occurrences(engine: Engine, _settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        return plans.generate_occurrences(session, now)


def escalate_overdue(engine: Engine, _settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        return escalation.escalate_overdue(session, now)


def run_duty_clock(engine: Engine, _settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        return duty_clock.tick(session, now)


JOBS: list[Job] = [
    Job("maintenance.occurrences", every_seconds=60, run=create_occurrences),
    Job("maintenance.escalate", every_seconds=300, run=escalate_overdue),
    Job("maintenance.duties", every_seconds=900, run=run_duty_clock),
    *integrations.JOBS,
    *alerts.JOBS,
    *meters.JOBS,
]
