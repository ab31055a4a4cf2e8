"""Managers register assets and set up plans through the JSON API."""

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.models import AuditEntry, Role
from facility.maintenance import catalogue
from tests.factories import make_room, make_user, token_headers


def test_manager_registers_assets_and_plans(client: TestClient, session: Session) -> None:
    catalogue.seed_templates(session)
    room = make_room(session)
    manager = token_headers(client, make_user(session, role=Role.manager))
    crew = token_headers(client, make_user(session, role=Role.crew))
    boiler = {
        "code": "BLR-9",
        "kind": "boiler",
        "name_ko": "보일러",
        "building_id": room.building_id,
        "room_id": room.id,
    }
    assert client.post("/api/v1/assets", json=boiler, headers=crew).status_code == 403
    made = client.post("/api/v1/assets", json={**boiler, "warranty_until": "2030-01-31"}, headers=manager)
    assert made.status_code == 201, made.text
    assert made.json()["warranty_until"] == "2030-01-31"
    assert client.post("/api/v1/assets", json=boiler, headers=manager).status_code == 409
    pump = {
        "code": "PMP-9",
        "kind": "pump",
        "name_ko": "펌프",
        "building_id": room.building_id,
        "parent_id": made.json()["id"],
    }
    assert client.post("/api/v1/assets", json=pump, headers=manager).json()["parent_id"] == made.json()["id"]
    edited = client.patch(
        f"/api/v1/assets/{made.json()['id']}", json={"serial": "SN-1", "active": False}, headers=manager
    )
    assert edited.json()["serial"] == "SN-1" and edited.json()["active"] is False
    assert client.patch("/api/v1/assets/999999", json={"serial": "x"}, headers=manager).status_code == 404

    plan = {
        "name": "보일러 점검",
        "template": "mech-maintenance",
        "starts_at": "2027-01-01T09:00:00+09:00",
        "asset_id": made.json()["id"],
    }
    created = client.post("/api/v1/plans", json=plan, headers=manager)
    assert created.status_code == 201, created.text
    assert created.json()["rrule"] == catalogue.get_template(session, "mech-maintenance").rrule
    assert created.json()["room_id"] == room.id
    assert client.post("/api/v1/plans", json={**plan, "template": "nope"}, headers=manager).status_code == 404
    paused = client.patch(
        f"/api/v1/plans/{created.json()['id']}", json={"active": False, "rrule": "FREQ=MONTHLY"}, headers=manager
    )
    assert paused.json()["active"] is False and paused.json()["rrule"].startswith("FREQ=MONTHLY")
    bad = client.patch(f"/api/v1/plans/{created.json()['id']}", json={"rrule": "every day"}, headers=manager)
    assert bad.status_code == 422
    assert [p["name"] for p in client.get("/api/v1/plans", headers=manager).json()] == ["보일러 점검"]
    session.rollback()  # end the test's read snapshot, to see what the requests committed
    actions = {e.action for e in session.exec(select(AuditEntry))}
    assert {"asset.create", "asset.update", "plan.create", "plan.update"} <= actions
