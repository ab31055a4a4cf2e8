"""Work that closes its loop: assignment rules, alerts linked both ways, completion evidence, the crew's day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from facility.core.errors import Forbidden
from facility.core.models import AuditEntry, Role
from facility.domains import connect_domains
from facility.maintenance import alerts as alert_orders
from facility.maintenance import assets, assignment
from facility.maintenance import service as work_orders
from facility.maintenance.exceptions import AlertHasWorkOrder, CompletionIncomplete
from facility.maintenance.kinds import AssetKind
from facility.maintenance.kinds import WorkOrderStatus as S
from facility.maintenance.myday import crew_day
from facility.maintenance.schemas import WorkOrderCreate
from facility.sensors import alert_work
from tests.factories import make_room, make_user
from tests.maintenance.factories import PNG_DATA_URL, make_asset, make_inspection, make_part, make_plan, make_template
from tests.sensors.factories import make_alert

SEOUL = ZoneInfo("Asia/Seoul")


def test_a_public_report_gets_the_buildings_assignee_and_place(session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    electrician, plumber = make_user(session, role=Role.crew), make_user(session, role=Role.crew)
    asset = make_asset(session, kind=AssetKind.pump)
    assignment.set_rule(session, manager, asset.building_id, "electrical", electrician.id)  # type: ignore[arg-type]
    assignment.set_rule(session, manager, asset.building_id, "mechanical", plumber.id)  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        assignment.set_rule(session, plumber, asset.building_id, "", plumber.id)  # type: ignore[arg-type]
    report = assets.report_problem(session, asset.code, description="물이 샙니다", reporter="", contact="", key="k")
    assets.triage_report(session, manager, report.id, accept=True)  # type: ignore[arg-type]
    order = work_orders.get_work_order(session, manager, report.work_order_id)  # type: ignore[arg-type]
    assert (order.assignee_id, order.status, order.trade) == (plumber.id, "assigned", "mechanical")
    assert order.room_id == asset.room_id
    work_orders.transition(session, plumber, order.id, S.in_progress)  # type: ignore[arg-type]  # crew can start it


def test_an_alert_work_order_is_linked_both_ways_and_assigned(session: Session) -> None:
    connect_domains()
    manager, crew = make_user(session, role=Role.manager), make_user(session, role=Role.crew)
    room = make_room(session)
    assignment.set_rule(session, manager, room.building_id, "", crew.id)  # type: ignore[arg-type]
    alert = make_alert(session, room=room)
    with pytest.raises(Forbidden):
        alert_orders.open_for_alert(session, make_user(session), alert.id)  # type: ignore[arg-type]
    order = alert_orders.open_for_alert(session, crew, alert.id)  # type: ignore[arg-type]
    assert (order.alert_id, order.room_id, order.assignee_id) == (alert.id, room.id, crew.id)
    assert work_orders.named_in(session, order)["alert"] == alert
    assert alert_work.work_orders_for(session, [alert]) == {alert.id: (order.id, "assigned")}
    with pytest.raises(AlertHasWorkOrder):
        alert_orders.open_for_alert(session, manager, alert.id)  # type: ignore[arg-type]
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "alert")).all()
    assert actions == ["alert.work_order"]


def test_the_alert_job_links_and_assigns_too(session: Session) -> None:
    manager, crew = make_user(session, role=Role.manager), make_user(session, role=Role.crew)
    room = make_room(session)
    assignment.set_rule(session, manager, room.building_id, "mechanical", crew.id)  # type: ignore[arg-type]
    alert = make_alert(session, room=room)  # co2_high: mechanical
    assert alert_orders.open_work_orders_for_alerts(session, datetime.now(UTC)) == 1
    order = work_orders.list_work_orders(session, manager)[0][0]
    assert (order.alert_id, order.assignee_id, order.room_id) == (alert.id, crew.id, room.id)


def test_done_needs_note_time_parts_and_a_name_or_signature(session: Session) -> None:
    manager, crew = make_user(session, role=Role.manager), make_user(session, role=Role.crew)
    data = WorkOrderCreate(title="배관", assignee_id=crew.id, needs_parts=True)
    order = work_orders.create_work_order(session, manager, data)
    work_orders.transition(session, crew, order.id, S.in_progress)  # type: ignore[arg-type]
    with pytest.raises(CompletionIncomplete) as refused:
        work_orders.transition(session, crew, order.id, S.done, confirm_name="someone else")  # type: ignore[arg-type]
    assert refused.value.status_code == 422
    assert set(refused.value.extra["fields"]) == {"note", "minutes_spent", "part_id", "confirm_name"}
    assert "조치 내용을 입력하세요" in refused.value.message and "본인 이름" in refused.value.message
    work_orders.use_part(session, crew, order.id, make_part(session).id, 1)  # type: ignore[arg-type]
    done = work_orders.transition(
        session,
        crew,
        order.id,  # type: ignore[arg-type]
        S.done,
        note="누수 배관 교체",
        minutes_spent=40,
        confirm_name=f"  {crew.full_name.upper()} ",
    )
    assert (done.status, done.minutes_spent, done.signed_by) == ("done", 40, crew.full_name.upper())


def test_a_drawn_signature_is_kept_as_evidence(session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    order = work_orders.create_work_order(session, None, WorkOrderCreate(title="전등", assignee_id=crew.id))
    work_orders.transition(session, crew, order.id, S.in_progress)  # type: ignore[arg-type]
    done = work_orders.transition(
        session,
        crew,
        order.id,
        S.done,
        note="교체",
        minutes_spent=5,
        signature=PNG_DATA_URL,  # type: ignore[arg-type]
    )
    assert done.signature_photo_id is not None and done.signed_by == crew.full_name


def test_managers_reassign_work_in_progress(session: Session) -> None:
    manager, first, second = (make_user(session, role=r) for r in (Role.manager, Role.crew, Role.crew))
    order = work_orders.create_work_order(session, manager, WorkOrderCreate(title="도색"))
    with pytest.raises(Forbidden):
        work_orders.assign_work_order(session, first, order.id, first.id)  # type: ignore[arg-type]
    work_orders.assign_work_order(session, manager, order.id, first.id)  # type: ignore[arg-type]
    work_orders.transition(session, first, order.id, S.in_progress)  # type: ignore[arg-type]
    moved = work_orders.assign_work_order(session, manager, order.id, second.id)  # type: ignore[arg-type]
    assert (moved.status, moved.assignee_id) == ("in_progress", second.id)


def test_crew_day_counts_overdue_and_names_the_place(session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    now = datetime(2026, 12, 2, 12, 0, tzinfo=SEOUL)  # a Wednesday
    template = make_template(session)
    upstairs, downstairs = make_room(session, code="U-301"), make_room(session, code="D-101")
    for day in (3, 10, 20):  # months-old and weeks-old: counted, not listed
        make_inspection(
            session,
            plan=make_plan(session, template=template, room=upstairs),
            due_at=datetime(2026, 11, day, 9, tzinfo=SEOUL),
        )
    today_up = make_inspection(
        session, plan=make_plan(session, template=template, room=upstairs), due_at=now.replace(hour=10)
    )
    today_down = make_inspection(
        session, plan=make_plan(session, template=template, room=downstairs), due_at=now.replace(hour=15)
    )
    friday = make_inspection(
        session, plan=make_plan(session, template=template, room=downstairs), due_at=now + timedelta(days=2)
    )
    make_inspection(
        session, plan=make_plan(session, template=template, room=downstairs), due_at=now + timedelta(days=7)
    )
    order = work_orders.create_work_order(
        session, None, WorkOrderCreate(title="문 수리", assignee_id=crew.id, due_at=now)
    )
    day = crew_day(session, crew, now.astimezone(UTC), SEOUL)
    assert (day.overdue_count, day.overdue_oldest) == (3, datetime(2026, 11, 3, 0, tzinfo=UTC))
    assert day.overdue == []
    assert [s.id for s in day.assigned] == [order.id]
    assert {s.id for s in day.today} == {today_up.id, today_down.id}
    assert [s.id for s in day.week] == [friday.id]
    titles = {s.title for s in day.today}
    assert len(titles) == 2 and all(t.startswith("수질검사 · ") for t in titles)  # same template, two rooms
    assert len(crew_day(session, crew, now.astimezone(UTC), SEOUL, with_overdue=True).overdue) == 3
