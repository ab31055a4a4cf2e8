from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from facility.core.db import utcnow
from facility.maintenance.meters import check_meter_plans, running_hours
from facility.maintenance.models import Inspection, MaintenancePlan
from facility.sensors.store.sql import SqlStore
from tests.factories import make_room
from tests.maintenance.factories import make_template
from tests.sensors.factories import make_device, write_readings


def test_pump_running_hours_trigger_one_inspection(session: Session, engine: Engine) -> None:
    plant = make_room(session, kind="plant_room", bookable_external=False)
    pump = make_device(session, room=plant, metrics="running")
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    start = now - timedelta(hours=10)
    # Running (1) for six whole hours, stopped (0) for the other four, a reading every 15 minutes.
    points = [(start + timedelta(minutes=15 * i), 1.0 if i < 24 else 0.0) for i in range(40)]
    write_readings(engine, pump, {"running": points})
    plan = MaintenancePlan(
        name="펌프 정비",
        kind="usage_meter",
        template_id=make_template(session).id,
        room_id=plant.id,
        meter_metric="running",
        threshold_hours=5,
        starts_at=start,
    )
    session.add(plan)
    session.commit()
    store = SqlStore(engine)
    assert abs(running_hours(session, store, plant.id, "running", start, now) - 6.0) < 1e-6
    assert check_meter_plans(session, store, now) == 1
    session.commit()
    assert check_meter_plans(session, store, now + timedelta(minutes=1)) == 0  # the count restarted
    session.commit()
    session.expire_all()
    assert len(session.exec(select(Inspection).where(Inspection.plan_id == plan.id)).all()) == 1
