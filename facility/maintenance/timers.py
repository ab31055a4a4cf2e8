"""Start and stop a timer on one's own work order; stopping adds the whole minutes elapsed to the
order's time spent. The database holds one running timer per person per order (a unique row), and
a stop is a conditional delete, so a double press neither starts two nor counts the minutes twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import Forbidden
from facility.core.i18n import gettext as _
from facility.core.models import STAFF_ROLES, User
from facility.maintenance.exceptions import TimerConflict
from facility.maintenance.kinds import OPEN_STATUSES
from facility.maintenance.models import WorkOrder, WorkTimer
from facility.maintenance.service import get_work_order


def _my_open_order(session: Session, actor: User, order_id: int) -> WorkOrder:
    ensure_role(actor, *STAFF_ROLES)
    order = get_work_order(session, actor, order_id)
    if order.assignee_id != actor.id:
        raise Forbidden(_("Only the assignee times work on this work order."))
    if order.status not in OPEN_STATUSES:
        raise TimerConflict(_("This work order is closed."))
    return order


def running(session: Session, user_id: int, order_id: int) -> WorkTimer | None:
    query = select(WorkTimer).where(WorkTimer.work_order_id == order_id, WorkTimer.user_id == user_id)
    return session.exec(query).first()


def start(session: Session, actor: User, order_id: int, now: datetime | None = None) -> WorkTimer:
    """Start my timer on my work order; 409 if it already runs."""
    _my_open_order(session, actor, order_id)
    timer = WorkTimer(work_order_id=order_id, user_id=actor.id, started_at=now or utcnow())  # type: ignore[arg-type]
    try:
        with session.begin_nested():
            session.add(timer)
    except IntegrityError:
        raise TimerConflict(_("Your timer on this work order is already running.")) from None
    audit.record(session, actor, "work_order.timer_start", "work_order", order_id, after=timer)
    return timer


def stop(session: Session, actor: User, order_id: int, now: datetime | None = None) -> int:
    """Stop my timer and add the whole minutes elapsed to the order; returns them. 409 if none runs."""
    order = _my_open_order(session, actor, order_id)
    started = session.execute(
        delete(WorkTimer)
        .where(col(WorkTimer.work_order_id) == order_id, col(WorkTimer.user_id) == actor.id)
        .returning(col(WorkTimer.started_at))
    ).scalar_one_or_none()
    if started is None:
        raise TimerConflict(_("Your timer on this work order is not running."))
    minutes = max(0, int(((now or utcnow()) - started).total_seconds() // 60))
    before = audit.snapshot(order)
    session.execute(
        update(WorkOrder)
        .where(col(WorkOrder.id) == order_id)
        .values(minutes_spent=WorkOrder.minutes_spent + minutes, updated_at=utcnow())
    )
    session.refresh(order)
    audit.record(session, actor, "work_order.timer_stop", "work_order", order_id, before=before, after=order)
    return minutes
