"""The booking pages render for renters and managers, and their forms work without a browser."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.booking import service
from facility.booking.models import Booking, FeeSchedule
from facility.core.models import Role
from facility.rooms.models import Equipment
from tests.booking.helpers import next_weekday, seoul
from tests.factories import browser_login, csrf_from, make_room, make_user


def test_renter_search_week_request_and_my_bookings(client: TestClient, session: Session) -> None:
    session.add(FeeSchedule(room_kind="lecture_room", hourly=30_000, equipment_fees={"beam": 20_000, "odd": 1_000}))
    session.add(Equipment(code="beam", name_ko="빔프로젝터", name_en="Projector"))
    session.commit()
    room = make_room(session, code="L-101", equipment={"beam": 1, "mic": 2})
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
    # Renters read equipment by name, only what this room has, with how it is charged.
    assert "빔프로젝터 (+20,000원 (예약 1건당))" in form.text and "mic (사용료에 포함)" in form.text
    assert 'value="odd"' not in form.text
    token = csrf_from(client, "/book")
    price = client.post(
        f"/book/rooms/{room.id}/quote",
        headers={"HX-Request": "true", "X-CSRF-Token": token},
        data={"day": day.isoformat(), "start": "10:00", "end": "13:00", "equipment": "beam"},
    )
    assert "121,000원" in price.text and "<html" not in price.text  # (90,000 + 20,000) + VAT
    assert "빔프로젝터 × 1" in price.text
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
    assert "66,000" in invoices.text and "사용료" in invoices.text and ">rental<" not in invoices.text
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
    report = client.get("/manage/reports", params={"month": day.strftime("%Y-%m"), "by": "kind"})
    assert report.status_code == 200 and 'data-testid="utilisation-chart"' in report.text and "66,000" in report.text
    csv = client.get("/manage/reports.csv", params={"month": day.strftime("%Y-%m"), "by": "kind"})
    assert csv.headers["content-type"].startswith("text/csv") and "강의실" in csv.text and "이용률(%)" in csv.text
    header, row = csv.text.lstrip("\ufeff").splitlines()[:2]
    assert header.endswith("노쇼 비율(%),매출(원),감면액(원)") and row.endswith(",0.0,66000,0"), row
    assert "합창 연습" in client.get("/manage/outbox").text
    qr = client.get(f"/manage/rooms/{room.id}/qr.svg")
    assert qr.status_code == 200 and qr.text.lstrip().startswith("<?xml")


def test_renter_cannot_open_console(client: TestClient, session: Session) -> None:
    renter = make_user(session)
    browser_login(client, renter)
    assert client.get("/manage/bookings").status_code == 403


def test_series_preview_and_submit_from_the_form(client: TestClient, session: Session) -> None:
    room = make_room(session, code="L-301")
    renter, other = make_user(session), make_user(session)
    day = next_weekday(weeks=4)
    service.request_booking(
        session,
        other,
        {
            "room_id": room.id,
            "start": seoul(day, 10) + timedelta(days=14),
            "end": seoul(day, 11) + timedelta(days=14),
            "title": "먼저",
        },
    )
    session.commit()
    browser_login(client, renter)
    token = csrf_from(client, "/book")
    form = {
        "csrf_token": token,
        "day": day.isoformat(),
        "start": "10:00",
        "end": "12:00",
        "title": "주간 회의",
        "attendees": "10",
        "repeat": "weekly",
        "count": "4",
    }
    preview = client.post(f"/book/rooms/{room.id}/series/preview", data=form, headers={"HX-Request": "true"})
    assert preview.status_code == 200 and preview.text.count("<li") == 4
    assert preview.text.count("✗") == 1 and "<html" not in preview.text
    refused = client.post(f"/book/rooms/{room.id}/series", data=form)
    assert refused.status_code == 409 and "✗" in refused.text
    created = client.post(
        f"/book/rooms/{room.id}/series",
        data={**form, "skip_conflicts": "true"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    session.expire_all()
    assert len(session.exec(select(Booking).where(Booking.title == "주간 회의")).all()) == 3


def test_building_week_shows_free_hours(client: TestClient, session: Session) -> None:
    room = make_room(session, code="B-1")
    renter = make_user(session)
    day = next_weekday()
    service.request_booking(
        session,
        renter,
        {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "t"},
    )
    session.commit()
    building = client.get("/api/v1/buildings").json()[0]["code"]
    page = client.get(f"/book/buildings/{building}", params={"week": day.isoformat()})
    assert page.status_code == 200 and 'data-room="B-1"' in page.text
    # 07:00-22:00 is 15 h; 10-12 with 15-minute buffers takes 3 h on the half-hour grid.
    assert ">12h<" in page.text and ">15h<" in page.text
    fragment = client.get(
        f"/book/buildings/{building}",
        params={"week": day.isoformat()},
        headers={"HX-Request": "true"},
    )
    assert "<html" not in fragment.text
    assert client.get("/book/buildings/nope").status_code == 404


def test_cancel_this_and_following_from_the_detail_page(client: TestClient, session: Session) -> None:
    room = make_room(session)
    renter = make_user(session)
    day = next_weekday(weeks=3)
    browser_login(client, renter)
    token = csrf_from(client, "/book")
    client.post(
        f"/book/rooms/{room.id}/series",
        data={
            "csrf_token": token,
            "day": day.isoformat(),
            "start": "10:00",
            "end": "12:00",
            "title": "격주 모임",
            "attendees": "5",
            "repeat": "weekly",
            "count": "3",
        },
    )
    session.expire_all()
    bookings = session.exec(select(Booking).order_by(Booking.starts_at)).all()
    assert len(bookings) == 3
    detail = client.get(f"/my/bookings/{bookings[1].id}")
    assert 'data-testid="cancel-scope"' in detail.text
    client.post(f"/my/bookings/{bookings[1].id}/cancel", data={"csrf_token": token, "scope": "following"})
    session.rollback()  # end this session's read snapshot
    session.expire_all()
    statuses = [b.status for b in session.exec(select(Booking).order_by(Booking.starts_at))]
    assert statuses == ["requested", "cancelled", "cancelled"]
