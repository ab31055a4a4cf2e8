from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.models import AuditEntry, Role
from facility.rooms.models import RoomLayout
from tests.factories import make_building, make_room, make_user, token_headers


def test_list_filters_and_shape(client: TestClient, session: Session) -> None:
    edu, welf = make_building(session, code="edu"), make_building(session, code="welf")
    make_room(session, code="E-101", building=edu, capacity=36, equipment={"projector": 1})
    make_room(session, code="E-102", building=edu, capacity=20)
    hall = make_room(session, code="W-CONV", building=welf, kind="convention_hall", capacity=250)
    make_room(session, code="A-DRC", building=welf, kind="server_room", bookable_external=False)
    session.add(RoomLayout(room_id=hall.id, layout="banquet", capacity=150))
    session.commit()

    everything = client.get("/api/v1/rooms").json()
    assert everything["total"] == 3  # the server room is not shown to visitors
    item = everything["items"][0]
    for key in ("id", "code", "name_ko", "name_en", "kind", "capacity", "building", "bookable_external"):
        assert key in item
    assert client.get("/api/v1/rooms?building=edu").json()["total"] == 2
    assert [r["code"] for r in client.get("/api/v1/rooms?min_capacity=30").json()["items"]] == ["E-101", "W-CONV"]
    assert [r["code"] for r in client.get("/api/v1/rooms?kind=convention_hall").json()["items"]] == ["W-CONV"]
    assert [r["code"] for r in client.get("/api/v1/rooms?equipment=projector").json()["items"]] == ["E-101"]
    banquet = client.get("/api/v1/rooms?min_capacity=200&layout=banquet").json()
    assert banquet["total"] == 0
    assert client.get("/api/v1/rooms?min_capacity=100&layout=banquet").json()["items"][0]["layouts"] == {"banquet": 150}
    paged = client.get("/api/v1/rooms?limit=1&offset=1").json()
    assert paged["total"] == 3 and [r["code"] for r in paged["items"]] == ["E-102"]


def test_staff_see_internal_rooms(client: TestClient, session: Session) -> None:
    drc = make_room(session, code="A-DRC", kind="server_room", bookable_external=False)
    assert client.get(f"/api/v1/rooms/{drc.id}").status_code == 404
    headers = token_headers(client, make_user(session, role=Role.crew))
    assert client.get(f"/api/v1/rooms/{drc.id}", headers=headers).json()["code"] == "A-DRC"
    assert client.get("/api/v1/rooms?bookable=false", headers=headers).json()["total"] == 1


def test_missing_room_is_404_with_message(client: TestClient) -> None:
    response = client.get("/api/v1/rooms/424242")
    assert response.status_code == 404
    assert response.json() == {"detail": "424242번 공간이 없습니다.", "code": "room_not_found"}
    english = client.get("/api/v1/rooms/424242", headers={"Accept-Language": "en"})
    assert english.json() == {"detail": "Room 424242 does not exist.", "code": "room_not_found"}


def test_invalid_query_is_422(client: TestClient) -> None:
    response = client.get("/api/v1/rooms?min_capacity=-3")
    assert response.status_code == 422 and response.json()["code"] == "invalid"


def test_manager_updates_room_and_it_is_audited(client: TestClient, session: Session) -> None:
    room = make_room(session, capacity=36)
    headers = token_headers(client, make_user(session, role=Role.manager))
    response = client.patch(f"/api/v1/rooms/{room.id}", json={"capacity": 40, "status": "maintenance"}, headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "maintenance"
    assert client.get(f"/api/v1/rooms/{room.id}", headers=headers).json()["capacity"] == 40
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "room.update")).one()
    assert entry.before["capacity"] == 36 and entry.after["capacity"] == 40
