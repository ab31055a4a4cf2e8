"""Overdue work and inspections escalate to the managers, once each."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from facility.core import audit, channels
from facility.core.models import User
from facility.maintenance import service as work_orders
from facility.maintenance.kinds import OPEN_STATUSES
from facility.maintenance.models import Inspection, WorkOrder

# How the managers hear of it: (session, managers, subject, body).
Notifier = Callable[[Session, list[User], str, str], None]


def email_managers(session: Session, managers: list[User], subject: str, body: str) -> None:
    channels.notify_staff(session, [manager.email for manager in managers], subject=subject, body=body)


def escalate_overdue(session: Session, now: datetime, *, notifiers: Sequence[Notifier] = (email_managers,)) -> int:
    """Mark overdue work orders and inspections as escalated and tell managers; returns count."""
    orders = session.exec(
        select(WorkOrder)
        .where(col(WorkOrder.status).in_(OPEN_STATUSES))
        .where(col(WorkOrder.due_at) < now)
        .where(col(WorkOrder.escalated_at).is_(None))
    ).all()
    inspections = session.exec(
        select(Inspection)
        .where(Inspection.status == "open")
        .where(col(Inspection.due_at) < now)
        .where(col(Inspection.escalated_at).is_(None))
    ).all()
    lines = []
    rows: list[WorkOrder | Inspection] = [*orders, *inspections]
    for row in rows:
        entity = "work_order" if isinstance(row, WorkOrder) else "inspection"
        row.escalated_at = now
        session.add(row)
        audit.record(session, None, f"{entity}.escalate", entity, row.id, after={"due_at": row.due_at})
        title = row.title if isinstance(row, WorkOrder) else f"inspection #{row.id}"
        lines.append(f"- {entity} {row.id}: {title} (due {row.due_at:%Y-%m-%d %H:%M} UTC)")
    session.flush()
    if lines:
        managers = work_orders.managers(session)
        subject = f"[시설] 기한 경과 {len(lines)}건 / {len(lines)} overdue"
        for notify in notifiers:
            notify(session, managers, subject, "\n".join(lines))
    return len(lines)
