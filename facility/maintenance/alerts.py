"""Sensor alerts become work orders, polled by the scheduler so sensors never imports maintenance.

One open work order per rule and room (or device, for unplaced devices): a new alert for the same
rule and room while one is open, or within DEBOUNCE of the last one, opens nothing. The job keeps
its place in the alert table as a cursor row in `scheduler_state`, so a restart neither skips
nor repeats alerts. Info-level alerts are for the board only.

Condition-based plans (`PlanKind.condition`, with `alert_rule` and optionally a room) get an
inspection due now when a matching alert arrives, unless one of theirs is still open (the debounce).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from facility.core.config import Settings
from facility.core.db import session_scope
from facility.core.jobs import Job, SchedulerState
from facility.maintenance import plans
from facility.maintenance import service as work_orders
from facility.maintenance.kinds import OPEN_STATUSES, PlanKind, Priority, WorkOrderSource
from facility.maintenance.models import MaintenancePlan, WorkOrder
from facility.maintenance.schemas import WorkOrderCreate
from facility.sensors import service as sensors
from facility.sensors.models import Alert

CURSOR_ROW = "maintenance.alerts.cursor"
# A flapping sensor must not flood the crews: one work order per rule and room in this window.
DEBOUNCE = timedelta(minutes=30)
BATCH = 500
PRIORITY = {"critical": Priority.critical, "warning": Priority.high}
RESPONSE_TIME = {Priority.critical: timedelta(hours=4), Priority.high: timedelta(hours=24)}


def alert_key(alert: Alert) -> str:
    place = f"room:{alert.room_id}" if alert.room_id else f"device:{alert.device_id}"
    return f"alert:{alert.rule}:{place}"


def _already_handled(session: Session, key: str, now: datetime) -> bool:
    query = (
        select(WorkOrder.id)
        .where(WorkOrder.source_key == key)
        .where(
            or_(
                col(WorkOrder.status).in_(OPEN_STATUSES),
                col(WorkOrder.created_at) >= now - DEBOUNCE,
            )
        )
    )
    return session.exec(query).first() is not None


def _trigger_condition_plans(session: Session, alert: Alert, now: datetime) -> None:
    query = (
        select(MaintenancePlan)
        .where(col(MaintenancePlan.active).is_(True))
        .where(MaintenancePlan.kind == PlanKind.condition.value)
        .where(MaintenancePlan.alert_rule == alert.rule)
        .where(or_(col(MaintenancePlan.room_id).is_(None), col(MaintenancePlan.room_id) == alert.room_id))
    )
    for plan in session.exec(query).all():
        plans.open_usage_occurrence(session, plan, now)


def open_work_orders_for_alerts(session: Session, now: datetime) -> int:
    """Open a work order for each new warning or critical alert not already being handled."""
    state = session.get(SchedulerState, CURSOR_ROW) or SchedulerState(name=CURSOR_ROW, cursor=0)
    opened = 0
    for alert in sensors.list_alerts(session, since_id=state.cursor, limit=BATCH):
        state.cursor = alert.id or state.cursor
        _trigger_condition_plans(session, alert, now)
        priority = PRIORITY.get(alert.severity)
        key = alert_key(alert)
        if priority is None or _already_handled(session, key, now):
            continue
        data = WorkOrderCreate(
            title=f"[경보/Alert] {alert.message}"[:200],
            description=f"rule {alert.rule}, metric {alert.metric}, value {alert.value}, "
            f"raised {alert.raised_at.isoformat()} (alert #{alert.id})",
            priority=priority,
            room_id=alert.room_id,
            due_at=now + RESPONSE_TIME[priority],
        )
        work_orders.create_work_order(session, None, data, source=WorkOrderSource.alert, source_key=key)
        opened += 1
    state.last_run_at = now
    session.add(state)
    session.flush()
    return opened


def _alerts_job(engine: Engine, _settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        return open_work_orders_for_alerts(session, now)


JOBS = [Job("maintenance.alerts", every_seconds=30, run=_alerts_job)]
