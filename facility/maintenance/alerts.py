"""Sensor alerts become work orders, polled by the scheduler so sensors never imports maintenance.

One open work order per rule and room (or device, for unplaced devices), held by a unique index
(`sources.py`): a new alert for the same rule and room while one is open, or within DEBOUNCE of the
last one, opens nothing. Alerts are written by several gateways and the scheduler, so they commit
out of id order: the job claims the alerts not yet marked handled (`FOR UPDATE SKIP LOCKED` on
PostgreSQL) and marks them in the same transaction, so none is skipped and none is taken twice.
Staff opening one by hand take the same path. Info-level alerts are for the board only.

Condition-based plans (`PlanKind.condition`, with `alert_rule` and optionally a room) get an
inspection due now when a matching alert arrives, unless one of theirs is still open (the debounce).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.config import Settings
from facility.core.db import session_scope, utcnow
from facility.core.i18n import gettext as _
from facility.core.i18n import label
from facility.core.jobs import Job
from facility.core.models import STAFF_ROLES, User
from facility.maintenance import plans, sources
from facility.maintenance.assignment import TRADE_OF_RULE, default_assignee
from facility.maintenance.exceptions import AlertHasWorkOrder
from facility.maintenance.kinds import OPEN_STATUSES, PlanKind, Priority, WorkOrderSource
from facility.maintenance.models import MaintenancePlan, WorkOrder
from facility.maintenance.schemas import WorkOrderCreate
from facility.rooms.models import Room
from facility.sensors import alert_work
from facility.sensors.exceptions import AlertAlreadyHandled
from facility.sensors.models import Alert

# A flapping sensor must not flood the crews: one work order per rule and room in this window.
DEBOUNCE = timedelta(minutes=30)
BATCH = 500
PRIORITY = {"critical": Priority.critical, "warning": Priority.high}
RESPONSE_TIME = {Priority.critical: timedelta(hours=4), Priority.high: timedelta(hours=24)}
DEFAULT_RESPONSE = timedelta(days=3)


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


def _work_order_for(session: Session, alert: Alert, now: datetime, priority: Priority) -> WorkOrderCreate:
    """Titled by rule and room (not the rule's English message), so a crew tells them apart."""
    room = session.get(Room, alert.room_id) if alert.room_id else None
    where = f" {room.code}" if room else ""
    return WorkOrderCreate(
        title=f"[{_('Alert')}]{where} {label(f'rule.{alert.rule}')}"[:200],
        description=_("{what} (alert #{alert})", what=alert_work.describe(alert), alert=alert.id),
        priority=priority,
        room_id=alert.room_id,
        due_at=now + RESPONSE_TIME.get(priority, DEFAULT_RESPONSE),
        trade=TRADE_OF_RULE.get(alert.rule, "general"),
    )


def _open_once(
    session: Session, actor: User | None, alert: Alert, now: datetime, priority: Priority
) -> tuple[WorkOrder, bool]:
    data = _work_order_for(session, alert, now, priority)
    return sources.open_once(
        session, actor, data, source=WorkOrderSource.alert, source_key=alert_key(alert), alert_id=alert.id
    )


def _claim_unhandled(session: Session, now: datetime) -> list[Alert]:
    """The oldest alerts not yet handled, marked handled in the caller's transaction; another
    scheduler's run skips the rows this one holds rather than waiting for them."""
    query = select(Alert).where(col(Alert.work_order_handled_at).is_(None)).order_by(col(Alert.id)).limit(BATCH)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    alerts = list(session.exec(query).all())
    for alert in alerts:
        alert.work_order_handled_at = now
        session.add(alert)
    return alerts


def open_work_orders_for_alerts(session: Session, now: datetime) -> int:
    """Open a work order for each new warning or critical alert not already being handled."""
    opened = 0
    for alert in _claim_unhandled(session, now):
        _trigger_condition_plans(session, alert, now)
        priority = PRIORITY.get(alert.severity)
        if priority is None or alert.resolved_at is not None or _already_handled(session, alert_key(alert), now):
            continue
        opened += _open_once(session, None, alert, now, priority)[1]
    session.flush()
    return opened


def open_for_alert(session: Session, actor: User, alert_id: int) -> WorkOrder:
    """Staff turn an alert into a work order by hand (409 naming the open one when there is one)."""
    ensure_role(actor, *STAFF_ROLES)
    alert = alert_work.get_alert(session, actor, alert_id)
    if alert.resolved_at is not None:
        raise AlertAlreadyHandled(_("This alert was already resolved."))
    order, created = _open_once(session, actor, alert, utcnow(), PRIORITY.get(alert.severity, Priority.normal))
    if not created:
        raise AlertHasWorkOrder(
            _("This alert already has work order #{order}.", order=order.id), extra={"work_order_id": order.id}
        )
    audit.record(session, actor, "alert.work_order", "alert", alert.id, after={"work_order_id": order.id})
    return order


def work_orders_by_alert(session: Session, alert_ids: Sequence[int]) -> dict[int, tuple[int, str]]:
    """Each alert's newest work order and its status (registered with sensors by the app)."""
    rows = session.exec(
        select(WorkOrder.alert_id, WorkOrder.id, WorkOrder.status)
        .where(col(WorkOrder.alert_id).in_(list(alert_ids)))
        .order_by(col(WorkOrder.id))
    ).all()
    return {alert: (order, status) for alert, order, status in rows if alert is not None and order is not None}


def _alerts_job(engine: Engine, _settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        return open_work_orders_for_alerts(session, now)


JOBS = [Job("maintenance.alerts", every_seconds=30, run=_alerts_job)]


def suggested_assignees(session: Session, alerts: Sequence[Alert]) -> dict[int, int]:
    """Whom an alert's work would go to: its building's assignment rule for the rule's trade."""
    room_ids = {a.room_id for a in alerts if a.room_id is not None}
    buildings = dict(session.exec(select(Room.id, Room.building_id).where(col(Room.id).in_(room_ids))).all())
    found: dict[int, int] = {}
    for alert in alerts:
        building = buildings.get(alert.room_id) if alert.room_id is not None else None
        user_id = default_assignee(session, building, TRADE_OF_RULE.get(alert.rule, "general"))
        if user_id is not None and alert.id is not None:
            found[alert.id] = user_id
    return found
