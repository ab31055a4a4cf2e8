"""Work orders: open, assign, move through their states, log time and parts, escalate."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from facility.core import accounts, audit, channels
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, STAFF_ROLES, Role, User
from facility.maintenance import assignment
from facility.maintenance.completion import Evidence, record_done
from facility.maintenance.exceptions import InvalidTransition, WorkOrderNotFound
from facility.maintenance.integrations import sync_room_block
from facility.maintenance.kinds import (
    CREW_MOVES,
    OPEN_STATUSES,
    TRANSITIONS,
    Priority,
    WorkOrderSource,
    WorkOrderStatus,
)
from facility.maintenance.models import Asset, Part, PartUsage, Photo, WorkOrder, WorkOrderComment
from facility.maintenance.schemas import WorkOrderCreate
from facility.rooms import service as rooms_service
from facility.rooms.kinds import RoomStatus
from facility.rooms.models import Room
from facility.sensors.models import Alert


def is_overdue(order: WorkOrder, now: datetime | None = None) -> bool:
    return order.due_at is not None and order.status in OPEN_STATUSES and order.due_at < (now or utcnow())


def create_work_order(
    session: Session,
    actor: User | None,
    data: WorkOrderCreate,
    *,
    source: WorkOrderSource = WorkOrderSource.manual,
    source_key: str = "",
    inspection_id: int | None = None,
    alert_id: int | None = None,
) -> WorkOrder:
    """Staff open a work order (the scheduler and checklists open them as the system).

    Generated work (not manual) without an assignee gets the building's assignment rule for its
    trade, so it lands under someone's "assigned to me" with its room.
    """
    if actor is not None:
        ensure_role(actor, *STAFF_ROLES)
    room_id, building_id, trade = data.room_id, None, data.trade
    if data.asset_id is not None:
        asset = session.get(Asset, data.asset_id)
        if asset is None:
            raise InvalidInput(_("Asset {asset} does not exist.", asset=data.asset_id))
        room_id = room_id or asset.room_id
        building_id = asset.building_id
        trade = trade or assignment.TRADE_OF_ASSET.get(asset.kind, "general")
    room = session.get(Room, room_id) if room_id is not None else None
    if room_id is not None and room is None:
        raise InvalidInput(_("Room {room} does not exist.", room=room_id))
    building_id = room.building_id if room is not None else building_id
    assignee_id = data.assignee_id
    if assignee_id is not None:
        if actor is not None and actor.role == Role.crew and assignee_id != actor.id:
            raise Forbidden(_("Only a manager may assign work to someone else."))
        _check_assignee(session, assignee_id)
    elif source != WorkOrderSource.manual:
        assignee_id = assignment.default_assignee(session, building_id, trade or "general")
    order = WorkOrder(
        **data.model_dump(exclude={"room_id", "priority", "assignee_id", "trade"}),
        room_id=room_id,
        assignee_id=assignee_id,
        trade=trade,
        priority=data.priority.value,
        status=(WorkOrderStatus.assigned if assignee_id else WorkOrderStatus.open).value,
        source=source.value,
        source_key=source_key,
        inspection_id=inspection_id,
        alert_id=alert_id,
        created_by=actor.id if actor else None,
    )
    session.add(order)
    session.flush()
    audit.record(session, actor, "work_order.create", "work_order", order.id, after=order)
    _after_change(session, actor, order)
    if assignee_id is not None:
        _tell_assignee(session, order)
    return order


def _tell_assignee(session: Session, order: WorkOrder) -> None:
    user = session.get(User, order.assignee_id) if order.assignee_id else None
    if user is not None:
        subject = _("Work order #{order} assigned to you: {title}", order=order.id, title=order.title)[:300]
        channels.notify_staff(session, [user.email], subject=subject, body=f"/maintenance/work-orders/{order.id}")


def assign_work_order(session: Session, actor: User, order_id: int, assignee_id: int) -> WorkOrder:
    """A manager gives open work to a staff member, or hands it from one to another. Assigning it
    to whom it already has changes nothing and tells nobody (the row is locked, so racing presses
    of one assignment notify once)."""
    ensure_role(actor, *MANAGING_ROLES)
    order = get_work_order(session, actor, order_id, lock=True)
    if order.status not in OPEN_STATUSES:
        raise InvalidTransition(
            _("A closed work order cannot be assigned."), extra={"from": order.status, "allowed": OPEN_STATUSES}
        )
    if order.assignee_id == _check_assignee(session, assignee_id).id:
        return order
    before = audit.snapshot(order)
    order.assignee_id = assignee_id
    if order.status == WorkOrderStatus.open.value:
        order.status = WorkOrderStatus.assigned.value
    order.updated_at = utcnow()
    session.add(order)
    session.flush()
    audit.record(session, actor, "work_order.assign", "work_order", order.id, before=before, after=order)
    _tell_assignee(session, order)
    return order


def _check_assignee(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in STAFF_ROLES:
        raise InvalidInput(_("The assignee must be an active staff member."), extra={"field": "assignee_id"})
    return user


def get_work_order(session: Session, viewer: User | None, order_id: int, *, lock: bool = False) -> WorkOrder:
    """A work order for staff; `lock` reads it FOR UPDATE, so a change decides on its current state
    and racing changes take turns (the loser then meets the new state: 409)."""
    ensure_role(viewer, *STAFF_ROLES)
    order = session.get(WorkOrder, order_id, with_for_update=lock or None, populate_existing=lock)
    if order is None:
        raise WorkOrderNotFound(_("Work order {order} not found.", order=order_id))
    return order


def list_work_orders(
    session: Session,
    viewer: User | None,
    *,
    status: str | None = None,
    assignee: int | None = None,
    room: int | None = None,
    asset: int | None = None,
    open_only: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[WorkOrder], int]:
    """Work orders, most urgent first; staff only."""
    ensure_role(viewer, *STAFF_ROLES)
    query = select(WorkOrder)
    if status:
        query = query.where(col(WorkOrder.status).in_(status.split(",")))
    elif open_only:
        query = query.where(col(WorkOrder.status).in_(OPEN_STATUSES))
    if assignee is not None:
        query = query.where(WorkOrder.assignee_id == assignee)
    if room is not None:
        query = query.where(WorkOrder.room_id == room)
    if asset is not None:
        query = query.where(WorkOrder.asset_id == asset)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(WorkOrder.due_at).is_(None), col(WorkOrder.due_at), col(WorkOrder.id).desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def transition(
    session: Session,
    actor: User,
    order_id: int,
    to: WorkOrderStatus,
    *,
    assignee_id: int | None = None,
    note: str = "",
    minutes_spent: int | None = None,
    signature: str | None = None,
    confirm_name: str = "",
) -> WorkOrder:
    """Move a work order to another state if the state machine and the actor's role allow it."""
    ensure_role(actor, *STAFF_ROLES)
    order = get_work_order(session, actor, order_id, lock=True)
    current = WorkOrderStatus(order.status)
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"A work order cannot go from {current.value} to {to.value}.",
            extra={"from": current.value, "allowed": sorted(s.value for s in TRANSITIONS[current])},
        )
    if actor.role == Role.crew and ((current, to) not in CREW_MOVES or order.assignee_id != actor.id):
        raise Forbidden(_("Only a manager may make this change, or it is not your work order."))
    before = audit.snapshot(order)
    if to == WorkOrderStatus.assigned:
        target = assignee_id or order.assignee_id
        if target is None:
            raise InvalidInput(_("Choose whom to assign the work order to."))
        order.assignee_id = _check_assignee(session, target).id
    elif to == WorkOrderStatus.open:
        order.assignee_id = None
    now = utcnow()
    if to == WorkOrderStatus.done:
        record_done(session, actor, order, Evidence(note, minutes_spent, signature, confirm_name))
        order.done_at = now
    if to == WorkOrderStatus.verified:
        order.verified_at = now
    if minutes_spent is not None:
        order.minutes_spent = minutes_spent
    order.status = to.value
    order.updated_at = now
    session.add(order)
    if note.strip():
        session.add(WorkOrderComment(work_order_id=order.id, author_id=actor.id, body=note.strip()))  # type: ignore[arg-type]
    session.flush()
    audit.record(session, actor, f"work_order.{to.value}", "work_order", order.id, before=before, after=order)
    _after_change(session, actor, order)
    return order


def _after_change(session: Session, actor: User | None, order: WorkOrder) -> None:
    # Only critical work moves the room's status, so a manager's own 'maintenance' mark survives
    # ordinary work orders in that room.
    if order.room_id is not None and order.priority == Priority.critical.value:
        sync_room_status(session, order.room_id)
    if order.needs_room:
        sync_room_block(session, actor, order)


def sync_room_status(session: Session, room_id: int) -> None:
    """A room with open critical work is under maintenance; it reopens when the last one closes."""
    critical = session.exec(
        select(func.count())
        .select_from(WorkOrder)
        .where(WorkOrder.room_id == room_id)
        .where(WorkOrder.priority == Priority.critical.value)
        .where(col(WorkOrder.status).in_(OPEN_STATUSES))
    ).one()
    room = session.get(Room, room_id)
    if room is None:
        return
    if critical and room.status == RoomStatus.open.value:
        rooms_service.set_room_status(session, None, room_id, RoomStatus.maintenance)
    elif not critical and room.status == RoomStatus.maintenance.value:
        rooms_service.set_room_status(session, None, room_id, RoomStatus.open)


def add_comment(session: Session, actor: User, order_id: int, body: str) -> WorkOrderComment:
    order = get_work_order(session, actor, order_id)
    if not body.strip():
        raise InvalidInput(_("Write a comment first."))
    comment = WorkOrderComment(work_order_id=order.id, author_id=actor.id, body=body.strip()[:2000])  # type: ignore[arg-type]
    session.add(comment)
    session.flush()
    audit.record(session, actor, "work_order.comment", "work_order", order.id, after=comment)
    return comment


def list_comments(session: Session, order_id: int) -> list[WorkOrderComment]:
    query = select(WorkOrderComment).where(WorkOrderComment.work_order_id == order_id)
    return list(session.exec(query.order_by(col(WorkOrderComment.id))))


def use_part(session: Session, actor: User, order_id: int, part_id: int, quantity: int) -> Part:
    """Book parts against a work order and take them off the stock; returns the part."""
    order = get_work_order(session, actor, order_id)
    part = session.get(Part, part_id, with_for_update=True, populate_existing=True)
    if part is None:
        raise InvalidInput(_("Part {part} does not exist.", part=part_id))
    if quantity < 1:
        raise InvalidInput(_("Quantity must be at least 1."))
    if part.on_hand < quantity:
        raise InvalidInput(
            _("Only {quantity} {unit} of {part} in stock.", quantity=part.on_hand, unit=part.unit, part=part.name_ko)
        )
    before = audit.snapshot(part)
    part.on_hand -= quantity
    session.add(part)
    session.add(PartUsage(work_order_id=order.id, part_id=part.id, quantity=quantity, used_by=actor.id))  # type: ignore[arg-type]
    session.flush()
    audit.record(session, actor, "part.use", "part", part.id, before=before, after=part)
    return part


def list_parts(session: Session) -> list[Part]:
    return list(session.exec(select(Part).order_by(Part.code)))


def low_stock(session: Session) -> list[Part]:
    return list(session.exec(select(Part).where(Part.on_hand <= Part.min_level).order_by(Part.code)))


def parts_used(session: Session, order_id: int) -> list[tuple[PartUsage, Part]]:
    query = (
        select(PartUsage, Part).join(Part, col(Part.id) == PartUsage.part_id).where(PartUsage.work_order_id == order_id)
    )
    return list(session.exec(query.order_by(col(PartUsage.id))).all())


def staff(session: Session) -> list[User]:
    """Active staff by name: who work can be assigned to."""
    return accounts.active_staff(session)


def named_in(session: Session, order: WorkOrder) -> dict[str, Room | Asset | User | Alert | None]:
    """The room, asset and assignee a work order names, by those names (for its page)."""
    return {
        "room": session.get(Room, order.room_id) if order.room_id else None,
        "asset": session.get(Asset, order.asset_id) if order.asset_id else None,
        "assignee": session.get(User, order.assignee_id) if order.assignee_id else None,
        "alert": session.get(Alert, order.alert_id) if order.alert_id else None,
    }


def photo_ids(session: Session, order_id: int) -> list[int]:
    return list(session.exec(select(Photo.id).where(Photo.work_order_id == order_id)).all())  # type: ignore[arg-type]


def managers(session: Session) -> list[User]:
    query = select(User).where(col(User.role).in_([r.value for r in MANAGING_ROLES]))
    return list(session.exec(query.where(col(User.active).is_(True))))


def count_overdue(session: Session, viewer: User | None, now: datetime | None = None) -> int:
    """Open work orders past their due time; staff only (the manager's today page)."""
    ensure_role(viewer, *STAFF_ROLES)
    query = select(func.count()).select_from(WorkOrder)
    query = query.where(col(WorkOrder.status).in_(OPEN_STATUSES), col(WorkOrder.due_at) < (now or utcnow()))
    return session.exec(query).one()
