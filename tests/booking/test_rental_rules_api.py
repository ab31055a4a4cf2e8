"""The lottery over the API and its pages, end to end: a manager opens it, renters apply, a direct
request for the drawn slot is refused, the draw publishes the seed and the order; a reduction
claim with its proof goes through the renter's page and the officer's queue."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.booking.rental_models import Lottery
from facility.core.models import Role
from tests.booking.helpers import next_weekday, seoul
from tests.factories import browser_login, csrf_from, make_room, make_user, token_headers


# The services are tested on both databases (test_rental_rules.py); the HTTP path once, on PostgreSQL.
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_lottery_api_from_opening_to_results(client: TestClient, session: Session) -> None:
    room = make_room(session)
    manager, first, second = make_user(session, role=Role.manager), make_user(session), make_user(session)
    day = next_weekday(10)
    now = datetime.now(UTC)
    as_manager, as_first, as_second = (token_headers(client, u) for u in (manager, first, second))
    body = {
        "room_id": room.id,
        "title": "토요일 강당",
        "slots": [{"start": seoul(day, 10).isoformat(), "end": seoul(day, 12).isoformat()}],
        "opens_at": (now - timedelta(hours=1)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat(),
    }
    assert client.post("/api/v1/lotteries", json=body, headers=as_first).status_code == 403
    created = client.post("/api/v1/lotteries", json=body, headers=as_manager)
    assert created.status_code == 201, created.text
    lottery_id = created.json()["id"]
    assert created.json()["seed"] is None and len(created.json()["seed_sha256"]) == 64

    for headers in (as_first, as_second):
        applied = client.post(
            f"/api/v1/lotteries/{lottery_id}/entries",
            json={"slot_index": 0, "title": "주민 설명회", "purpose": "resident_welfare"},
            headers=headers,
        )
        assert applied.status_code == 201, applied.text
    again = client.post(
        f"/api/v1/lotteries/{lottery_id}/entries",
        json={"slot_index": 0, "title": "x"},
        headers=as_first,
    )
    assert again.status_code == 409 and again.json()["code"] == "already_applied"
    direct = client.post(
        "/api/v1/bookings",
        json={"room_id": room.id, "start": seoul(day, 10).isoformat(), "end": seoul(day, 12).isoformat(), "title": "t"},
        headers=as_first,
    )
    assert direct.status_code == 409 and direct.json()["code"] == "lottery_slot"
    early = client.post(f"/api/v1/lotteries/{lottery_id}/draw", headers=as_manager)
    assert early.status_code == 409 and early.json()["code"] == "lottery_open"

    stored = session.get(Lottery, lottery_id)
    assert stored is not None
    stored.closes_at = now - timedelta(minutes=1)
    session.add(stored)
    session.commit()
    drawn = client.post(f"/api/v1/lotteries/{lottery_id}/draw", headers=as_manager)
    assert drawn.status_code == 200, drawn.text
    shown = client.get(f"/api/v1/lotteries/{lottery_id}").json()  # public, no sign-in
    assert shown["status"] == "drawn" and len(shown["seed"]) == 64
    assert sorted(e["outcome"] for e in shown["entries"]) == ["lost", "won"]
    assert len(shown["winners"]) == 1 and shown["winners"][0]["booking_id"]
    page = client.get(f"/lotteries/{lottery_id}")
    assert page.status_code == 200 and shown["seed"] in page.text


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_reduction_claim_page_and_officer_queue(client: TestClient, session: Session) -> None:
    room = make_room(session)
    renter, officer = make_user(session), make_user(session, role=Role.manager)
    as_renter, officer_headers = token_headers(client, renter), token_headers(client, officer)
    rates = {"room_id": room.id, "hourly": 50_000, "refund_table": [[7, 0], [3, 10], [1, 30], [0, 100]]}
    refused = client.post(
        "/api/v1/fee-schedules", json=rates | {"purpose_percent": {"political": 50}}, headers=officer_headers
    )
    assert refused.status_code == 422
    schedule = client.post(
        "/api/v1/fee-schedules", json=rates | {"purpose_percent": {"exam": 150}}, headers=officer_headers
    )
    assert schedule.status_code == 201 and schedule.json()["refund_table"][1] == [3, 10]
    day = next_weekday(5)
    booked = client.post(
        "/api/v1/bookings",
        json={"room_id": room.id, "start": seoul(day, 10).isoformat(), "end": seoul(day, 12).isoformat(), "title": "t"},
        headers=as_renter,
    ).json()
    browser_login(client, renter)
    token = csrf_from(client, f"/my/bookings/{booked['id']}")
    claimed = client.post(
        f"/my/bookings/{booked['id']}/reductions",
        data={"category": "disabled", "csrf_token": token},
        files={"proof": ("복지카드.pdf", b"%PDF-1.4 proof", "application/pdf")},
        follow_redirects=False,
    )
    assert claimed.status_code == 303, claimed.text
    queue = client.get("/api/v1/reductions", headers=officer_headers).json()
    assert [(c["booking_id"], c["percent"], c["status"]) for c in queue] == [(booked["id"], 50, "pending")]
    held = client.post(f"/api/v1/bookings/{booked['id']}/approve", headers=officer_headers)
    assert held.status_code == 409 and held.json()["code"] == "reduction_pending"
    decided = client.post(
        f"/api/v1/reductions/{queue[0]['id']}/decision", json={"verified": True}, headers=officer_headers
    )
    assert decided.status_code == 200, decided.text
    approved = client.post(f"/api/v1/bookings/{booked['id']}/approve", headers=officer_headers).json()
    assert approved["price"] == 55_000 and approved["quote"]["reduction"] == "disabled"
    proof = base64.b64encode(b"x").decode()
    late = client.post(
        f"/api/v1/bookings/{booked['id']}/reductions",
        json={"category": "government", "proof_name": "a.pdf", "proof_type": "application/pdf", "proof_base64": proof},
        headers=as_renter,
    )
    assert late.status_code == 409  # the price is final once approved
