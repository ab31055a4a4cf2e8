"""Running-hour plans: maintenance after N hours of equipment running, read from a sensor meter.

A `usage_meter` plan names a room and an on/off metric (`meter_metric`, normally the catalogue's
`running`, 1 = running). Its devices' readings since the plan's count started are averaged per hour
by the reading store; each hour's mean, clipped to 0..1, is the share of that hour the equipment
ran, so the sum is its running hours. Past `threshold_hours` the plan gets an inspection due now,
and the count starts again (as with booked-hours plans).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from facility.core.config import Settings
from facility.core.db import session_scope
from facility.core.jobs import Job
from facility.maintenance import plans
from facility.maintenance.kinds import PlanKind
from facility.maintenance.models import MaintenancePlan
from facility.sensors import service as sensors
from facility.sensors.store import open_store
from facility.sensors.store.base import ReadingStore

HOUR = timedelta(hours=1)


def running_hours(
    session: Session, store: ReadingStore, room_id: int, metric: str, since: datetime, until: datetime
) -> float:
    devices = sensors.room_device_codes(session, room_id)
    if not devices or until <= since:
        return 0.0
    points = store.series(devices, metric, since, until, HOUR)
    return sum(min(1.0, max(0.0, point.value)) for point in points)


def check_meter_plans(session: Session, store: ReadingStore, now: datetime) -> int:
    """Meter plans past their running-hours threshold get an occurrence due now."""
    due = session.exec(
        select(MaintenancePlan)
        .where(col(MaintenancePlan.active).is_(True))
        .where(MaintenancePlan.kind == PlanKind.usage_meter.value)
        .where(col(MaintenancePlan.room_id).is_not(None))
        .where(MaintenancePlan.meter_metric != "")
    ).all()
    opened = 0
    for plan in due:
        since = plan.usage_since or plan.starts_at
        hours = running_hours(session, store, plan.room_id, plan.meter_metric, since, now)  # type: ignore[arg-type]
        if hours >= (plan.threshold_hours or 0) and plans.open_usage_occurrence(session, plan, now):
            opened += 1
    return opened


def _meter_job(engine: Engine, settings: Settings, now: datetime) -> int:
    store = open_store(settings)
    try:
        with session_scope(engine) as session:
            return check_meter_plans(session, store, now)
    finally:
        store.close()


JOBS = [Job("maintenance.meters", every_seconds=900, run=_meter_job)]
