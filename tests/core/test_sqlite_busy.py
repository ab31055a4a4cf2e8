"""No write on a GET, and SQLite's "database is locked" is a 503 with Retry-After, never a 500.

Another connection (the gateway, the scheduler, another worker) holds SQLite's single write lock
while the app is asked: a page view still reads (WAL readers do not wait for the writer), and a
write that cannot get the lock within the busy timeout is told to retry."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from facility.app import create_app
from facility.booking import service
from facility.core.config import Settings
from facility.core.models import Role
from tests.booking.helpers import next_weekday, seoul
from tests.factories import browser_login, csrf_from, make_room, make_user, token_headers

ON_SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
# Low enough that a refused write answers at once, high enough never to matter for the reads.
BUSY_TIMEOUT_MS = 200


@contextmanager
def write_lock_held(db_url: str) -> Iterator[None]:
    """Another connection holds the database's write lock, as a writing gateway would."""
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None, timeout=0)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.rollback()
        holder.close()


@contextmanager
def writes_counted(engine: Engine) -> Iterator[list[str]]:
    """Every INSERT, UPDATE or DELETE the engine runs inside the block."""
    writes: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield writes
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def quick_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"db_lock_timeout_ms": BUSY_TIMEOUT_MS}))) as client:
        yield client


def requested_booking(session: Session) -> int:
    renter = make_user(session)
    day = next_weekday()
    booking = service.request_booking(
        session,
        renter,
        {"room_id": make_room(session).id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "총회"},
    )
    session.commit()
    return booking.id  # type: ignore[return-value]


def test_the_booking_pages_write_nothing_on_a_get(client: TestClient, session: Session) -> None:
    booking_id = requested_booking(session)
    browser_login(client, make_user(session, role=Role.manager))
    with writes_counted(client.app.state.engine) as writes:  # type: ignore[attr-defined]
        first = client.get(f"/manage/bookings/{booking_id}")
        again = client.get(f"/manage/bookings/{booking_id}")
    assert first.status_code == again.status_code == 200
    assert writes == []
    # The link shown is stable and opens the room's feed.
    link = first.text.split('data-testid="org-feed"', 1)[0].rsplit('value="', 1)[1].split('"', 1)[0]
    assert link in again.text and client.get(link.removeprefix("http://testserver")).status_code == 200


def test_the_renters_page_writes_nothing_on_a_get(client: TestClient, session: Session) -> None:
    browser_login(client, make_user(session))
    with writes_counted(client.app.state.engine) as writes:  # type: ignore[attr-defined]
        page = client.get("/my/bookings")
    assert page.status_code == 200 and 'data-testid="org-feed"' in page.text
    assert writes == []


@ON_SQLITE
def test_a_page_view_reads_while_another_process_writes(
    quick_client: TestClient, session: Session, db_url: str
) -> None:
    booking_id = requested_booking(session)
    browser_login(quick_client, make_user(session, role=Role.manager))
    with write_lock_held(db_url):
        page = quick_client.get(f"/manage/bookings/{booking_id}")
    assert page.status_code == 200, page.text


@ON_SQLITE
def test_a_write_that_meets_the_lock_is_told_to_retry(quick_client: TestClient, session: Session, db_url: str) -> None:
    room = make_room(session)
    renter = make_user(session)
    bearer = token_headers(quick_client, renter)
    browser_login(quick_client, renter)
    token = csrf_from(quick_client)
    day = next_weekday()
    form = {"day": day.isoformat(), "start": "10:00", "end": "12:00", "title": "모임", "attendees": "5"}
    body = {"room_id": room.id, "start": seoul(day, 14).isoformat(), "end": seoul(day, 16).isoformat(), "title": "x"}
    with write_lock_held(db_url):
        page = quick_client.post(f"/book/rooms/{room.id}/new", data={**form, "csrf_token": token})
        api = quick_client.post("/api/v1/bookings", json=body, headers=bearer)
    assert page.status_code == 503 and page.headers["Retry-After"] == "1"
    assert "서버가 혼잡합니다" in page.text  # translated, in the default language
    assert api.status_code == 503 and api.headers["Retry-After"] == "1" and api.json()["code"] == "busy"
    # Once the lock is free, the same post goes through.
    again = quick_client.post(f"/book/rooms/{room.id}/new", data={**form, "csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303, again.text
