"""The assignee's start/stop timer: stopping adds the whole minutes elapsed to the order's time
spent, one running timer per person per order, only on one's own open work; and the page buttons."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.db import utcnow
from facility.core.errors import Forbidden
from facility.core.models import AuditEntry, Role, User
from facility.maintenance import timers
from facility.maintenance.exceptions import TimerConflict
from facility.maintenance.models import WorkOrder, WorkTimer
from tests.factories import browser_login, csrf_from, make_user, token_headers


def _mine(session: Session, crew: User, status: str = "assigned") -> WorkOrder:
    order = WorkOrder(title="누수 점검", assignee_id=crew.id, status=status, minutes_spent=10)
    session.add(order)
    session.commit()
    return order


def test_stopping_adds_the_minutes_elapsed_and_one_timer_runs_at_a_time(session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    order = _mine(session, crew)
    start = utcnow()
    timers.start(session, crew, order.id, now=start)  # type: ignore[arg-type]
    with pytest.raises(TimerConflict):
        timers.start(session, crew, order.id, now=start + timedelta(minutes=1))  # type: ignore[arg-type]
    assert timers.stop(session, crew, order.id, now=start + timedelta(minutes=25, seconds=50)) == 25  # type: ignore[arg-type]
    with pytest.raises(TimerConflict):
        timers.stop(session, crew, order.id, now=start + timedelta(minutes=30))  # type: ignore[arg-type]
    session.commit()
    session.expire_all()
    assert session.get(WorkOrder, order.id).minutes_spent == 35  # type: ignore[union-attr]
    assert session.exec(select(WorkTimer)).all() == []
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "work_order")).all()
    assert actions == ["work_order.timer_start", "work_order.timer_stop"]


def test_only_the_assignee_times_open_work(session: Session) -> None:
    crew, other = make_user(session, role=Role.crew), make_user(session, role=Role.crew)
    order = _mine(session, crew)
    with pytest.raises(Forbidden):
        timers.start(session, other, order.id)  # type: ignore[arg-type]
    closed = _mine(session, crew, status="done")
    with pytest.raises(TimerConflict):
        timers.start(session, crew, closed.id)  # type: ignore[arg-type]


def test_timer_api_and_page_buttons(client: TestClient, session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    order = _mine(session, crew)
    headers = token_headers(client, crew)
    assert client.post(f"/api/v1/work-orders/{order.id}/timer/stop", headers=headers).status_code == 409
    started = client.post(f"/api/v1/work-orders/{order.id}/timer/start", headers=headers)
    assert started.status_code == 200, started.text
    again = client.post(f"/api/v1/work-orders/{order.id}/timer/start", headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "timer_conflict"
    browser_login(client, crew)
    page = client.get(f"/maintenance/work-orders/{order.id}").text
    assert 'data-testid="timer-running"' in page and 'data-testid="timer-stop"' in page
    token = csrf_from(client, f"/maintenance/work-orders/{order.id}")
    client.post(f"/maintenance/work-orders/{order.id}/timer/stop", data={"csrf_token": token})
    page = client.get(f"/maintenance/work-orders/{order.id}").text
    assert 'data-testid="timer-start"' in page and 'data-testid="timer-running"' not in page
    session.expire_all()
    assert session.exec(select(WorkTimer)).all() == []
