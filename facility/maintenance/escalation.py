"""Overdue work and inspections escalate to the managers, once each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, col, select

from facility.core import audit
from facility.core.models import User
from facility.maintenance import service as work_orders
from facility.maintenance.models import Inspection, WorkOrder

# Extra channels beside booking's e-mail outbox; each gets (session, managers, subject, body).
notifiers: list[Callable[[Session, list[User], str, str], None]] = []


def escalate_overdue(session: Session, now: datetime) -> int:
    """Mark overdue work orders and inspections as escalated and tell managers; returns count."""
    orders = session.exec(
        select(WorkOrder)
        .where(col(WorkOrder.status).in_(work_orders.OPEN_STATUSES))
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
        from facility.maintenance.integrations import email_managers  # it imports this module

        for notify in [email_managers, *notifiers]:
            notify(session, managers, subject, "\n".join(lines))
    return len(lines)
