"""Idempotency-Key on creating POSTs: a retry gets the first answer and creates nothing."""

from __future__ import annotations

from datetime import date

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from facility.booking.models import Booking, FeeSchedule, Payment
from facility.core.config import Settings
from facility.core.models import IdempotencyKey, Role
from facility.core.security import issue_token
from facility.maintenance.models import WorkOrder
from tests.booking.helpers import next_weekday, slot
from tests.concurrent import fire_together, status_codes
from tests.conftest import serve_app
from tests.factories import make_room, make_user, token_headers

ORDER = {"title": "조명 교체", "priority": "high"}


def _orders(session: Session) -> int:
    session.commit()  # a fresh snapshot: the server committed in other connections
    return session.exec(select(func.count()).select_from(WorkOrder)).one()


def test_a_retry_gets_the_first_answer_and_creates_nothing(client: TestClient, session: Session) -> None:
    headers = {**token_headers(client, make_user(session, role=Role.manager)), "Idempotency-Key": "tablet-7f3a"}
    first = client.post("/api/v1/work-orders", json=ORDER, headers=headers)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/work-orders", json=ORDER, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert _orders(session) == 1
    # Without a key, or with another one, the same body creates another order.
    other_key = {**headers, "Idempotency-Key": "k2"}
    assert client.post("/api/v1/work-orders", json=ORDER, headers=other_key).status_code == 201
    assert _orders(session) == 2


def test_same_key_with_another_body_is_422(client: TestClient, session: Session) -> None:
    headers = {**token_headers(client, make_user(session, role=Role.manager)), "Idempotency-Key": "k-1"}
    assert client.post("/api/v1/work-orders", json=ORDER, headers=headers).status_code == 201
    other = client.post("/api/v1/work-orders", json={**ORDER, "title": "다른 작업"}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert _orders(session) == 1


def test_keys_belong_to_their_user(client: TestClient, session: Session) -> None:
    for _ in range(2):
        headers = {**token_headers(client, make_user(session, role=Role.crew)), "Idempotency-Key": "shared"}
        response = client.post("/api/v1/work-orders", json=ORDER, headers=headers)
        assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers
    assert _orders(session) == 2


def test_a_failed_request_leaves_its_key_free(client: TestClient, session: Session) -> None:
    headers = {**token_headers(client, make_user(session, role=Role.manager)), "Idempotency-Key": "k-9"}
    failed = client.post("/api/v1/work-orders", json={**ORDER, "asset_id": 999_999}, headers=headers)
    assert failed.status_code in (404, 422), failed.text
    assert session.exec(select(IdempotencyKey)).first() is None
    # The key now names the corrected request.
    fixed = client.post("/api/v1/work-orders", json=ORDER, headers=headers)
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed.headers


def test_a_key_still_in_progress_is_409_and_a_bad_key_422(client: TestClient, session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    headers = token_headers(client, manager)
    unfinished = client.post("/api/v1/work-orders", json=ORDER, headers={**headers, "Idempotency-Key": "k-5"})
    row = session.exec(select(IdempotencyKey)).one()
    row.status_code = None  # as if its request were still running, or its worker had died
    session.add(row)
    session.commit()
    assert unfinished.status_code == 201
    busy = client.post("/api/v1/work-orders", json=ORDER, headers={**headers, "Idempotency-Key": "k-5"})
    assert busy.status_code == 409 and busy.json()["code"] == "idempotency_in_progress"
    assert busy.headers["Retry-After"] == "1"
    bad = client.post("/api/v1/work-orders", json=ORDER, headers={**headers, "Idempotency-Key": "two words"})
    assert bad.status_code == 422
    assert _orders(session) == 1


def test_concurrent_duplicates_create_one_order(settings: Settings, session: Session) -> None:
    """Twelve copies of one keyed request at once through a real server: one order, no 5xx."""
    manager = make_user(session, role=Role.manager)
    headers = {
        "Authorization": f"Bearer {issue_token(settings.secret_key, manager.id)}",  # type: ignore[arg-type]
        "Idempotency-Key": "burst-1",
    }
    copies = 12
    with serve_app(settings) as url:
        answers = fire_together(
            url, copies, lambda http, _i: http.post("/api/v1/work-orders", json=ORDER, headers=headers)
        )
    codes = status_codes(answers)
    assert len(codes) == copies and set(codes) <= {201, 409}, codes
    created = [a.json() for a in answers if isinstance(a, httpx.Response) and a.status_code == 201]
    assert created and all(body == created[0] for body in created)
    assert _orders(session) == 1


def test_booking_and_payment_retries_create_one_of_each(client: TestClient, session: Session) -> None:
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=50_000))
    session.commit()
    renter = token_headers(client, make_user(session))
    manager = token_headers(client, make_user(session, role=Role.manager))
    day = next_weekday()
    booking = {"room_id": room.id, **slot(day, 10, 12), "title": "합창 연습", "attendees": 20}
    keyed = {**renter, "Idempotency-Key": "booking-1"}
    first = client.post("/api/v1/bookings", json=booking, headers=keyed)
    assert first.status_code == 201, first.text
    assert client.post("/api/v1/bookings", json=booking, headers=keyed).json() == first.json()
    session.commit()
    assert session.exec(select(func.count()).select_from(Booking)).one() == 1
    assert client.post(f"/api/v1/bookings/{first.json()['id']}/approve", headers=manager).status_code == 200
    invoice = client.get("/api/v1/invoices", headers=manager).json()[0]
    payment = {"amount": invoice["total"], "paid_on": date.today().isoformat()}
    keyed = {**manager, "Idempotency-Key": "payment-1"}
    paid = [client.post(f"/api/v1/invoices/{invoice['id']}/payments", json=payment, headers=keyed) for _ in range(2)]
    assert [p.status_code for p in paid] == [201, 201] and paid[0].json() == paid[1].json()
    session.commit()
    assert session.exec(select(func.count()).select_from(Payment)).one() == 1
