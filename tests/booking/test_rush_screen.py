"""The rush-hour screen (core/one_hop.py) on PostgreSQL: a refused request costs one statement, its
memos served at the newest version the process has seen; a write committed since (by any process)
is still met by the very next request, through the version the clash query reads beside its answer
or the unit of work's own read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event
from sqlmodel import Session

from facility.booking import lottery
from facility.booking.models import FeeSchedule
from facility.core.models import Role, User
from facility.core.security import issue_token
from facility.rooms.models import Room
from tests.booking.helpers import next_weekday, seoul
from tests.core.test_memo import outside_write
from tests.factories import make_room, make_user
from tests.keys import TEST_SECRET_KEY

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


@pytest.fixture
def room(session: Session) -> Room:
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=50_000))
    session.commit()
    return room


def _headers(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(TEST_SECRET_KEY, user.id)}"}  # type: ignore[arg-type]


def _body(room: Room, hour: int, *, days: int = 7) -> dict[str, Any]:
    day = next_weekday(days)
    return {
        "room_id": room.id,
        "start": seoul(day, hour).isoformat(),
        "end": seoul(day, hour + 2).isoformat(),
        "title": "행사",
        "attendees": 5,
    }


class Statements:
    """The statements the app's engine sends while counting."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.sent = engine, []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.sent.append(statement)

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self)


@pytest.fixture
def taken(client: TestClient, session: Session, room: Room) -> Iterator[dict[str, Any]]:
    """A slot another organisation holds, asked for once already (the memos are warm)."""
    holder = make_user(session)
    body = _body(room, 10)
    assert client.post("/api/v1/bookings", json=body, headers=_headers(holder)).status_code == 201
    yield body


def _settle(client: TestClient, renter: User, taken: dict[str, Any]) -> None:
    """Refused twice after a read of the version: the renter's memos are as new as the newest
    version this process has seen, so the next refusal needs nothing read but the clash."""
    assert client.get("/api/v1/users/me", headers=_headers(renter)).status_code == 200
    for _ in range(2):
        assert client.post("/api/v1/bookings", json=taken, headers=_headers(renter)).status_code == 409


def test_a_refused_request_costs_one_statement(
    client: TestClient, session: Session, engine: Engine, taken: dict[str, Any]
) -> None:
    renter = make_user(session)
    _settle(client, renter, taken)
    with Statements(engine) as counted:
        response = client.post("/api/v1/bookings", json=taken, headers=_headers(renter))
    assert response.status_code == 409, response.text
    assert response.json()["alternatives"] is not None
    # The clash query alone: no version read, no BEGIN or ROLLBACK, no lottery or user read.
    assert len(counted.sent) == 1, counted.sent
    assert "space_claim" in counted.sent[0] and "read_model_version" in counted.sent[0]


def test_a_user_disabled_elsewhere_is_not_answered_from_the_presumed_version(
    client: TestClient, session: Session, engine: Engine, taken: dict[str, Any]
) -> None:
    """The screen would refuse the taken slot with a 409 from the user's memo as it was; the clash
    query's version shows a write since, so the request is screened again and refused as the
    disabled account it now is."""
    renter = make_user(session)
    _settle(client, renter, taken)
    outside_write(engine, f"UPDATE user_account SET active = false WHERE id = {renter.id}")
    assert client.post("/api/v1/bookings", json=taken, headers=_headers(renter)).status_code == 401


def test_a_rule_refusal_on_a_presumed_version_is_checked_by_a_read(
    client: TestClient, session: Session, engine: Engine, room: Room
) -> None:
    """A refusal that needs no query (the room closed to renters) reads the version before it
    stands: here a manager opened the room a moment ago in another process."""
    renter = make_user(session)
    outside_write(engine, f"UPDATE room SET bookable_external = false WHERE id = {room.id}")
    for _ in range(2):  # the second time, from memos as new as the newest version seen
        response = client.post("/api/v1/bookings", json=_body(room, 14), headers=_headers(renter))
        assert response.status_code == 422 and response.json()["code"] == "not_bookable"
    outside_write(engine, f"UPDATE room SET bookable_external = true WHERE id = {room.id}")
    with Statements(engine) as counted:
        response = client.post("/api/v1/bookings", json=_body(room, 14), headers=_headers(renter))
    assert response.status_code == 201, response.text
    assert any("read_model_version" in sql for sql in counted.sent)


def test_a_lottery_opened_after_the_memo_was_read_guards_its_slots_at_once(
    client: TestClient, session: Session, room: Room, taken: dict[str, Any]
) -> None:
    renter = make_user(session)
    manager = make_user(session, role=Role.manager)
    # The open-lottery memo is warm: this request was screened against it.
    assert client.post("/api/v1/bookings", json=taken, headers=_headers(renter)).status_code == 409
    now = datetime.now().astimezone()
    day = next_weekday(14)
    start = seoul(day, 9)
    data = lottery.LotteryCreate(
        room_id=room.id,  # type: ignore[arg-type]
        title="추첨",
        slots=[lottery.LotterySlot(start=start, end=start + timedelta(hours=2))],
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1),
    )
    drawn = lottery.create_lottery(session, manager, data)
    session.commit()
    body = {**taken, "start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    response = client.post("/api/v1/bookings", json=body, headers=_headers(renter))
    assert response.status_code == 409 and response.json()["code"] == "lottery_slot", response.text
    assert f"/lotteries/{drawn.id}" in response.json()["detail"]
