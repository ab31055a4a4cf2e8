"""Uploaded floor drawings are hostile input: only plain shapes and text pass, everything else is
refused with a message; rooms are matched by id = room code and coloured like the generated plan."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from facility.core.audit import AuditEntry
from facility.core.db import utcnow
from facility.core.errors import InvalidInput
from facility.core.models import Role
from facility.rooms.models import Floor
from facility.sensors.plan_drawings import MAX_BYTES, clean_svg
from tests.factories import browser_login, csrf_from, make_building, make_room, make_user
from tests.sensors.factories import make_alert, make_device, write_readings

HEAD = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 400 200">'
PLAN = (
    HEAD + '<g id="walls"><path d="M0 0H400V200H0Z" fill="none" stroke="#333"/></g>'
    '<rect id="E-301" x="10" y="10" width="180" height="180" fill="#fff"/>'
    '<polygon id="E-302" points="210,10 390,10 390,190 210,190"/>'
    '<defs><rect id="tile" width="5" height="5"/></defs><use href="#tile" x="3" y="3"/>'
    '<text x="20" y="30">강의실</text></svg>'
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>' + HEAD + "<text>&c;</text></svg>"
)
HOSTILE = {
    "script": (HEAD + "<script>alert(1)</script></svg>", "<script>"),
    "onload": (HEAD.replace("<svg ", '<svg onload="alert(1)" ') + "</svg>", "onload"),
    "external href": (HEAD + '<use xlink:href="http://evil.example/x.svg#a"/></svg>', "http://evil.example"),
    "foreignObject": (HEAD + "<foreignObject><div>x</div></foreignObject></svg>", "<foreignObject>"),
    "billion laughs": (LAUGHS, "DTD"),
    "style url": (HEAD + '<rect fill="url(http://evil.example/p)"/></svg>', "외부 자원"),
    "not svg": ("<html><body/></html>", "올바른 SVG"),
    "too large": (HEAD + "<desc>" + "x" * MAX_BYTES + "</desc></svg>", "KB"),
}


def test_a_plain_drawing_passes_unchanged_in_meaning() -> None:
    cleaned = clean_svg(PLAN.encode())
    assert cleaned.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and 'id="E-302"' in cleaned
    assert 'href="#tile"' in cleaned and "강의실" in cleaned


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_drawings_are_refused_with_a_message(name: str) -> None:
    svg, words = HOSTILE[name]
    with pytest.raises(InvalidInput) as refused:
        clean_svg(svg.encode())
    assert words in str(refused.value.args[0] if refused.value.args else refused.value), name


def test_manager_uploads_a_drawing_rooms_are_coloured_and_hostile_files_refused(
    client: TestClient, session: Session, engine: Engine
) -> None:
    building = make_building(session, code="edu")
    floor = Floor(building_id=building.id, level=3, label="3F")
    session.add(floor)
    session.flush()
    rooms = [make_room(session, code=c, building=building) for c in ("E-301", "E-302", "E-303")]
    for room in rooms:
        room.floor_id = floor.id
        session.add(room)
    write_readings(engine, make_device(session, room=rooms[0]), {"co2": [(utcnow(), 600)]})
    make_alert(session, room=rooms[0], rule="water_leak")
    crew, manager = make_user(session, role=Role.crew), make_user(session, role=Role.manager)
    session.commit()
    url = f"/sensors/plan/floors/{floor.id}/drawing"

    browser_login(client, crew)
    token = csrf_from(client, "/sensors/plan?building=edu")
    files = {"drawing": ("plan.svg", PLAN.encode(), "image/svg+xml")}
    assert client.post(url, data={"csrf_token": token}, files=files).status_code == 403
    client.post("/logout", data={"csrf_token": token})

    browser_login(client, manager)
    token = csrf_from(client, "/sensors/plan?building=edu")
    hostile = {"drawing": ("x.svg", HOSTILE["script"][0].encode(), "image/svg+xml")}
    refused = client.post(url, data={"csrf_token": token}, files=hostile)
    assert refused.status_code == 422 and "&lt;script&gt;" in refused.text
    saved = client.post(url, data={"csrf_token": token}, files=files, follow_redirects=False)
    assert saved.status_code == 303
    page = client.get("/sensors/plan?building=edu").text
    assert 'data-drawing="uploaded"' in page and 'class="floor-plan drawing"' in page
    assert f'<a href="/sensors/rooms/{rooms[0].id}" data-room="E-301" data-state="alert"' in page
    assert 'class="plan-room state-alert"' in page and "E-303" in page.split('data-testid="plan-missing"')[1]
    actions = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "floor")).all()
    assert list(actions) == ["floor_drawing.upload"]
    client.post(f"{url}/remove", data={"csrf_token": token})
    assert 'data-drawing="generated"' in client.get("/sensors/plan?building=edu").text
