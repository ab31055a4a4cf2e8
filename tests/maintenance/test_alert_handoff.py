"""Alert -> work order as an invariant the database holds: alerts committed out of id order by two
writers all become work, staff racing on one alert's button open one work order (PostgreSQL), and
finished work is not reopened beside its source's open one."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from facility.core.config import Settings
from facility.core.db import session_scope, utcnow
from facility.core.models import Role
from facility.maintenance.alerts import open_work_orders_for_alerts
from facility.maintenance.models import WorkOrder
from facility.sensors.models import Alert
from tests.booking.test_races import RACERS, THREADS, race
from tests.conftest import serve_app
from tests.factories import make_room, make_user, token_headers
from tests.sensors.factories import make_alert


@pytest.fixture
def postgresql(db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer at a time: its alerts commit in id order")


def _alert(session: Session, room_id: int, rule: str) -> Alert:
    alert = Alert(
        rule=rule, room_id=room_id, metric="co2", severity="warning", message="m", value=1, raised_at=utcnow()
    )
    session.add(alert)
    session.flush()  # the id is taken now; the commit comes later
    return alert


def _tick(engine: Engine) -> int:
    with session_scope(engine) as job:
        return open_work_orders_for_alerts(job, utcnow())


def test_alerts_committed_out_of_id_order_all_become_work(session: Session, engine: Engine, postgresql: None) -> None:
    leak_room, ups_room = make_room(session), make_room(session)
    with Session(engine) as gateway_a, Session(engine) as gateway_b:
        leak = _alert(gateway_a, leak_room.id, "water_leak").id  # type: ignore[arg-type]
        ups = _alert(gateway_b, ups_room.id, "equipment_fault").id  # type: ignore[arg-type]
        assert leak is not None and ups is not None and leak < ups
        gateway_b.commit()
        assert _tick(engine) == 1  # the later id, committed first
        gateway_a.commit()
    assert _tick(engine) == 1  # the earlier id, committed after the job's run
    session.rollback()
    orders = session.exec(select(WorkOrder.alert_id).order_by(WorkOrder.id)).all()
    assert orders == [ups, leak]
    assert _tick(engine) == 0


@pytest.fixture
def served(settings: Settings, postgresql: None) -> Iterator[str]:
    limits = {"worker_threads": THREADS, "max_concurrent_requests": THREADS - 2}
    with serve_app(settings.model_copy(update=limits)) as url:
        yield url


def test_staff_racing_on_one_alert_open_one_work_order(session: Session, served: str) -> None:
    alert = make_alert(session, room=make_room(session))
    crews = [make_user(session, role=Role.crew) for _ in range(RACERS)]
    path = f"/api/v1/alerts/{alert.id}/work-order"
    responses = race(served, [("POST", path, None, crew) for crew in crews])
    session.rollback()
    (order,) = session.exec(select(WorkOrder)).all()
    assert sorted(r.status_code for r in responses) == [201] + [409] * (RACERS - 1)
    named = {r.json()["id"] if r.status_code == 201 else r.json()["work_order_id"] for r in responses}
    assert named == {order.id}
    assert httpx.get(f"{served}/healthz", timeout=10).status_code == 200


def test_reopening_finished_work_while_its_source_has_open_work_is_409(client: TestClient, session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    key = "alert:co2_high:room:1"
    finished = WorkOrder(title="환기", status="done", source="alert", source_key=key)
    session.add_all([finished, WorkOrder(title="환기", status="open", source="alert", source_key=key)])
    session.commit()
    path = f"/api/v1/work-orders/{finished.id}/transition"
    response = client.post(path, json={"to": "in_progress"}, headers=token_headers(client, manager))
    assert response.status_code == 409, response.text
    session.rollback()
    assert session.get(WorkOrder, finished.id).status == "done"  # type: ignore[union-attr]
