"""Where maintenance meets booking and sensors (both optional until they are on the branch).

- A work order that needs its room places a maintenance block through booking's service, and
  removes it when the work closes; existing bookings make `place_block` raise BookingConflict (409)
  with the bookings in `extra`, so the manager sees them and decides.
- Overdue escalations go to the managers through booking's e-mail outbox.
- Usage plans count booked hours through `booking.service.booked_hours`.
- New sensor alerts become work orders, one per room/device and rule while one is open.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from datetime import datetime, timedelta
from types import ModuleType

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from facility.core.config import Settings
from facility.core.db import session_scope
from facility.core.errors import InvalidInput
from facility.core.jobs import Job
from facility.core.models import User
from facility.maintenance import plans
from facility.maintenance import service as work_orders
from facility.maintenance.kinds import PlanKind, Priority, WorkOrderSource
from facility.maintenance.models import MaintenancePlan, SchedulerState, WorkOrder
from facility.maintenance.schemas import WorkOrderCreate

log = logging.getLogger(__name__)
ALERT_CURSOR = "maintenance.alerts.cursor"
# A rule that keeps firing for the same room opens one work order, not one per alert.
ALERT_DEBOUNCE = timedelta(minutes=30)
SEVERITY_PRIORITY = {"critical": Priority.critical, "warning": Priority.high, "info": Priority.normal}


def _module(name: str) -> ModuleType | None:
    return importlib.import_module(name) if importlib.util.find_spec(name) else None


def booking_service() -> ModuleType | None:
    module = _module("facility.booking.service")
    return module if module is not None and hasattr(module, "place_block") else None


def sensors_service() -> ModuleType | None:
    module = _module("facility.sensors.service")
    return module if module is not None and hasattr(module, "list_alerts") else None


def sync_room_block(session: Session, actor: User | None, order: WorkOrder) -> None:
    """Place the room block when the work needs the room; remove it once the work is closed."""
    booking = booking_service()
    if booking is None or order.room_id is None:
        return
    closed = order.status not in work_orders.OPEN_STATUSES
    if order.block_id is not None and closed:
        booking.remove_block(session, actor, order.block_id)
        order.block_id = None
        session.add(order)
        session.flush()
    elif order.block_id is None and not closed:
        if order.block_starts_at is None or order.block_ends_at is None:
            raise InvalidInput("Give the time the room is needed (block start and end).")
        block, _ = booking.place_block(
            session,
            actor,
            room_id=order.room_id,
            starts_at=order.block_starts_at,
            ends_at=order.block_ends_at,
            reason=order.title,
            kind="maintenance",
            source_ref=f"work_order:{order.id}",
        )
        order.block_id = block.id
        session.add(order)
        session.flush()


def email_managers(session: Session, managers: list[User], subject: str, body: str) -> None:
    notify = _module("facility.booking.notify")
    if notify is None or not hasattr(notify, "enqueue_email"):
        return
    for manager in managers:
        notify.enqueue_email(session, to=manager.email, subject=subject, body=body)


def check_usage_plans(session: Session, now: datetime) -> int:
    """Usage plans whose room passed its booked-hours threshold get an occurrence due now."""
    booking = booking_service()
    if booking is None or not hasattr(booking, "booked_hours"):
        return 0
    due = session.exec(
        select(MaintenancePlan)
        .where(col(MaintenancePlan.active).is_(True))
        .where(MaintenancePlan.kind == PlanKind.usage_booked.value)
        .where(col(MaintenancePlan.room_id).is_not(None))
    ).all()
    opened = 0
    for plan in due:
        since = plan.usage_since or plan.starts_at
        hours = booking.booked_hours(session, plan.room_id, since, now)
        if hours >= (plan.threshold_hours or 0) and plans.open_usage_occurrence(session, plan, now):
            opened += 1
    return opened


def _cursor(session: Session) -> SchedulerState:
    row = session.get(SchedulerState, ALERT_CURSOR) or SchedulerState(name=ALERT_CURSOR)
    session.add(row)
    return row


def open_alert_work(session: Session, now: datetime) -> int:
    """Turn alerts raised since the last poll into work orders (debounced per room and rule)."""
    sensors = sensors_service()
    if sensors is None:
        return 0
    cursor = _cursor(session)
    created = 0
    for alert in sensors.list_alerts(session, since_id=cursor.cursor or None):
        cursor.cursor = max(cursor.cursor, int(alert.id))
        place = f"room:{alert.room_id}" if alert.room_id else f"device:{alert.device_id}"
        key = f"alert:{alert.rule}:{place}"
        recent = session.exec(
            select(WorkOrder.id)
            .where(WorkOrder.source_key == key)
            .where(
                (col(WorkOrder.status).in_(work_orders.OPEN_STATUSES))
                | (col(WorkOrder.created_at) > now - ALERT_DEBOUNCE)
            )
        ).first()
        if recent is not None:
            continue
        work_orders.create_work_order(
            session,
            None,
            WorkOrderCreate(
                title=f"[경보] {alert.message or alert.rule}"[:200],
                description=f"rule {alert.rule}, metric {alert.metric}, raised {alert.raised_at:%Y-%m-%d %H:%M} UTC",
                priority=SEVERITY_PRIORITY.get(str(alert.severity), Priority.normal),
                room_id=alert.room_id,
                due_at=now + timedelta(days=1),
            ),
            source=WorkOrderSource.alert,
            source_key=key,
        )
        created += 1
    session.add(cursor)
    session.flush()
    return created


def _usage_job(engine: Engine, _settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        return check_usage_plans(session, now)


def _alert_job(engine: Engine, _settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        return open_alert_work(session, now)


JOBS = [
    Job("maintenance.usage", every_seconds=600, run=_usage_job),
    Job("maintenance.alerts", every_seconds=30, run=_alert_job),
]
