"""What keeps a campus-sized file fast stays correct on a small one: parts created in the same file
as their parent link to it (ids reserved ahead, no flush per row), and the preview shows the first
rows and the refused ones with every total."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.config import ImportLimits
from facility.core.models import Role
from facility.imports import service, views
from facility.maintenance.models import Asset
from facility.rooms.models import OpeningHours, Room, RoomEquipment
from tests.factories import browser_login, make_building, make_user

ROOMS = (
    "code,building,name_ko,kind,parent,equipment,weekday_hours\n"
    "HALL,main-edu,홀,auditorium,,projector:2,08:00-22:00\n"
    "HALL-A,main-edu,홀 A,auditorium,HALL,projector,\n"
    "HALL-B,main-edu,홀 B,auditorium,HALL,,09:00-18:00\n"
)
ASSETS = (
    "code,kind,name_ko,building,room,parent\n"
    "BOILER,boiler,보일러,main-edu,,\n"
    "PUMP,pump,펌프,main-edu,,BOILER\n"
    "VALVE,other,밸브,main-edu,HALL-A,PUMP\n"
)


def test_parts_created_with_their_parent_in_one_file_link_to_it(session: Session) -> None:
    make_building(session, code="main-edu")
    session.commit()
    for kind, data in (("rooms", ROOMS), ("assets", ASSETS)):
        report = service.run_import(session, None, kind, data.encode(), dry_run=False, limits=ImportLimits())
        assert report.ok, [str(p) for p in report.problems]
        assert report.counts["created"] == 3
        session.commit()
    rooms = {r.code: r for r in session.exec(select(Room))}
    assert rooms["HALL-A"].parent_id == rooms["HALL-B"].parent_id == rooms["HALL"].id
    links = {(link.room_id, link.quantity) for link in session.exec(select(RoomEquipment))}
    assert links == {(rooms["HALL"].id, 2), (rooms["HALL-A"].id, 1)}
    hours = session.exec(select(OpeningHours).where(OpeningHours.room_id == rooms["HALL-B"].id)).all()
    assert len(hours) == 5
    assets = {a.code: a for a in session.exec(select(Asset))}
    assert assets["PUMP"].parent_id == assets["BOILER"].id and assets["VALVE"].parent_id == assets["PUMP"].id
    assert assets["VALVE"].room_id == rooms["HALL-A"].id and assets["BOILER"].created_at is not None
    again = service.run_import(session, None, "rooms", ROOMS.encode(), dry_run=True, limits=ImportLimits())
    assert again.counts["unchanged"] == 3


def test_preview_shows_the_first_rows_and_the_refused_ones_with_the_totals(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "PREVIEW_ROWS", 2)
    monkeypatch.setattr(views, "PREVIEW_PROBLEMS", 1)
    admin = make_user(session, role=Role.admin)
    make_building(session, code="main-edu")
    session.commit()
    browser_login(client, admin)
    csrf = client.get("/admin/import").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    lines = [f"R-{i},main-edu,방 {i},lecture_room,{'many' if i in (7, 9) else 40}" for i in range(12)]
    data = "code,building,name_ko,kind,capacity\n" + "\n".join(lines) + "\n"
    files = {"file": ("rooms.csv", data.encode())}
    page = client.post("/admin/import/preview", data={"kind": "rooms", "csrf_token": csrf}, files=files).text
    table = page.split('data-testid="preview-table"', 1)[1]
    assert [f">R-{i}<" in table for i in range(12)] == [i in (0, 1, 7, 9) for i in range(12)]
    assert "12" in page.split('data-testid="preview-shown"', 1)[1].split("</p>", 1)[0]
    assert 'data-testid="more-problems"' in page
