"""A booking moved to another room (API and the calendar's form), and a block placed from the calendar."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.booking import claims
from facility.booking.models import Block, Booking, FeeSchedule, Invoice
from facility.core.models import AuditEntry, Role
from tests.booking.helpers import next_weekday, seoul, slot
from tests.factories import browser_login, make_room, make_user, token_headers


def _body(room_id: int, day, start: int, end: int):  # type: ignore[no-untyped-def]
    return {"room_id": room_id, **slot(day, start, end), "title": "학부모 연수", "attendees": 20}


def test_api_moves_a_booking_to_another_room_requotes_it_and_refuses_a_clash(
    client: TestClient, session: Session
) -> None:
    small, large, busy = make_room(session, code="S-1"), make_room(session, code="L-1"), make_room(session, code="B-1")
    session.add_all([FeeSchedule(room_id=small.id, hourly=40_000), FeeSchedule(room_id=large.id, hourly=60_000)])
    session.commit()
    renter, manager = make_user(session), make_user(session, role=Role.manager)
    r_headers, m_headers = token_headers(client, renter), token_headers(client, manager)
    day = next_weekday()
    mine = client.post("/api/v1/bookings", json=_body(small.id, day, 9, 11), headers=r_headers).json()
    other = client.post("/api/v1/bookings", json=_body(busy.id, day, 9, 11), headers=r_headers).json()
    assert client.post(f"/api/v1/bookings/{mine['id']}/approve", headers=m_headers).status_code == 200
    to_large = {**slot(day, 9, 11), "room_id": large.id}
    by_renter = client.post(f"/api/v1/bookings/{mine['id']}/move", json=to_large, headers=r_headers)
    assert by_renter.status_code == 403

    moved = client.post(f"/api/v1/bookings/{mine['id']}/move", json=to_large, headers=m_headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["room_id"] == large.id and moved.json()["price"] == 132_000  # 2 h × 60,000 + VAT
    bills = {i.status: i.total for i in session.exec(select(Invoice).where(Invoice.booking_id == mine["id"]))}
    assert bills == {"void": 88_000, "issued": 132_000}
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "booking.move")).one()
    assert entry.before["room_id"] == small.id and entry.after["room_id"] == large.id  # type: ignore[index]

    clash = client.post(
        f"/api/v1/bookings/{other['id']}/move", json={**slot(day, 10, 12), "room_id": large.id}, headers=m_headers
    )
    assert clash.status_code == 409 and clash.json()["code"] == "conflict", clash.text
    session.commit()  # end this session's read snapshot
    session.expire_all()
    assert session.get(Booking, other["id"]).room_id == busy.id  # type: ignore[union-attr]
    nowhere = client.post(
        f"/api/v1/bookings/{other['id']}/move", json={**slot(day, 9, 11), "room_id": 999_999}, headers=m_headers
    )
    assert nowhere.status_code == 404


def test_calendar_form_moves_to_a_room_says_why_not_in_place_and_places_a_block(
    client: TestClient, session: Session
) -> None:
    first, second = make_room(session, code="C-1"), make_room(session, code="C-2")
    day = next_weekday()
    moving = Booking(
        room_id=first.id, title="합창 연습", starts_at=seoul(day, 9), ends_at=seoul(day, 11), status="approved"
    )  # type: ignore[arg-type]
    staying = Booking(
        room_id=second.id, title="회의", starts_at=seoul(day, 13), ends_at=seoul(day, 15), status="approved"
    )  # type: ignore[arg-type]
    session.add_all([moving, staying])
    session.flush()
    for room, booking in ((first, moving), (second, staying)):
        claims.insert_claims(session, claims.booking_claims(session, room, booking))
    session.commit()
    browser_login(client, make_user(session, role=Role.manager))
    path = f"/manage/calendar?start={day.isoformat()}"
    page = client.get(path).text
    assert f'id="move-room-{moving.id}" name="room" list="cal-rooms" value="C-1"' in page
    assert '<datalist id="cal-rooms"><option value="C-1">' in page
    assert 'data-testid="cal-new-block"' in page and 'name="last_day"' in page
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": token, "day": day.isoformat(), "start": "14:00", "end": "16:00", "return_to": path}

    refused = client.post(f"/manage/bookings/{moving.id}/move", data=form | {"room": "C-2"}, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == path
    shown = client.get(path).text
    assert "옮기지 못했습니다" in shown, shown.split('id="toasts"', 1)[1][:600]
    session.commit()  # end this session's read snapshot
    session.expire_all()
    assert session.get(Booking, moving.id).room_id == first.id  # type: ignore[union-attr]

    moved = client.post(
        f"/manage/bookings/{moving.id}/move", data=form | {"room": "c-2", "start": "09:00", "end": "11:00"}
    )
    assert moved.status_code == 200 and "옮겼습니다" in moved.text, moved.text.split('id="toasts"', 1)[1][:600]
    session.commit()  # end this session's read snapshot
    session.expire_all()
    assert session.get(Booking, moving.id).room_id == second.id  # type: ignore[union-attr]

    block = {**form, "room_id": first.id, "start": "09:00", "end": "18:00", "kind": "maintenance", "reason": "도색"}
    placed = client.post("/manage/blocks", data=block | {"last_day": ""}, follow_redirects=False)
    assert placed.status_code == 303 and placed.headers["location"] == path
    session.commit()
    assert session.exec(select(Block).where(Block.room_id == first.id)).one().reason == "도색"
    over = client.post("/manage/blocks", data=block | {"room_id": second.id}, follow_redirects=False)
    assert over.status_code == 303 and "차단을 등록하지 못했습니다" in client.get(path).text
