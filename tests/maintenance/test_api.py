from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.db import utcnow
from facility.core.models import Role
from facility.maintenance.models import Submission, WorkOrder
from tests.factories import browser_login, csrf_from, make_user, token_headers
from tests.maintenance.factories import (
    PNG_DATA_URL,
    make_asset,
    make_inspection,
    new_submission_id,
    passing_answers,
)


def test_create_then_list_then_transition(client: TestClient, session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    crew = make_user(session, role=Role.crew)
    asset = make_asset(session)
    headers = token_headers(client, manager)
    body = {
        "title": "조명 교체",
        "asset_id": asset.id,
        "priority": "high",
        "due_at": (utcnow() + timedelta(days=1)).isoformat(),
    }
    created = client.post("/api/v1/work-orders", json=body, headers=headers)
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["status"] == "open" and order["room_id"] == asset.room_id and not order["overdue"]
    # Committed: a later request sees it, filtered by room and status.
    listed = client.get(f"/api/v1/work-orders?status=open&room={asset.room_id}", headers=headers).json()
    assert [o["id"] for o in listed["items"]] == [order["id"]]
    moved = client.post(
        f"/api/v1/work-orders/{order['id']}/transition",
        json={"to": "assigned", "assignee_id": crew.id},
        headers=headers,
    )
    assert moved.status_code == 200 and moved.json()["assignee_id"] == crew.id
    mine = client.get(f"/api/v1/work-orders?assignee={crew.id}", headers=headers).json()
    assert mine["total"] == 1
    crew_headers = token_headers(client, crew)
    assert (
        client.post(
            f"/api/v1/work-orders/{order['id']}/transition", json={"to": "verified"}, headers=crew_headers
        ).status_code
        == 409
    )
    started = client.post(
        f"/api/v1/work-orders/{order['id']}/transition", json={"to": "in_progress"}, headers=crew_headers
    )
    assert started.json()["status"] == "in_progress"


def test_invalid_transition_is_409_with_allowed_states(client: TestClient, session: Session) -> None:
    headers = token_headers(client, make_user(session, role=Role.manager))
    order = client.post("/api/v1/work-orders", json={"title": "x"}, headers=headers).json()
    response = client.post(f"/api/v1/work-orders/{order['id']}/transition", json={"to": "done"}, headers=headers)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert response.json()["allowed"] == ["assigned", "cancelled"]


def test_renters_and_visitors_see_no_maintenance_data(client: TestClient, session: Session) -> None:
    renter = token_headers(client, make_user(session, role=Role.renter))
    for path in ("/api/v1/assets", "/api/v1/work-orders", "/api/v1/inspections"):
        assert client.get(path, headers=renter).status_code == 403
        assert client.get(path).status_code == 401


def test_assets_listing(client: TestClient, session: Session) -> None:
    asset = make_asset(session)
    headers = token_headers(client, make_user(session, role=Role.crew))
    listed = client.get(f"/api/v1/assets?room_id={asset.room_id}", headers=headers).json()
    assert listed["total"] == 1 and listed["items"][0]["code"] == asset.code


def test_inspections_list_and_idempotent_submit(client: TestClient, session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    overdue = make_inspection(session, due_at=utcnow() - timedelta(days=2))
    later = make_inspection(session, due_at=utcnow() + timedelta(days=20))
    headers = token_headers(client, crew)
    soon = (utcnow() + timedelta(days=1)).isoformat()
    listed = client.get("/api/v1/inspections", params={"due_before": soon, "status": "open"}, headers=headers)
    assert [i["id"] for i in listed.json()["items"]] == [overdue.id]
    assert listed.json()["items"][0]["overdue"] is True
    assert client.get("/api/v1/inspections?status=overdue", headers=headers).json()["total"] == 1

    body = {"submission_id": new_submission_id(), "answers": passing_answers(), "signature": PNG_DATA_URL}
    first = client.post(f"/api/v1/inspections/{overdue.id}/submit", json=body, headers=headers)
    assert first.status_code == 200, first.text
    again = client.post(f"/api/v1/inspections/{overdue.id}/submit", json=body, headers=headers)
    assert again.json() == first.json()
    assert len(session.exec(select(Submission)).all()) == 1
    done = client.get("/api/v1/inspections?status=done", headers=headers).json()
    assert [i["id"] for i in done["items"]] == [overdue.id]
    assert later.id not in [i["id"] for i in done["items"]]


def test_failed_submission_reports_corrective_orders(client: TestClient, session: Session) -> None:
    inspection = make_inspection(session)
    headers = token_headers(client, make_user(session, role=Role.crew))
    body = {"submission_id": new_submission_id(), "answers": {**passing_answers(), "ph": 11}, "signature": PNG_DATA_URL}
    result = client.post(f"/api/v1/inspections/{inspection.id}/submit", json=body, headers=headers).json()
    assert result["result"] == "fail" and result["failed_items"] == ["ph"]
    orders = session.exec(select(WorkOrder)).all()
    assert [o.id for o in orders] == result["corrective_work_orders"]


def test_submit_validation_errors(client: TestClient, session: Session) -> None:
    inspection = make_inspection(session)
    headers = token_headers(client, make_user(session, role=Role.crew))
    missing = {"submission_id": new_submission_id(), "answers": {"posted": "pass"}, "signature": PNG_DATA_URL}
    response = client.post(f"/api/v1/inspections/{inspection.id}/submit", json=missing, headers=headers)
    assert response.status_code == 422 and response.json()["item"] == "ph"
    bad_id = {**missing, "submission_id": "x"}
    assert client.post(f"/api/v1/inspections/{inspection.id}/submit", json=bad_id, headers=headers).status_code == 422
    assert (
        client.post(
            "/api/v1/inspections/999999/submit", json={**missing, "submission_id": new_submission_id()}, headers=headers
        ).status_code
        == 404
    )


def test_only_managers_assign_work_to_someone_else(client: TestClient, session: Session) -> None:
    crew, other = make_user(session, role=Role.crew), make_user(session, role=Role.crew)
    headers = token_headers(client, crew)
    to_other = client.post("/api/v1/work-orders", json={"title": "배관 점검", "assignee_id": other.id}, headers=headers)
    assert to_other.status_code == 403
    mine = client.post("/api/v1/work-orders", json={"title": "배관 점검", "assignee_id": crew.id}, headers=headers)
    assert mine.status_code == 201 and mine.json()["assignee_id"] == crew.id
    unassigned = client.post("/api/v1/work-orders", json={"title": "조명 점검"}, headers=headers)
    assert unassigned.status_code == 201
    order_id = unassigned.json()["id"]
    handed = client.post(f"/api/v1/work-orders/{order_id}/assign", json={"assignee_id": other.id}, headers=headers)
    assert handed.status_code == 403
    # The board's form for crew has no assignee field, and a forged one is refused the same way.
    browser_login(client, crew)
    assert 'name="assignee_id"' not in client.get("/maintenance/work-orders").text
    forged = {
        "title": "몰래 배정",
        "assignee_id": str(other.id),
        "csrf_token": csrf_from(client, "/maintenance/work-orders"),
    }
    assert client.post("/maintenance/work-orders", data=forged, follow_redirects=False).status_code == 403
    assert session.exec(select(WorkOrder).where(WorkOrder.assignee_id == other.id)).all() == []
