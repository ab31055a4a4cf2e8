"""Generated work: one open work order per source (an alert's rule and room, a failed checklist
item), held by the partial unique index `uq_mnt_work_order_open_source`.

Insert first, under a savepoint; when the index refuses, the work order that won is returned. A
read before the insert could not hold it: two writers both read "none" and both insert.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from facility.core.models import User
from facility.maintenance import service as work_orders
from facility.maintenance.kinds import OPEN_STATUSES, WorkOrderSource
from facility.maintenance.models import WorkOrder
from facility.maintenance.schemas import WorkOrderCreate

UNIQUE_INDEX = "uq_mnt_work_order_open_source"


def open_work_order(session: Session, source_key: str) -> WorkOrder | None:
    """The source's open work order, if it has one."""
    query = select(WorkOrder).where(WorkOrder.source_key == source_key, col(WorkOrder.status).in_(OPEN_STATUSES))
    return session.exec(query).first()


def open_once(
    session: Session,
    actor: User | None,
    data: WorkOrderCreate,
    *,
    source: WorkOrderSource,
    source_key: str,
    inspection_id: int | None = None,
    alert_id: int | None = None,
) -> tuple[WorkOrder, bool]:
    """The source's open work order: a new one (True), or the one already open (False)."""
    try:
        with session.begin_nested():
            order = work_orders.create_work_order(
                session,
                actor,
                data,
                source=source,
                source_key=source_key,
                inspection_id=inspection_id,
                alert_id=alert_id,
            )
    except IntegrityError as error:
        existing = open_work_order(session, source_key) if _open_source_taken(error) else None
        if existing is None:
            raise
        return existing, False
    return order, True


def _open_source_taken(error: IntegrityError) -> bool:
    # PostgreSQL names the index; SQLite names the column.
    return UNIQUE_INDEX in str(error.orig) or "mnt_work_order.source_key" in str(error.orig)
