"""Maintenance on top of the real booking service: room blocks, conflicts, usage plans, e-mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.booking import service as booking_service
from facility.booking.exceptions import BookingConflict
from facility.booking.models import Block
from facility.core.db import utcnow
from facility.core.models import Role, User
from facility.core.outbox import OutboxMessage
from facility.maintenance import escalation, integrations
from facility.maintenance import service as work_orders
from facility.maintenance.kinds import PlanKind, WorkOrderStatus
from facility.maintenance.models import Inspection, WorkOrder
from facility.maintenance.schemas import WorkOrderCreate
from facility.rooms.models import Room
from tests.booking.helpers import next_weekday, seoul
from tests.factories import make_room, make_user, token_headers
from tests.maintenance.factories import make_plan


def _staff_booking(session: Session, manager: User, room: Room, start_hour: int, end_hour: int) -> None:
    day = next_weekday()
    booking_service.request_booking(
        session,
        manager,
        {
            "room_id": room.id,
            "start": seoul(day, start_hour).isoformat(),
            "end": seoul(day, end_hour).isoformat(),
            "title": "교원 연수",
        },
    )
    session.commit()


def test_work_needing_the_room_blocks_it_until_done(session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    room = make_room(session)
    day = next_weekday()
    order = work_orders.create_work_order(
        session,
        manager,
        WorkOrderCreate(
            title="천장 누수 보수",
            room_id=room.id,
            needs_room=True,
            block_starts_at=seoul(day, 9),
            block_ends_at=seoul(day, 12),
        ),
    )
    session.commit()
    block = session.get(Block, order.block_id)
    assert block is not None and block.kind == "maintenance" and block.source_ref == f"work_order:{order.id}"
    # The booking calendar now refuses that slot to renters and staff alike.
    with pytest.raises(BookingConflict):
        _staff_booking(session, manager, room, 10, 11)
    session.rollback()
    order = session.get(WorkOrder, order.id)  # type: ignore[assignment]
    work_orders.transition(session, manager, order.id, WorkOrderStatus.cancelled)  # type: ignore[arg-type]
    assert order.block_id is None and session.get(Block, block.id).removed_at is not None  # type: ignore[union-attr]


def test_existing_bookings_come_back_as_a_conflict_to_choose_from(client: TestClient, session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    room = make_room(session)
    _staff_booking(session, manager, room, 10, 12)
    day = next_weekday()
    body = {
        "title": "조명 교체",
        "room_id": room.id,
        "needs_room": True,
        "block_starts_at": seoul(day, 9).isoformat(),
        "block_ends_at": seoul(day, 11).isoformat(),
    }
    response = client.post("/api/v1/work-orders", json=body, headers=token_headers(client, manager))
    assert response.status_code == 409, response.text
    assert [c["title"] for c in response.json()["conflicts"]] == ["교원 연수"]
    assert session.exec(select(WorkOrder)).all() == []  # nothing half-done: the manager decides
    body["block_starts_at"], body["block_ends_at"] = seoul(day, 13).isoformat(), seoul(day, 15).isoformat()
    moved = client.post("/api/v1/work-orders", json=body, headers=token_headers(client, manager))
    assert moved.status_code == 201 and moved.json()["block_id"] is not None


def test_usage_plan_opens_after_enough_booked_hours(session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    room = make_room(session)
    plan = make_plan(
        session,
        room=room,
        kind=PlanKind.usage_booked,
        starts_at=utcnow() - timedelta(days=1),
        threshold_hours=3,
    )
    _staff_booking(session, manager, room, 9, 11)
    after = seoul(next_weekday(), 23)
    assert integrations.check_usage_plans(session, after) == 0  # 2 hours: not yet
    _staff_booking(session, manager, room, 13, 15)
    assert integrations.check_usage_plans(session, after) == 1
    assert integrations.check_usage_plans(session, after) == 0  # one open occurrence at a time
    occurrence = session.exec(select(Inspection).where(Inspection.plan_id == plan.id)).one()
    assert occurrence.room_id == room.id and plan.usage_since == after


def test_escalation_mails_every_manager_through_the_outbox(session: Session) -> None:
    managers = [make_user(session, role=Role.manager), make_user(session, role=Role.admin)]
    work_orders.create_work_order(
        session, None, WorkOrderCreate(title="배수 펌프 점검", due_at=utcnow() - timedelta(hours=2))
    )
    assert escalation.escalate_overdue(session, utcnow()) == 1
    mails = session.exec(select(OutboxMessage)).all()
    assert sorted(m.to for m in mails) == sorted(m.email for m in managers)
    assert all("배수 펌프 점검" in m.body for m in mails)


def test_board_form_shows_the_bookings_in_the_way(client: TestClient, session: Session) -> None:
    from tests.factories import browser_login, csrf_from

    manager = make_user(session, role=Role.manager)
    room = make_room(session)
    _staff_booking(session, manager, room, 10, 12)
    browser_login(client, manager)
    day = next_weekday()
    form = {
        "title": "도장 작업",
        "room_id": str(room.id),
        "needs_room": "true",
        "block_starts_at": f"{day}T09:00",
        "block_ends_at": f"{day}T11:00",
        "csrf_token": csrf_from(client, "/maintenance/work-orders"),
    }
    response = client.post("/maintenance/work-orders", data=form)
    assert response.status_code == 409
    assert 'data-testid="conflicts"' in response.text and "교원 연수" in response.text
    assert 'value="도장 작업"' in response.text
    # The page rendered and its unit of work committed, yet the work order went with the savepoint.
    session.rollback()
    assert session.exec(select(WorkOrder).where(WorkOrder.title == "도장 작업")).first() is None
