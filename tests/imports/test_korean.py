"""Korean as people type it: headers, kind and building names, 40명, 6층, Korean Excel's dates,
24:00 closing; the page and its templates in Korean."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.config import ImportLimits
from facility.core.models import Role
from facility.imports import korean, service
from facility.rooms.models import END_OF_DAY, Floor, OpeningHours, Room
from tests.factories import browser_login, make_building, make_user
from tests.korean_pages import english_words


def test_korean_dates_times_floors_and_counts_are_read() -> None:
    assert korean.read_date("2027.3.3") == korean.read_date("2027. 3. 3.") == date(2027, 3, 3)
    assert korean.read_date("2027년 3월 3일") == korean.read_date("2027/03/03") == date(2027, 3, 3)
    assert korean.read_date("2027.2.30") is None and korean.read_date("3.3") is None
    assert korean.read_moment("2027-03-02 8:00") == datetime(2027, 3, 2, 8, 0)
    assert korean.read_moment("2027.3.2 오후 3:30") == datetime(2027, 3, 2, 15, 30)
    assert korean.read_clock("15시") == time(15) and korean.read_clock("25:00") is None
    floors = ("6층", "6F", "6", "지하1층", "B2", "0층", "옥상")
    assert [korean.read_floor(t) for t in floors] == [6, 6, 6, -1, -2, None, None]
    assert korean.without_count_unit("40명") == "40" and korean.without_count_unit("1,200석") == "1,200"


def test_a_room_file_in_korean_imports_and_exports_back(session: Session) -> None:
    make_building(session, code="main-edu")  # 교육동
    text = (
        "코드,건물,이름,종류,수용 인원,층,상태,평일 운영 시간,토요일 운영 시간\n"
        "EDU-601,교육동,제601강의실,강의실,40명,6층,운영 중,08:00-24:00,휴관\n"
    )
    report = service.run_import(session, None, "rooms", text.encode(), dry_run=False, limits=ImportLimits())
    assert report.ok, [str(p) for p in report.problems]
    session.commit()
    room = session.exec(select(Room).where(Room.code == "EDU-601")).one()
    assert (room.kind, room.capacity, room.status) == ("lecture_room", 40, "open")
    assert session.get(Floor, room.floor_id).level == 6  # type: ignore[union-attr]
    own = session.exec(select(OpeningHours).where(OpeningHours.room_id == room.id))
    hours = {h.weekday: (h.opens, h.closes) for h in own}
    assert hours[0] == (time(8), END_OF_DAY) and hours[5] == (None, None)
    exported = service.export_file(session, None, "rooms", xlsx=False).decode("utf-8-sig")
    assert "08:00-24:00" in exported
    bad = "코드,건물,이름,종류\nEDU-602,없는동,방,창고\n"
    refused = service.run_import(session, None, "rooms", bad.encode(), dry_run=True, limits=ImportLimits())
    assert {p.column for p in refused.problems} == {"building", "kind"}


def test_page_and_templates_read_in_korean(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.admin)
    session.commit()
    browser_login(client, admin)
    page = client.get("/admin/import")
    assert "호실 서식" in page.text and english_words(page.text) == [], english_words(page.text)
    template = client.get("/admin/import/template.csv?kind=buildings")
    assert template.status_code == 200 and template.headers["content-type"].startswith("text/csv")
    header = next(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
    assert header[:3] == ["코드", "캠퍼스", "이름"]
    report = service.run_import(session, admin, "buildings", template.content, dry_run=True, limits=ImportLimits())
    assert report.ok and report.rows, [str(p) for p in report.problems]
    assert client.get("/admin/import/template.csv?kind=nothing").status_code == 422


def test_closing_at_24_00_ends_the_day_at_midnight() -> None:
    from zoneinfo import ZoneInfo

    from facility.rooms.models import closing_moment

    seoul = ZoneInfo("Asia/Seoul")
    assert closing_moment(date(2027, 3, 2), END_OF_DAY, seoul) == datetime(2027, 3, 3, 0, 0, tzinfo=seoul)
    assert closing_moment(date(2027, 3, 2), time(22), seoul) == datetime(2027, 3, 2, 22, 0, tzinfo=seoul)
