from sqlmodel import Session, func, select

from facility.demo.load import load_demo_campus
from facility.maintenance.catalogue import template_by_code
from facility.maintenance.demo import load_demo_assets
from facility.maintenance.models import Asset, Inspection, MaintenancePlan


def test_demo_assets_plans_and_history_load_once(session: Session) -> None:
    load_demo_campus(session)
    first = load_demo_assets(session)
    assert first["assets"] > 300 and first["templates"] == 13 and first["plans_created"] > 40
    again = load_demo_assets(session)
    assert again["plans_created"] == 0
    assert session.exec(select(func.count()).select_from(Asset)).one() == first["assets"]
    boiler_pump = session.exec(select(Asset).where(Asset.code == "PMP-BLR-1")).one()
    assert session.get(Asset, boiler_pump.parent_id).code == "BLR-1"  # type: ignore[union-attr]
    # Occurrences since 1 January, all open: the demo's history (tests/test_demo_past.py) settles them.
    statuses = dict(session.exec(select(Inspection.status, func.count()).group_by(Inspection.status)).all())
    assert statuses["open"] > 50
    lift = template_by_code(session, "lift-self")
    assert lift is not None and lift.verify_regulation and "승강기" in lift.law
    assert session.exec(select(MaintenancePlan).where(MaintenancePlan.kind == "usage_booked")).first()
