from datetime import timedelta

import pytest
from sqlmodel import Session, select

from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput
from facility.core.models import AuditEntry, Role
from facility.maintenance import escalation
from facility.maintenance import service as work_orders
from facility.maintenance.exceptions import InvalidTransition
from facility.maintenance.kinds import Priority, WorkOrderStatus
from facility.maintenance.schemas import WorkOrderCreate
from facility.rooms import service as rooms_service
from facility.rooms.kinds import RoomStatus
from facility.rooms.models import Room
from tests.factories import make_room, make_user
from tests.maintenance.factories import make_asset, make_part

S = WorkOrderStatus


def test_full_lifecycle_with_roles_and_audit(session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    crew = make_user(session, role=Role.crew)
    other_crew = make_user(session, role=Role.crew)
    asset = make_asset(session)
    order = work_orders.create_work_order(session, crew, WorkOrderCreate(title="누수", asset_id=asset.id))
    assert order.status == "open" and order.room_id == asset.room_id

    with pytest.raises(Forbidden):
        work_orders.transition(session, crew, order.id, S.assigned, assignee_id=crew.id)
    work_orders.transition(session, manager, order.id, S.assigned, assignee_id=crew.id)
    with pytest.raises(Forbidden):
        work_orders.transition(session, other_crew, order.id, S.in_progress)
    work_orders.transition(session, crew, order.id, S.in_progress)
    work_orders.transition(session, crew, order.id, S.on_hold, note="부품 대기")
    work_orders.transition(session, crew, order.id, S.in_progress)
    done = work_orders.transition(
        session, crew, order.id, S.done, minutes_spent=45, note="밸브 교체", confirm_name=crew.full_name
    )
    assert done.done_at is not None and done.minutes_spent == 45
    with pytest.raises(Forbidden):
        work_orders.transition(session, crew, order.id, S.verified)
    verified = work_orders.transition(session, manager, order.id, S.verified)
    assert verified.status == "verified"
    with pytest.raises(InvalidTransition) as error:
        work_orders.transition(session, manager, order.id, S.cancelled)
    assert error.value.extra["allowed"] == []
    assert [c.body for c in work_orders.list_comments(session, order.id)] == ["부품 대기", "밸브 교체"]
    actions = session.exec(
        select(AuditEntry.action).where(AuditEntry.entity == "work_order").order_by(AuditEntry.id)
    ).all()
    assert actions[0] == "work_order.create" and actions[-1] == "work_order.verified"


def test_assignee_must_be_staff(session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    renter = make_user(session, role=Role.renter)
    order = work_orders.create_work_order(session, manager, WorkOrderCreate(title="x"))
    with pytest.raises(InvalidInput):
        work_orders.transition(session, manager, order.id, S.assigned, assignee_id=renter.id)
    with pytest.raises(Forbidden):
        work_orders.list_work_orders(session, renter)


def test_critical_work_puts_room_under_maintenance_until_closed(session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    room = make_room(session)
    first = work_orders.create_work_order(
        session, manager, WorkOrderCreate(title="정전", room_id=room.id, priority=Priority.critical)
    )
    second = work_orders.create_work_order(
        session, manager, WorkOrderCreate(title="누전", room_id=room.id, priority=Priority.critical)
    )
    assert session.get(Room, room.id).status == "maintenance"  # type: ignore[union-attr]
    work_orders.transition(session, manager, first.id, S.cancelled)
    assert session.get(Room, room.id).status == "maintenance"  # type: ignore[union-attr]
    work_orders.transition(session, manager, second.id, S.cancelled)
    assert session.get(Room, room.id).status == "open"  # type: ignore[union-attr]
    # A manager's own 'under maintenance' mark is not undone by ordinary work in the room.
    rooms_service.set_room_status(session, manager, room.id, RoomStatus.maintenance)  # type: ignore[arg-type]
    routine = work_orders.create_work_order(session, manager, WorkOrderCreate(title="청소", room_id=room.id))
    work_orders.transition(session, manager, routine.id, S.cancelled)
    assert session.get(Room, room.id).status == "maintenance"  # type: ignore[union-attr]


def test_parts_leave_stock_and_warn_when_low(session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    part = make_part(session, on_hand=3, min_level=1)
    order = work_orders.create_work_order(session, crew, WorkOrderCreate(title="필터"))
    work_orders.use_part(session, crew, order.id, part.id, 2)  # type: ignore[arg-type]
    assert part.on_hand == 1 and part in work_orders.low_stock(session)
    with pytest.raises(InvalidInput):
        work_orders.use_part(session, crew, order.id, part.id, 5)  # type: ignore[arg-type]
    assert [(u.quantity, p.code) for u, p in work_orders.parts_used(session, order.id)] == [(2, part.code)]


def test_overdue_work_escalates_once_to_managers(session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    order = work_orders.create_work_order(
        session, manager, WorkOrderCreate(title="점검", due_at=utcnow() - timedelta(hours=1))
    )
    work_orders.create_work_order(session, manager, WorkOrderCreate(title="later", due_at=utcnow() + timedelta(days=1)))
    sent: list[tuple[list[str], str]] = []
    notifiers = [lambda _s, managers, subject, body: sent.append(([m.email for m in managers], body))]
    assert escalation.escalate_overdue(session, utcnow(), notifiers=notifiers) == 1
    assert escalation.escalate_overdue(session, utcnow(), notifiers=notifiers) == 0
    assert order.escalated_at is not None
    assert sent and sent[0][0] == [manager.email] and "점검" in sent[0][1]
