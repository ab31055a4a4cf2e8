"""The booking API: request, visibility by organisation, lifecycle, availability, audit."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.booking.models import FeeSchedule
from facility.core.models import AuditEntry, OrgKind, OrgStatus, Role
from tests.booking.helpers import next_weekday, seoul, slot
from tests.factories import make_organization, make_room, make_user, token_headers


def _body(room_id: int, day, start: int = 10, end: int = 12, **extra):  # type: ignore[no-untyped-def]
    return {
        "room_id": room_id,
        **slot(day, start, end),
        "title": "학부모 연수",
        "attendees": 20,
        **extra,
    }


def test_request_then_read_back_commits(client: TestClient, session: Session) -> None:
    renter = make_user(session)
    room = make_room(session)
    headers = token_headers(client, renter)
    day = next_weekday()
    response = client.post("/api/v1/bookings", json=_body(room.id, day), headers=headers)
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["status"] == "requested" and "price" in created and created["id"]
    assert created["start"] == seoul(day, 10).isoformat()
    again = client.get(f"/api/v1/bookings/{created['id']}", headers=headers)
    assert again.status_code == 200 and again.json()["title"] == "학부모 연수"


def test_conflict_is_409_with_slot_and_alternatives(client: TestClient, session: Session) -> None:
    room = make_room(session)
    make_room(session)  # a similar room free at the same time
    first, second = make_user(session), make_user(session)
    day = next_weekday()
    assert (
        client.post("/api/v1/bookings", json=_body(room.id, day), headers=token_headers(client, first)).status_code
        == 201
    )
    response = client.post("/api/v1/bookings", json=_body(room.id, day, 11, 13), headers=token_headers(client, second))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict" and body["detail"]
    assert body["slot"]["start"] == seoul(day, 11).isoformat()
    rooms_offered = {a["room_id"] for a in body["alternatives"]}
    assert room.id in rooms_offered and len(rooms_offered) == 2


def test_invalid_input_is_422_with_a_message(client: TestClient, session: Session) -> None:
    renter = make_user(session)
    room = make_room(session, capacity=10)
    private = make_room(session, bookable_external=False)
    headers = {**token_headers(client, renter), "Accept-Language": "en"}
    day = next_weekday()
    cases = [
        (_body(room.id, day, 12, 10), "after the start"),
        (_body(room.id, day, 5, 7), "opening hours"),
        (_body(room.id, day, attendees=11), "capacity"),
        (_body(private.id, day), "not bookable"),
        ({**_body(room.id, day), "start": "2030-01-01T10:00:00"}, "time zone"),
    ]
    for body, words in cases:
        response = client.post("/api/v1/bookings", json=body, headers=headers)
        assert response.status_code == 422, (words, response.text)
        assert words in response.json()["detail"].lower(), response.json()


def test_unapproved_organisation_and_holiday(client: TestClient, session: Session) -> None:
    pending_org = make_organization(session, status=OrgStatus.pending)
    renter = make_user(session, organization=pending_org)
    room = make_room(session)
    response = client.post(
        "/api/v1/bookings",
        json=_body(room.id, next_weekday()),
        headers=token_headers(client, renter),
    )
    assert response.status_code == 422 and response.json()["code"] == "org_not_approved"


def test_renter_sees_only_own_organisation(client: TestClient, session: Session) -> None:
    room = make_room(session)
    mine, theirs = make_user(session), make_user(session)
    day = next_weekday()
    own = client.post("/api/v1/bookings", json=_body(room.id, day, 9, 10), headers=token_headers(client, mine)).json()
    other = client.post(
        "/api/v1/bookings", json=_body(room.id, day, 14, 15), headers=token_headers(client, theirs)
    ).json()
    headers = token_headers(client, mine)
    listed = client.get("/api/v1/bookings", headers=headers).json()
    assert [b["id"] for b in listed["items"]] == [own["id"]]
    assert client.get(f"/api/v1/bookings/{other['id']}", headers=headers).status_code == 404
    manager = make_user(session, role=Role.manager)
    everything = client.get("/api/v1/bookings", headers=token_headers(client, manager)).json()
    assert everything["total"] == 2


def test_lifecycle_approve_reject_cancel_check_in(client: TestClient, session: Session) -> None:
    room = make_room(session)
    session.add(FeeSchedule(room_kind="lecture_room", hourly=50_000))
    session.commit()
    renter = make_user(session)
    manager = make_user(session, role=Role.manager)
    r_headers, m_headers = token_headers(client, renter), token_headers(client, manager)
    day = next_weekday()
    a = client.post("/api/v1/bookings", json=_body(room.id, day, 9, 11), headers=r_headers).json()
    b = client.post("/api/v1/bookings", json=_body(room.id, day, 13, 15), headers=r_headers).json()
    assert client.post(f"/api/v1/bookings/{a['id']}/approve", headers=r_headers).status_code == 403
    approved = client.post(f"/api/v1/bookings/{a['id']}/approve", headers=m_headers)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    no_reason = client.post(f"/api/v1/bookings/{b['id']}/reject", json={"reason": ""}, headers=m_headers)
    assert no_reason.status_code == 422
    rejected = client.post(f"/api/v1/bookings/{b['id']}/reject", json={"reason": "시설 점검"}, headers=m_headers)
    assert rejected.json()["status"] == "rejected" and rejected.json()["status_reason"] == "시설 점검"
    again = client.post(f"/api/v1/bookings/{b['id']}/approve", headers=m_headers)
    assert again.status_code == 409 and again.json()["code"] == "invalid_transition"
    invoices = client.get("/api/v1/invoices", headers=r_headers).json()
    assert len(invoices) == 1 and invoices[0]["total"] == 110_000  # 2 h × 50,000 + 10% VAT
    early = client.post(f"/api/v1/bookings/{a['id']}/check-in", headers=r_headers)
    assert early.status_code == 409  # check-in opens 30 minutes before the start
    cancelled = client.post(f"/api/v1/bookings/{a['id']}/cancel", json={}, headers=r_headers)
    assert cancelled.json()["status"] == "cancelled"
    actions = {e.action for e in session.exec(select(AuditEntry))}
    assert {
        "booking.requested",
        "booking.approved",
        "booking.rejected",
        "booking.cancelled",
        "invoice.issue",
        "invoice.void",
    } <= actions


def test_hold_then_submit(client: TestClient, session: Session) -> None:
    room = make_room(session)
    renter = make_user(session)
    headers = token_headers(client, renter)
    held = client.post("/api/v1/bookings", json=_body(room.id, next_weekday(), hold=True), headers=headers).json()
    assert held["status"] == "held" and held["hold_expires_at"]
    submitted = client.post(f"/api/v1/bookings/{held['id']}/submit", headers=headers)
    assert submitted.json()["status"] == "requested"


def test_availability_search_and_room_slots(client: TestClient, session: Session) -> None:
    big = make_room(session, capacity=100, code="BIG")
    make_room(session, capacity=10, code="SMALL")
    renter = make_user(session)
    day = next_weekday()
    client.post("/api/v1/bookings", json=_body(big.id, day, 10, 12), headers=token_headers(client, renter))
    params = {
        "start": seoul(day, 0).isoformat(),
        "end": seoul(day + timedelta(days=1), 0).isoformat(),
        "min_capacity": 50,
    }
    items = client.get("/api/v1/availability", params=params).json()["items"]
    assert [i["room"]["code"] for i in items] == ["BIG"]
    free = [(f["start"], f["end"]) for f in items[0]["free"]]
    # Default hours 07:00-22:00; 10-12 plus the 15-minute buffers, rounded to the half-hour grid.
    assert free == [
        (seoul(day, 7).isoformat(), seoul(day, 9, 30).isoformat()),
        (seoul(day, 12, 30).isoformat(), seoul(day, 22).isoformat()),
    ]
    one = client.get(f"/api/v1/rooms/{big.id}/availability", params=params).json()
    assert one["room"]["id"] == big.id and len(one["free"]) == 2
    too_long = {**params, "end": seoul(day + timedelta(days=60), 0).isoformat()}
    assert client.get("/api/v1/availability", params=too_long).status_code == 422


def test_no_reduction_without_a_verified_claim(client: TestClient, session: Session) -> None:
    room = make_room(session)
    session.add(FeeSchedule(room_kind="lecture_room", hourly=40_000, half_day=120_000))
    session.commit()
    school = make_organization(session, kind=OrgKind.education)
    renter = make_user(session, organization=school)
    created = client.post(
        "/api/v1/bookings",
        json=_body(room.id, next_weekday(), 9, 13),
        headers=token_headers(client, renter),
    ).json()
    # 4 h: half-day rate 120,000 beats 160,000 hourly; no reduction by the body's kind; VAT 10%.
    assert created["quote"]["subtotal"] == 120_000
    assert created["quote"]["net"] == 120_000 and created["price"] == 132_000


def test_out_of_range_values_are_422_not_500(client: TestClient, session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    headers = token_headers(client, manager)
    huge = 10**20
    assert client.get(f"/api/v1/bookings/{huge}", headers=headers).status_code == 422
    response = client.get("/api/v1/bookings", headers=headers, params={"start": "0001-01-01T00:00:00+09:00"})
    assert response.status_code == 422, response.text
    far = client.post(
        "/api/v1/bookings",
        headers=headers,
        json={
            "room_id": huge,
            "start": "9999-12-31T23:00:00-09:00",
            "end": "9999-12-31T23:30:00-09:00",
            "title": "t",
        },
    )
    assert far.status_code in (404, 422), far.text


def test_availability_for_a_recurring_slot(client: TestClient, session: Session) -> None:
    taken_room = make_room(session, code="A-1")
    make_room(session, code="A-2")
    renter = make_user(session)
    day = next_weekday(weeks=4)
    third = day + timedelta(days=14)
    client.post(
        "/api/v1/bookings",
        json=_body(taken_room.id, third, 10, 11),
        headers=token_headers(client, renter),
    )
    params = {
        "start": seoul(day, 10).isoformat(),
        "end": seoul(day, 12).isoformat(),
        "rrule": "FREQ=WEEKLY;COUNT=4",
    }
    items = client.get("/api/v1/availability", params=params).json()["items"]
    by_code = {i["room"]["code"]: i for i in items}
    assert by_code["A-2"]["all_free"] and len(by_code["A-2"]["free"]) == 4
    assert not by_code["A-1"]["all_free"] and len(by_code["A-1"]["free"]) == 3
    assert seoul(third, 10).isoformat() not in [f["start"] for f in by_code["A-1"]["free"]]
    assert [i["room"]["code"] for i in items][0] == "A-2"  # rooms free every time come first
    only = client.get("/api/v1/availability", params={**params, "only_free": "true"}).json()
    assert [i["room"]["code"] for i in only["items"]] == ["A-2"]
