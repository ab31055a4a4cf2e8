"""The manager's calendar of every room (week, month, JSON) and the crews' setup sheet."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.booking.models import Block, Booking
from facility.booking.overview import overview
from facility.core.models import Role
from facility.rooms.models import Equipment
from tests.booking.helpers import next_weekday, seoul
from tests.factories import browser_login, make_building, make_organization, make_room, make_user, token_headers


def _campus(session: Session) -> tuple[date, dict[str, int]]:
    """Two buildings; a firm booking with equipment, a request displaced by a block, one elsewhere."""
    day = next_weekday()
    main, annex = make_building(session, code="EDU"), make_building(session, code="ANX")
    hall = make_room(session, code="H-101", building=main, kind="auditorium")
    seminar = make_room(session, code="S-201", building=main, kind="seminar_room")
    far = make_room(session, code="A-301", building=annex)
    org = make_organization(session, name="서울합창단")
    session.add(Equipment(code="mic", name_ko="무선 마이크", name_en="Wireless microphone"))
    firm = Booking(
        room_id=hall.id,  # type: ignore[arg-type]
        organization_id=org.id,
        title="정기 연주회",
        attendees=180,
        layout="theatre",
        notes="무대 앞 의자 두 줄 비움",
        equipment={"mic": 4},
        starts_at=seoul(day, 14),
        ends_at=seoul(day, 17),
        status="confirmed",
    )
    displaced = Booking(
        room_id=seminar.id,  # type: ignore[arg-type]
        organization_id=org.id,
        title="파트 연습",
        starts_at=seoul(day, 10),
        ends_at=seoul(day, 12),
        status="requested",
    )
    block = Block(
        room_id=seminar.id, kind="training", reason="교원 직무연수", starts_at=seoul(day, 9), ends_at=seoul(day, 13)
    )  # type: ignore[arg-type]
    elsewhere = Booking(
        room_id=far.id, title="별관 회의", starts_at=seoul(day, 9), ends_at=seoul(day, 10), status="approved"
    )  # type: ignore[arg-type]
    later = Booking(
        room_id=hall.id,
        title="다음 주 리허설",
        starts_at=seoul(day + timedelta(days=7), 9),
        ends_at=seoul(day + timedelta(days=7), 10),
        status="approved",
    )  # type: ignore[arg-type]
    session.add_all([firm, displaced, block, elsewhere, later])
    session.commit()
    ids = {"firm": firm.id, "displaced": displaced.id, "block": block.id, "elsewhere": elsewhere.id}
    return day, ids  # type: ignore[return-value]


def test_calendar_api_filters_by_building_and_status_and_names_clashes(client: TestClient, session: Session) -> None:
    day, ids = _campus(session)
    manager = make_user(session, role=Role.manager)
    headers = token_headers(client, manager)
    week = {"from": day.isoformat(), "to": (day + timedelta(days=6)).isoformat()}
    every = client.get("/api/v1/calendar", params=week, headers=headers)
    assert every.status_code == 200, every.text
    titles = {e["title"] for e in every.json()["entries"]}
    assert titles == {"정기 연주회", "파트 연습", "교원 직무연수", "별관 회의"}
    main = client.get("/api/v1/calendar", params={**week, "building": "EDU"}, headers=headers).json()
    assert {r["code"] for r in main["rooms"]} == {"H-101", "S-201"}
    entries = {e["title"]: e for e in main["entries"]}
    assert "별관 회의" not in entries
    assert entries["파트 연습"]["clashes"] == [f"block-{ids['block']}"]
    assert entries["교원 직무연수"]["clashes"] == [f"booking-{ids['displaced']}"]
    assert entries["정기 연주회"]["clashes"] == [] and entries["정기 연주회"]["organization"] == "서울합창단"
    assert entries["정기 연주회"]["equipment"] == {"mic": 4} and entries["정기 연주회"]["attendees"] == 180
    pending = client.get("/api/v1/calendar", params={**week, "status": "pending"}, headers=headers).json()
    assert {e["title"] for e in pending["entries"] if e["kind"] == "booking"} == {"파트 연습"}
    seminars = client.get("/api/v1/calendar", params={**week, "kind": "seminar_room"}, headers=headers).json()
    assert [r["code"] for r in seminars["rooms"]] == ["S-201"]


def test_calendar_api_refuses_renters_bad_ranges_and_unknown_buildings(client: TestClient, session: Session) -> None:
    day, _ids = _campus(session)
    renter = make_user(session)
    week = {"from": day.isoformat(), "to": (day + timedelta(days=6)).isoformat()}
    assert client.get("/api/v1/calendar", params=week, headers=token_headers(client, renter)).status_code == 403
    headers = token_headers(client, make_user(session, role=Role.manager))
    backwards = client.get("/api/v1/calendar", params={"from": week["to"], "to": week["from"]}, headers=headers)
    assert backwards.status_code == 422 and "마지막 날" in backwards.json()["detail"]
    too_long = {"from": day.isoformat(), "to": (day + timedelta(days=62)).isoformat()}
    assert client.get("/api/v1/calendar", params=too_long, headers=headers).status_code == 422
    unknown = client.get("/api/v1/calendar", params={**week, "building": "NOPE"}, headers=headers)
    assert unknown.status_code == 404 and "NOPE" in unknown.json()["detail"]
    assert client.get("/api/v1/calendar", params={**week, "status": "all"}, headers=headers).status_code == 422


def test_week_and_month_pages_show_every_room_and_the_clash(client: TestClient, session: Session) -> None:
    day, ids = _campus(session)
    browser_login(client, make_user(session, role=Role.manager))
    page = client.get("/manage/calendar", params={"start": day.isoformat(), "building": "EDU"})
    assert page.status_code == 200
    assert 'data-room="H-101"' in page.text and 'data-room="S-201"' in page.text and "A-301" not in page.text
    assert f'data-entry="booking-{ids["firm"]}"' in page.text and "정기 연주회" in page.text
    assert 'data-testid="cal-clashes">충돌 중인 예약 1건' in page.text
    assert 'data-testid="cal-clash-list"' in page.text
    fragment = client.get(
        "/manage/calendar", params={"start": day.isoformat(), "view": "month"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in fragment.text and 'data-testid="cal-month"' in fragment.text
    assert "별관 회의" in fragment.text and "다음 주 리허설" in fragment.text


def test_a_booking_moves_from_the_week_by_its_form_or_a_drag(client: TestClient, session: Session) -> None:
    day, ids = _campus(session)
    firm = session.get(Booking, ids["firm"])
    firm.attendees = 30  # type: ignore[union-attr]  # within the test hall's 36 seats, which a move checks
    session.add(firm)
    session.commit()
    browser_login(client, make_user(session, role=Role.manager))
    path = f"/manage/calendar?start={day.isoformat()}&building=EDU"
    page = client.get(path).text
    entry = page.split(f'data-entry="booking-{ids["firm"]}"', 1)[1].split("</details>", 1)[0]
    assert 'draggable="true"' in entry and 'data-move-start="14:00"' in entry and "옮기기" in entry
    assert f'data-drop-day="{day.isoformat()}"' in page and "/static/calendar_move.js" in page
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": token, "day": day.isoformat(), "start": "15:00", "end": "17:00", "return_to": path}
    moved = client.post(f"/manage/bookings/{ids['firm']}/move", data=form, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == path, moved.text
    session.expire_all()
    assert session.get(Booking, ids["firm"]).starts_at == seoul(day, 15)  # type: ignore[union-attr]
    away = client.post(
        f"/manage/bookings/{ids['firm']}/move",
        data=form | {"return_to": "https://evil.example/"},
        follow_redirects=False,
    )
    assert away.headers["location"] == "/manage/bookings"


def test_setup_sheet_lists_what_each_room_needs_for_crew(client: TestClient, session: Session) -> None:
    day, ids = _campus(session)
    browser_login(client, make_user(session, role=Role.crew))
    sheet = client.get("/manage/setup", params={"day": day.isoformat(), "building": "EDU"})
    assert sheet.status_code == 200
    assert f'data-entry="booking-{ids["firm"]}"' in sheet.text
    for shown in ("정기 연주회", "서울합창단", "180", "무선 마이크 × 4", "무대 앞 의자 두 줄 비움", "교원 직무연수"):
        assert shown in sheet.text, shown
    assert "파트 연습" not in sheet.text  # a request is not set up until it is approved
    browser_login(client, make_user(session))
    assert client.get("/manage/setup").status_code == 403


def test_calendar_shows_bookings_that_began_days_before_the_window(session: Session) -> None:
    """The window read skips history by start; a booking longer than a day is found by its length."""
    day = next_weekday()
    room = make_room(session, code="L-1")
    org = make_organization(session)
    long = Booking(
        room_id=room.id,  # type: ignore[arg-type]
        organization_id=org.id,
        title="장기 전시",
        starts_at=seoul(day - timedelta(days=3), 9),
        ends_at=seoul(day + timedelta(days=1), 18),
        status="confirmed",
    )
    past = Booking(
        room_id=room.id,  # type: ignore[arg-type]
        organization_id=org.id,
        title="지난 회의",
        starts_at=seoul(day - timedelta(days=1), 9),
        ends_at=seoul(day - timedelta(days=1), 11),
        status="confirmed",
    )
    session.add_all([long, past])
    session.commit()
    seen = overview(session, day, 1, ZoneInfo("Asia/Seoul"))
    assert [e.title for e in seen.entries] == ["장기 전시"]
