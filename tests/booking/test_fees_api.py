"""Fee schedules through the JSON API: listed by anyone, created and edited by managers."""

from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.content import seed_default_fees
from facility.core.models import Role
from tests.factories import make_room, make_user, token_headers


def test_manager_edits_the_default_fees_and_adds_a_room_schedule(client: TestClient, session: Session) -> None:
    seed_default_fees(session)
    session.commit()
    room = make_room(session)
    manager = token_headers(client, make_user(session, role=Role.manager))
    renter = token_headers(client, make_user(session))
    listed = client.get("/api/v1/fee-schedules").json()
    lecture = next(s for s in listed if s["room_kind"] == "lecture_room")
    change = {"hourly": 25_000, "equipment_fees": {"projector": 12_000}}
    assert client.patch(f"/api/v1/fee-schedules/{lecture['id']}", json=change, headers=renter).status_code == 403
    edited = client.patch(f"/api/v1/fee-schedules/{lecture['id']}", json=change, headers=manager)
    assert edited.status_code == 200 and edited.json()["hourly"] == 25_000
    assert edited.json()["equipment_fees"] == {"projector": 12_000} and edited.json()["half_day"] == lecture["half_day"]
    own = client.post("/api/v1/fee-schedules", json={"room_id": room.id, "hourly": 9_000}, headers=manager)
    assert own.status_code == 201 and own.json()["weekend_percent"] == 120
    assert (
        client.post("/api/v1/fee-schedules", json={"room_id": room.id, "hourly": 1}, headers=manager).status_code == 409
    )
    both = {"room_id": room.id, "room_kind": "gym", "hourly": 1}
    assert client.post("/api/v1/fee-schedules", json=both, headers=manager).status_code == 422
    quote_room = client.get("/api/v1/fee-schedules").json()
    assert any(s["room_id"] == room.id and s["hourly"] == 9_000 for s in quote_room)
