"""Managers create and edit buildings, rooms and equipment through the JSON API (audited)."""

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.models import AuditEntry, Role
from facility.rooms.models import Campus
from tests.factories import make_user, token_headers


def test_manager_creates_and_edits_buildings_rooms_and_equipment(client: TestClient, session: Session) -> None:
    session.add(Campus(code="main", name_ko="본원", name_en="Main campus"))
    session.commit()
    manager = token_headers(client, make_user(session, role=Role.manager))
    crew = token_headers(client, make_user(session, role=Role.crew))
    building = {"code": "edu", "campus": "main", "name_ko": "교육관"}
    assert client.post("/api/v1/buildings", json=building, headers=crew).status_code == 403
    created = client.post("/api/v1/buildings", json=building, headers=manager)
    assert created.status_code == 201, created.text
    assert created.json()["name_en"] == "교육관" and created.json()["campus"] == "main"
    assert client.post("/api/v1/buildings", json=building, headers=manager).status_code == 409
    assert (
        client.post("/api/v1/buildings", json={**building, "code": "x", "campus": "nope"}, headers=manager).status_code
        == 422
    )
    renamed = client.patch(
        f"/api/v1/buildings/{created.json()['id']}", json={"name_en": "Education Hall"}, headers=manager
    )
    assert renamed.json()["name_en"] == "Education Hall"

    room = {"code": "EDU-101", "building": "edu", "name_ko": "101호", "kind": "lecture_room", "capacity": 30}
    made = client.post("/api/v1/rooms", json=room, headers=manager)
    assert made.status_code == 201, made.text
    assert made.json()["building"] == "edu" and made.json()["capacity"] == 30
    edited = client.patch(f"/api/v1/rooms/{made.json()['id']}", json={"capacity": 32}, headers=manager)
    assert edited.json()["capacity"] == 32
    assert client.get(f"/api/v1/rooms/{made.json()['id']}", headers=manager).json()["capacity"] == 32

    item = client.post("/api/v1/equipment", json={"code": "projector", "name_ko": "빔프로젝터"}, headers=manager)
    assert item.status_code == 201
    client.patch(f"/api/v1/equipment/{item.json()['id']}", json={"name_en": "Projector"}, headers=manager)
    assert client.get("/api/v1/equipment").json() == [
        {"id": item.json()["id"], "code": "projector", "name_ko": "빔프로젝터", "name_en": "Projector"}
    ]
    session.rollback()  # end the test's read snapshot, to see what the requests committed
    actions = {e.action for e in session.exec(select(AuditEntry))}
    assert {"building.create", "building.update", "room.create", "room.update", "equipment.create"} <= actions
