from datetime import timedelta

from sqlmodel import Session, select

from facility.core.db import utcnow
from facility.maintenance.alerts import DEBOUNCE, open_work_orders_for_alerts
from facility.maintenance.models import WorkOrder
from facility.rooms.models import Room
from tests.factories import make_room
from tests.sensors.factories import make_alert


def _orders(session: Session) -> list[WorkOrder]:
    session.expire_all()
    return list(session.exec(select(WorkOrder).order_by(WorkOrder.id)).all())


def test_alert_opens_one_work_order_per_rule_and_room(session: Session) -> None:
    room: Room = make_room(session, kind="server_room")
    other = make_room(session)
    make_alert(session, room=room, rule="server_room_temperature")
    make_alert(session, room=room, rule="server_room_temperature")  # the same trouble again
    make_alert(session, room=other, rule="co2_high")
    now = utcnow()
    assert open_work_orders_for_alerts(session, now) == 2
    session.commit()
    orders = _orders(session)
    assert [o.source_key for o in orders] == [
        f"alert:server_room_temperature:room:{room.id}",
        f"alert:co2_high:room:{other.id}",
    ]
    assert all(o.source == "alert" and o.priority == "high" and o.room_id for o in orders)
    # The cursor moved on: running again opens nothing, and nothing is doubled.
    assert open_work_orders_for_alerts(session, now) == 0
    session.commit()
    assert len(_orders(session)) == 2


def test_new_alert_after_work_is_closed_and_debounce_passed(session: Session) -> None:
    room = make_room(session)
    make_alert(session, room=room, rule="water_leak")
    start = utcnow()
    open_work_orders_for_alerts(session, start)
    session.commit()
    order = _orders(session)[0]
    order.status = "verified"
    session.add(order)
    session.commit()
    make_alert(session, room=room, rule="water_leak")
    assert open_work_orders_for_alerts(session, start + timedelta(minutes=5)) == 0  # debounced
    session.commit()
    make_alert(session, room=room, rule="water_leak")
    assert open_work_orders_for_alerts(session, start + DEBOUNCE + timedelta(minutes=1)) == 1
    session.commit()
    assert len(_orders(session)) == 2


def test_condition_plan_gets_one_open_inspection_per_matching_alert(session: Session) -> None:
    from facility.maintenance.models import Inspection, MaintenancePlan
    from tests.maintenance.factories import make_template

    pool = make_room(session, kind="pool")
    elsewhere = make_room(session)
    template = make_template(session)
    plan = MaintenancePlan(
        name="수질 재검사", kind="condition", template_id=template.id, room_id=pool.id, alert_rule="pool_chlorine"
    )
    session.add(plan)
    session.commit()
    make_alert(session, room=elsewhere, rule="pool_chlorine")  # another room: not this plan
    make_alert(session, room=pool, rule="co2_high")  # another rule
    make_alert(session, room=pool, rule="pool_chlorine")
    make_alert(session, room=pool, rule="pool_chlorine")  # debounced: the first is still open
    open_work_orders_for_alerts(session, utcnow())
    session.commit()
    session.expire_all()
    inspections = session.exec(select(Inspection).where(Inspection.plan_id == plan.id)).all()
    assert len(inspections) == 1 and inspections[0].status == "open"
