"""Crew claim unassigned work: open work orders nobody has, in their trade and buildings.

The claim is one conditional UPDATE (`assignee_id IS NULL`), so of many crew pressing Claim on one
order at the same moment exactly one gets it and the rest meet 409. A crew member without a staff
profile (trade, buildings) may claim any unassigned open order; a profile narrows what they see
and may claim: an order of another trade, or in a building not theirs, is not theirs to take.
"""

from __future__ import annotations

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import Forbidden
from facility.core.i18n import gettext as _
from facility.core.models import STAFF_ROLES, Role, User
from facility.maintenance.exceptions import AlreadyClaimed
from facility.maintenance.kinds import WorkOrderStatus
from facility.maintenance.models import Asset, StaffProfile, WorkOrder
from facility.maintenance.service import get_work_order
from facility.rooms.models import Room

# The most claimable orders a day page lists (the board has the rest).
MAX_LISTED = 50


def _building_of(session: Session, order: WorkOrder) -> int | None:
    room = session.get(Room, order.room_id) if order.room_id else None
    if room is not None:
        return room.building_id
    asset = session.get(Asset, order.asset_id) if order.asset_id else None
    return asset.building_id if asset is not None else None


def may_claim(session: Session, user: User, order: WorkOrder) -> bool:
    """Unassigned, open, and (for crew with a profile) in their trade and buildings."""
    if order.assignee_id is not None or order.status != WorkOrderStatus.open.value:
        return False
    profile = session.get(StaffProfile, user.id) if user.role == Role.crew else None
    if profile is None:
        return True
    if profile.trade and order.trade and order.trade != profile.trade:
        return False
    building = _building_of(session, order)
    return not (profile.building_ids and building is not None and building not in profile.building_ids)


def claim(session: Session, actor: User, order_id: int) -> WorkOrder:
    """Take an unassigned open work order; audited. 409 if someone else got it first."""
    ensure_role(actor, *STAFF_ROLES)
    order = get_work_order(session, actor, order_id)
    if (
        order.assignee_id is None
        and order.status == WorkOrderStatus.open.value
        and not may_claim(session, actor, order)
    ):
        raise Forbidden(_("This work order is not in your trade or buildings."))
    before = audit.snapshot(order)
    won = session.execute(
        update(WorkOrder)
        .where(
            col(WorkOrder.id) == order_id,
            col(WorkOrder.assignee_id).is_(None),
            col(WorkOrder.status) == WorkOrderStatus.open.value,
        )
        .values(assignee_id=actor.id, status=WorkOrderStatus.assigned.value, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not won:
        raise AlreadyClaimed(_("Someone else has already taken this work order."))
    session.refresh(order)
    audit.record(session, actor, "work_order.claim", "work_order", order.id, before=before, after=order)
    return order


def claimable(session: Session, user: User, limit: int = MAX_LISTED) -> list[WorkOrder]:
    """Open unassigned work this staff member may claim, most urgent first."""
    ensure_role(user, *STAFF_ROLES)
    query = select(WorkOrder).where(
        col(WorkOrder.assignee_id).is_(None), col(WorkOrder.status) == WorkOrderStatus.open.value
    )
    profile = session.get(StaffProfile, user.id) if user.role == Role.crew else None
    if profile is not None and profile.trade:
        query = query.where(col(WorkOrder.trade).in_(["", profile.trade]))
    if profile is not None and profile.building_ids:
        query = (
            query.outerjoin(Room, col(Room.id) == WorkOrder.room_id)
            .outerjoin(Asset, col(Asset.id) == WorkOrder.asset_id)
            .where(
                or_(
                    col(Room.building_id).in_(profile.building_ids),
                    and_(col(Room.id).is_(None), col(Asset.building_id).in_(profile.building_ids)),
                    and_(col(Room.id).is_(None), col(Asset.id).is_(None)),
                )
            )
        )
    order = (col(WorkOrder.due_at).is_(None), col(WorkOrder.due_at), col(WorkOrder.id))
    return list(session.exec(query.order_by(*order).limit(limit)).all())
