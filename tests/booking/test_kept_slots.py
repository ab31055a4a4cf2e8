"""The campus-wide availability search keeps each room's answer under its inputs and claims
(booking/kept_slots.py; on PostgreSQL a fingerprint of the claims, booking/free_slots_sql.py;
elsewhere the claims themselves, booking/free_slots_local.py): a repeated search computes no room
again, yet every change of claims (a booking, a cancellation, a move made by another process, a
part of a divisible hall) and of hours shows in the very next search, exactly as computing every
room afresh in Python gives it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from facility.booking import availability, common, kept_slots
from facility.booking.free_slots_local import as_json
from facility.core.models import Role
from facility.rooms.models import OpeningHours, Room
from facility.rooms.plan import CampusPlan
from tests.booking.helpers import next_weekday, seoul
from tests.core.test_memo import outside_write
from tests.factories import make_room, make_user, token_headers


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[kept_slots.Key]]:
    """The keys of the rooms' answers computed (and kept) since the list was last cleared."""
    kept_slots.forget_all()
    keys: list[kept_slots.Key] = []
    keep = kept_slots.keep

    def counted(key: kept_slots.Key, slots: str) -> None:
        keys.append(key)
        keep(key, slots)

    monkeypatch.setattr(kept_slots, "keep", counted)
    yield keys
    kept_slots.forget_all()


def _week() -> dict[str, str]:
    day = next_weekday(7)
    return {"start": seoul(day, 0).isoformat(), "end": seoul(day + timedelta(days=7), 0).isoformat()}


def _search(client: TestClient, headers: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    response = client.get("/api/v1/availability", params=_week(), headers=headers)
    assert response.status_code == 200, response.text
    return {item["room"]["code"]: [(f["start"], f["end"]) for f in item["free"]] for item in response.json()["items"]}


def _afresh(session: Session, rooms: list[Room]) -> dict[str, list[tuple[str, str]]]:
    """The same search with every room computed afresh in Python, from committed data."""
    session.rollback()  # a new snapshot (SQLite's would still be the one before the last commit)
    window = _week()
    start, end = (datetime.fromisoformat(window[k]) for k in ("start", "end"))
    zone = common.local_zone()
    found = as_json(
        availability.free_epoch_slots(session, rooms, start, end, zone, campus=CampusPlan.read(session)), zone
    )
    session.rollback()
    return {room.code: [(f["start"], f["end"]) for f in json.loads(f"[{found.get(room.id, '')}]")] for room in rooms}


def test_a_repeated_search_computes_nothing_and_every_change_shows_next_time(
    client: TestClient, session: Session, engine: Engine, computed: list[kept_slots.Key]
) -> None:
    hall = make_room(session, kind="auditorium", code="HALL")
    east, west = make_room(session, parent=hall, code="HALL-E"), make_room(session, parent=hall, code="HALL-W")
    other = make_room(session, code="R-101")
    session.commit()
    rooms = [hall, east, west, other]
    other_id = other.id
    headers = token_headers(client, make_user(session, role=Role.manager))

    cold = _search(client, headers)
    assert cold == _afresh(session, rooms)
    assert len(computed) == len(rooms)
    computed.clear()
    assert _search(client, headers) == cold
    assert computed == [], "a repeated search computes no room again"

    # A booking of one half takes its time from that half and from the whole hall, not the other half.
    day = next_weekday(7)
    booked = client.post(
        "/api/v1/bookings",
        headers=headers,
        json={"room_id": east.id, "start": seoul(day, 10).isoformat(), "end": seoul(day, 12).isoformat(), "title": "t"},
    )
    assert booked.status_code == 201, booked.text
    after_booking = _search(client, headers)
    assert after_booking == _afresh(session, rooms)
    assert after_booking["HALL-E"] != cold["HALL-E"] and after_booking["HALL"] != cold["HALL"]
    assert after_booking["HALL-W"] == cold["HALL-W"] and after_booking["R-101"] == cold["R-101"]
    assert len(computed) == 2, "the half booked and the whole hall"

    # Another process moves the claim an hour later: as many claims as before, at other times.
    shift = (
        "datetime(starts_at, '+1 hour'), ends_at = datetime(ends_at, '+1 hour')"
        if engine.dialect.name == "sqlite"
        else "starts_at + interval '1 hour', ends_at = ends_at + interval '1 hour'"
    )
    outside_write(engine, f"UPDATE space_claim SET starts_at = {shift} WHERE space_id = {east.id}")
    moved = _search(client, headers)
    assert moved == _afresh(session, rooms) and moved["HALL-E"] != after_booking["HALL-E"]

    # Cancelled: every room is free as before, from what was kept.
    computed.clear()
    cancelled = client.post(f"/api/v1/bookings/{booked.json()['id']}/cancel", headers=headers, json={"reason": "x"})
    assert cancelled.status_code == 200, cancelled.text
    assert _search(client, headers) == cold
    assert computed == []

    # New hours for one room change its answer alone.
    with Session(engine) as writer:
        writer.add_all(OpeningHours(room_id=other_id, weekday=d, opens=time(9), closes=time(18)) for d in range(7))
        writer.commit()
    rehoured = _search(client, headers)
    assert rehoured == _afresh(session, rooms)
    assert rehoured["R-101"] != cold["R-101"] and rehoured["HALL"] == cold["HALL"]
    assert len(computed) == 1
