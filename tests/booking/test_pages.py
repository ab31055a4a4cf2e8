"""The booking pages render for renters and managers, and their forms work without a browser."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.booking import service
from facility.booking.models import Booking, FeeSchedule
from facility.core.models import Role
from tests.booking.helpers import next_weekday, seoul
from tests.factories import browser_login, csrf_from, make_room, make_user


def test_renter_search_week_request_and_my_bookings(client: TestClient, session: Session) -> None:
    room = make_room(session, code="L-101")
    session.add(
        FeeSchedule(room_kind="lecture_room", hourly=30_000, equipment_fees={"beam": 20_000})
    )
    session.commit()
    renter = make_user(session)
    browser_login(client, renter)
    day = next_weekday()
    search = client.get("/book", params={"day": day.isoformat(), "min_capacity": 10})
    assert search.status_code == 200 and 'data-room="L-101"' in search.text
    fragment = client.get("/book", params={"day": day.isoformat()}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "L-101" in fragment.text
    week = client.get(f"/book/rooms/{room.id}", params={"week": day.isoformat()})
    assert week.status_code == 200 and f'data-slot="{day.isoformat()}T10:00"' in week.text
    form = client.get(
        f"/book/rooms/{room.id}/new",
        params={"day": day.isoformat(), "start": "10:00", "end": "12:00"},
    )
    assert "66,000원" in form.text  # 2 h × 30,000 + VAT
    token = csrf_from(client, "/book")
    price = client.post(
        f"/book/rooms/{room.id}/quote",
        headers={"HX-Request": "true", "X-CSRF-Token": token},
        data={"day": day.isoformat(), "start": "10:00", "end": "13:00", "equipment": "beam"},
    )
    assert "121,000원" in price.text and "<html" not in price.text  # (90,000 + 20,000) + VAT
    created = client.post(
        f"/book/rooms/{room.id}/new",
        data={
            "csrf_token": token,
            "day": day.isoformat(),
            "start": "10:00",
            "end": "12:00",
            "title": "독서 모임",
            "attendees": "12",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    detail = client.get(created.headers["location"])
    assert "독서 모임" in detail.text and "승인 대기" in detail.text
    taken = client.post(
        f"/book/rooms/{room.id}/new",
        data={
            "csrf_token": token,
            "day": day.isoformat(),
            "start": "11:00",
            "end": "12:00",
            "title": "겹침",
            "attendees": "5",
        },
    )
    assert taken.status_code == 409 and 'data-testid="form-error"' in taken.text
    mine = client.get("/my/bookings")
    assert "독서 모임" in mine.text and "calendar.ics?token=" in mine.text


def test_manager_console_pages(client: TestClient, session: Session) -> None:
    room = make_room(session, code="L-201")
    session.add(FeeSchedule(room_kind="lecture_room", hourly=30_000))
    session.commit()
    renter = make_user(session)
    manager = make_user(session, role=Role.manager)
    day = next_weekday()
    booking = service.request_booking(
        session,
        renter,
        {
            "room_id": room.id,
            "start": seoul(day, 10),
            "end": seoul(day, 12),
            "title": "합창 연습",
            "attendees": 20,
        },
    )
    session.commit()
    browser_login(client, manager)
    queue = client.get("/manage/bookings")
    assert "합창 연습" in queue.text
    token = csrf_from(client, "/manage/bookings")
    decided = client.post(
        f"/manage/bookings/{booking.id}/decision",
        data={"approve": "true"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert decided.status_code == 200 and f'id="booking-{booking.id}"' in decided.text
    assert "<html" not in decided.text
    grid = client.get("/manage/grid", params={"day": day.isoformat()})
    assert 'data-room="L-201"' in grid.text and "occ booking approved" in grid.text
    placed = client.post(
        "/manage/blocks",
        data={
            "csrf_token": token,
            "room_id": room.id,
            "day": day.isoformat(),
            "start": "13:00",
            "end": "18:00",
            "reason": "신규교사 연수",
            "kind": "training",
        },
    )
    assert placed.status_code == 200 and "block-placed" in placed.text
    refused = client.post(
        "/manage/blocks",
        data={
            "csrf_token": token,
            "room_id": room.id,
            "day": day.isoformat(),
            "start": "09:00",
            "end": "11:00",
            "reason": "보수",
            "kind": "maintenance",
        },
    )
    assert refused.status_code == 409 and "합창 연습" in refused.text
    invoices = client.get("/manage/invoices")
    assert "66,000" in invoices.text
    number = invoices.text.split('data-invoice="', 1)[1].split('"', 1)[0]
    printable = client.get("/invoices/1")
    assert "시설 사용료 청구서" in printable.text and number in printable.text
    paid = client.post(
        "/manage/invoices/1/payments",
        data={"csrf_token": token, "amount": 66000, "paid_on": day.isoformat()},
        follow_redirects=False,
    )
    assert paid.status_code == 303
    session.expire_all()
    assert session.exec(select(Booking)).one().status == "confirmed"
    assert client.get("/manage/reports").status_code == 200
    csv = client.get("/manage/reports.csv", params={"month": day.strftime("%Y-%m"), "by": "kind"})
    assert csv.headers["content-type"].startswith("text/csv") and "lecture_room" in csv.text
    assert "합창 연습" in client.get("/manage/outbox").text
    qr = client.get(f"/manage/rooms/{room.id}/qr.svg")
    assert qr.status_code == 200 and qr.text.lstrip().startswith("<?xml")


def test_renter_cannot_open_console(client: TestClient, session: Session) -> None:
    renter = make_user(session)
    browser_login(client, renter)
    assert client.get("/manage/bookings").status_code == 403
