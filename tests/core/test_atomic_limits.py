"""Limits and de-duplication held by the database (issue 26.9), raced as an attacker races them:
three times as many simultaneous requests as the served app has worker threads, on PostgreSQL
(SQLite serialises every write, so there the race cannot happen)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from facility.booking.models import WaitlistEntry
from facility.core.models import Role
from facility.core.outbox import OutboxMessage
from facility.maintenance import assets
from facility.maintenance import service as work_orders
from facility.maintenance.models import ProblemReport
from facility.maintenance.schemas import WorkOrderCreate
from tests.booking.helpers import next_weekday, seoul
from tests.booking.test_races import RACERS, Call, race
from tests.concurrent import fire_together, status_codes
from tests.factories import make_room, make_user, token_headers
from tests.maintenance.factories import make_asset

pytestmark = pytest.mark.slow


def _answers(url: str) -> None:
    assert httpx.get(f"{url}/healthz", timeout=30).status_code == 200


def test_concurrent_fault_reports_from_one_address_stop_at_the_limit(session: Session, raced: str) -> None:
    asset = make_asset(session)
    with httpx.Client(base_url=raced) as first:
        page = first.get(f"/a/{asset.code}")
        token = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        cookies = "; ".join(f"{name}={value}" for name, value in first.cookies.items())
    form = {"description": "물이 샙니다", "csrf_token": token}
    results = fire_together(
        raced,
        RACERS,
        lambda http, _i: http.post(f"/a/{asset.code}/report", data=form, headers={"Cookie": cookies}),
    )
    codes = status_codes(results)
    assert codes.count(200) == assets.REPORTS_PER_WINDOW and codes.count(429) == RACERS - 5, codes
    session.expire_all()
    assert session.exec(select(func.count()).select_from(ProblemReport)).one() == assets.REPORTS_PER_WINDOW
    _answers(raced)


def test_one_renter_joins_a_waitlist_slot_once(session: Session, raced: str) -> None:
    renter, room = make_user(session), make_room(session)
    day = next_weekday(14)
    body = {"room_id": room.id, "start": seoul(day, 10).isoformat(), "end": seoul(day, 12).isoformat(), "title": "대기"}
    codes = sorted(r.status_code for r in race(raced, [("POST", "/api/v1/waitlist", body, renter)] * RACERS))
    assert codes.count(201) == 1 and codes.count(409) == RACERS - 1, codes
    session.expire_all()
    assert session.exec(select(func.count()).select_from(WaitlistEntry)).one() == 1
    _answers(raced)


def test_assigning_a_work_order_to_its_assignee_again_tells_nobody(session: Session, raced: str) -> None:
    manager, crew = make_user(session, role=Role.manager), make_user(session, role=Role.crew)
    order = work_orders.create_work_order(session, manager, WorkOrderCreate(title="누수 점검"))
    session.commit()
    calls: list[Call] = [("POST", f"/api/v1/work-orders/{order.id}/assign", {"assignee_id": crew.id}, manager)] * RACERS
    assert {r.status_code for r in race(raced, calls)} == {200}
    session.expire_all()
    mails = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.to) == crew.email)
    assert session.exec(mails).one() == 1
    _answers(raced)


def test_waitlist_and_assignment_duplicates_one_by_one(client: TestClient, session: Session) -> None:
    """Both databases, one request after another: the second join is a 409, the second assignment
    a no-op; leaving the waitlist lets the renter join again."""
    renter, room = make_user(session), make_room(session)
    manager, crew = make_user(session, role=Role.manager), make_user(session, role=Role.crew)
    day = next_weekday(14)
    body = {"room_id": room.id, "start": seoul(day, 10).isoformat(), "end": seoul(day, 12).isoformat(), "title": "대기"}
    headers = token_headers(client, renter)
    first = client.post("/api/v1/waitlist", json=body, headers=headers)
    assert first.status_code == 201
    again = client.post("/api/v1/waitlist", json=body, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "already_waiting"
    assert client.delete(f"/api/v1/waitlist/{first.json()['id']}", headers=headers).status_code == 204
    assert client.post("/api/v1/waitlist", json=body, headers=headers).status_code == 201

    order = work_orders.create_work_order(session, manager, WorkOrderCreate(title="조명 교체"))
    session.commit()
    boss = token_headers(client, manager)
    for _ in range(3):
        assigned = client.post(f"/api/v1/work-orders/{order.id}/assign", json={"assignee_id": crew.id}, headers=boss)
        assert assigned.status_code == 200
    session.expire_all()
    mails = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.to) == crew.email)
    assert session.exec(mails).one() == 1
