"""Where maintenance meets booking.

- A work order that needs its room places a maintenance block through booking's service, and
  removes it when the work closes; existing bookings make `place_block` raise BookingConflict (409)
  with the bookings in `extra`, so the manager sees them and decides.
- Usage plans count booked hours through `booking.service.booked_hours`.

Sensor alerts become work orders in `alerts.py`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from facility.booking import blocks as booking_blocks
from facility.booking import queries as booking_queries
from facility.core.config import Settings
from facility.core.db import session_scope
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.jobs import Job
from facility.core.models import User
from facility.maintenance import plans
from facility.maintenance.kinds import OPEN_STATUSES, PlanKind
from facility.maintenance.models import MaintenancePlan, WorkOrder


def sync_room_block(session: Session, actor: User | None, order: WorkOrder) -> None:
    """Place the room block when the work needs the room; remove it once the work is closed."""
    if order.room_id is None:
        return
    closed = order.status not in OPEN_STATUSES
    if order.block_id is not None and closed:
        booking_blocks.remove_block(session, actor, order.block_id)
        order.block_id = None
        session.add(order)
        session.flush()
    elif order.block_id is None and not closed:
        if order.block_starts_at is None or order.block_ends_at is None:
            raise InvalidInput(_("Give the time the room is needed (block start and end)."))
        block, _displaced = booking_blocks.place_block(
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


def check_usage_plans(session: Session, now: datetime) -> int:
    """Usage plans whose room passed its booked-hours threshold get an occurrence due now."""
    due = session.exec(
        select(MaintenancePlan)
        .where(col(MaintenancePlan.active).is_(True))
        .where(MaintenancePlan.kind == PlanKind.usage_booked.value)
        .where(col(MaintenancePlan.room_id).is_not(None))
    ).all()
    opened = 0
    for plan in due:
        since = plan.usage_since or plan.starts_at
        hours = booking_queries.booked_hours(session, plan.room_id, since, now)  # type: ignore[arg-type]
        if hours >= (plan.threshold_hours or 0) and plans.open_usage_occurrence(session, plan, now):
            opened += 1
    return opened


def _usage_job(engine: Engine, _settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        return check_usage_plans(session, now)


JOBS = [
    Job("maintenance.usage", every_seconds=600, run=_usage_job),
]
