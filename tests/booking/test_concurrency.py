"""No double booking, ever: 50 simultaneous conflicting requests through the HTTP API."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from facility.booking.models import Booking, SpaceClaim
from facility.core.security import issue_token
from tests.booking.helpers import next_weekday, seoul
from tests.factories import make_room, make_user
from tests.keys import TEST_SECRET_KEY

SIMULTANEOUS = 50


@pytest.mark.slow
def test_fifty_simultaneous_requests_one_wins(session: Session, served: str) -> None:
    hall = make_room(session, kind="seminar_room", capacity=100)
    part = make_room(session, kind="seminar_room", capacity=50, parent=hall)
    renters = [make_user(session) for _ in range(SIMULTANEOUS)]
    headers = [
        {"Authorization": f"Bearer {issue_token(TEST_SECRET_KEY, r.id)}"}
        for r in renters  # type: ignore[arg-type]
    ]
    day = next_weekday()
    # Overlapping, not identical, requests: the whole hall and its part, shifted by half an hour.
    bodies = []
    for i in range(SIMULTANEOUS):
        start = seoul(day, 10) + timedelta(minutes=30 * (i % 3))
        bodies.append(
            {
                "room_id": (hall if i % 2 else part).id,
                "start": start.isoformat(),
                "end": (start + timedelta(hours=2)).isoformat(),
                "title": f"요청 {i}",
                "attendees": 30,
            }
        )
    barrier = threading.Barrier(SIMULTANEOUS)
    results: list[httpx.Response | BaseException] = [None] * SIMULTANEOUS  # type: ignore[list-item]

    def fire(i: int) -> None:
        with httpx.Client(base_url=served, timeout=60) as client:
            barrier.wait()
            try:
                results[i] = client.post("/api/v1/bookings", json=bodies[i], headers=headers[i])
            except BaseException as error:  # noqa: BLE001 - reported below
                results[i] = error

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(SIMULTANEOUS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    responses = [r for r in results if isinstance(r, httpx.Response)]
    assert len(responses) == SIMULTANEOUS, [r for r in results if not isinstance(r, httpx.Response)]
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1, codes
    assert codes.count(409) == SIMULTANEOUS - 1, codes
    for response in responses:
        if response.status_code == 409:
            body = response.json()
            assert body["code"] == "conflict"
            assert body["slot"]["start"] and body["slot"]["end"]
            assert body["conflicts"], body
            assert isinstance(body["alternatives"], list) and body["alternatives"], body
    session.expire_all()
    assert len(session.exec(select(Booking)).all()) == 1


def test_database_refuses_overlapping_claims(session: Session) -> None:
    """The guarantee lives in PostgreSQL itself, whatever the application checks."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite relies on BEGIN IMMEDIATE around the check")
    room = make_room(session)
    day = next_weekday()
    session.add(
        SpaceClaim(
            space_id=room.id,
            share_key=1,
            starts_at=seoul(day, 10),  # type: ignore[arg-type]
            ends_at=seoul(day, 12),
        )
    )
    session.commit()
    session.add(
        SpaceClaim(
            space_id=room.id,
            share_key=2,
            starts_at=seoul(day, 11),  # type: ignore[arg-type]
            ends_at=seoul(day, 13),
        )
    )
    with pytest.raises(IntegrityError, match="ex_space_claim_no_overlap"):
        session.commit()
    session.rollback()
    # Touching ranges are fine ([) ranges), and inactive claims do not count.
    session.add(
        SpaceClaim(
            space_id=room.id,
            share_key=3,
            starts_at=seoul(day, 12),  # type: ignore[arg-type]
            ends_at=seoul(day, 13),
        )
    )
    session.add(
        SpaceClaim(
            space_id=room.id,
            share_key=4,
            starts_at=seoul(day, 10),  # type: ignore[arg-type]
            ends_at=seoul(day, 13),
            active=False,
        )
    )
    session.commit()
    # Two blocks (share_key 0) may overlap.
    session.add(
        SpaceClaim(
            space_id=room.id,
            share_key=0,
            starts_at=seoul(day, 14),  # type: ignore[arg-type]
            ends_at=seoul(day, 16),
        )
    )
    session.add(
        SpaceClaim(
            space_id=room.id,
            share_key=0,
            starts_at=seoul(day, 15),  # type: ignore[arg-type]
            ends_at=seoul(day, 17),
        )
    )
    session.commit()
