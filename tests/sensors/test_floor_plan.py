"""Floor plans: each floor's rooms, coloured by live state, clickable, with the table beside."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from facility.core.db import utcnow
from facility.core.models import Role
from facility.rooms.models import Floor
from tests.factories import browser_login, make_building, make_room, make_user
from tests.korean_pages import english_words
from tests.sensors.factories import make_alert, make_device, write_readings


def test_plan_colours_rooms_by_state_in_korean(client: TestClient, session: Session, engine: Engine) -> None:
    building = make_building(session, code="edu")
    floor = Floor(building_id=building.id, level=3, label="3F")
    session.add(floor)
    session.flush()
    leak, busy, quiet = (make_room(session, code=c, building=building) for c in ("E-301", "E-302", "E-303"))
    for room in (leak, busy, quiet):
        room.floor_id = floor.id
        session.add(room)
    now = utcnow()
    write_readings(engine, make_device(session, room=busy), {"people_count": [(now, 12)], "co2": [(now, 700)]})
    write_readings(engine, make_device(session, room=leak), {"co2": [(now, 600)]})
    make_alert(session, room=leak, rule="water_leak")
    crew = make_user(session, role=Role.crew)
    session.commit()
    browser_login(client, crew)
    page = client.get("/sensors/plan?building=edu")
    assert page.status_code == 200
    states = {
        code: page.text.split(f'data-room="{code}" data-state="', 1)[1].split('"', 1)[0]
        for code in ("E-301", "E-302", "E-303")
    }
    assert states == {"E-301": "alert", "E-302": "occupied", "E-303": "none"}
    assert f'href="/sensors/rooms/{leak.id}"' in page.text and "3층 평면도" in page.text
    assert "경보 1건" in page.text and english_words(page.text) == [], english_words(page.text)
