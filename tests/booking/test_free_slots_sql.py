"""The campus-wide availability search on PostgreSQL (booking/free_slots_sql.py): each room's
answer is kept under its inputs and its claims' fingerprint, so a repeated search computes nothing
again, yet every change of claims (a booking, a cancellation, a move made by another process, a
part of a divisible hall) and of hours shows in the very next search, exactly as a cold search and
the Python path compute it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from facility.booking import availability, common, free_slots_sql
from facility.booking.api.availability import _slots_json
from facility.core.models import Role
from facility.rooms.models import OpeningHours, Room
from facility.rooms.plan import CampusPlan
from tests.booking.helpers import next_weekday, seoul
from tests.core.test_memo import outside_write
from tests.factories import make_room, make_user, token_headers

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    sent: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    yield sent
    event.remove(engine, "before_cursor_execute", note)


def _week() -> dict[str, str]:
    day = next_weekday(7)
    return {"start": seoul(day, 0).isoformat(), "end": seoul(day + timedelta(days=7), 0).isoformat()}


def _search(client: TestClient, headers: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    response = client.get("/api/v1/availability", params=_week(), headers=headers)
    assert response.status_code == 200, response.text
    return {item["room"]["code"]: [(f["start"], f["end"]) for f in item["free"]] for item in response.json()["items"]}


def _python_path(session: Session, rooms: list[Room]) -> dict[str, list[tuple[str, str]]]:
    """The same search computed in Python (the SQLite path), from committed data."""
    session.expire_all()
    window = _week()
    start, end = (datetime.fromisoformat(window[k]) for k in ("start", "end"))
    zone = common.local_zone()
    found = _slots_json(
        availability.free_epoch_slots(session, rooms, start, end, zone, campus=CampusPlan.read(session)), zone
    )
    session.rollback()
    return {room.code: [(f["start"], f["end"]) for f in json.loads(f"[{found.get(room.id, '')}]")] for room in rooms}


def _free_statements(sent: list[str]) -> int:
    return sum("range_agg" in statement for statement in sent)


def test_a_repeated_search_computes_nothing_and_every_change_shows_next_time(
    client: TestClient, session: Session, engine: Engine, statements: list[str]
) -> None:
    hall = make_room(session, kind="auditorium", code="HALL")
    east, west = make_room(session, parent=hall, code="HALL-E"), make_room(session, parent=hall, code="HALL-W")
    other = make_room(session, code="R-101")
    session.commit()
    rooms = [hall, east, west, other]
    manager = make_user(session, role=Role.manager)
    headers = token_headers(client, manager)
    free_slots_sql.forget_all()

    cold = _search(client, headers)
    assert cold == _python_path(session, rooms)
    assert _free_statements(statements) == 1
    statements.clear()
    assert _search(client, headers) == cold
    assert _free_statements(statements) == 0, "a repeated search computes no room again"

    # A booking of one half takes its time from that half and from the whole hall, not the other half.
    day = next_weekday(7)
    booked = client.post(
        "/api/v1/bookings",
        headers=headers,
        json={"room_id": east.id, "start": seoul(day, 10).isoformat(), "end": seoul(day, 12).isoformat(), "title": "t"},
    )
    assert booked.status_code == 201, booked.text
    statements.clear()
    after_booking = _search(client, headers)
    assert after_booking == _python_path(session, rooms)
    assert after_booking["HALL-E"] != cold["HALL-E"] and after_booking["HALL"] != cold["HALL"]
    assert after_booking["HALL-W"] == cold["HALL-W"] and after_booking["R-101"] == cold["R-101"]
    assert _free_statements(statements) == 1

    # Another process moves the claim an hour later: same number of claims, other times.
    outside_write(
        engine,
        f"UPDATE space_claim SET starts_at = starts_at + interval '1 hour', "
        f"ends_at = ends_at + interval '1 hour' WHERE space_id = {east.id}",
    )
    moved = _search(client, headers)
    assert moved == _python_path(session, rooms) and moved["HALL-E"] != after_booking["HALL-E"]

    # Cancelled: every room is free as before, from what was kept.
    cancelled = client.post(f"/api/v1/bookings/{booked.json()['id']}/cancel", headers=headers, json={"reason": "x"})
    assert cancelled.status_code == 200, cancelled.text
    assert _search(client, headers) == cold

    # New hours for one room change its answer alone.
    session.add_all(OpeningHours(room_id=other.id, weekday=d, opens=time(9), closes=time(18)) for d in range(7))
    session.commit()
    rehoured = _search(client, headers)
    assert rehoured == _python_path(session, rooms)
    assert rehoured["R-101"] != cold["R-101"] and rehoured["HALL"] == cold["HALL"]
