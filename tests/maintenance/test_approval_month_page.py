"""A building's approval month set on its page (the service of PATCH /api/v1/buildings/{id}): the
form posts with its CSRF token, the building keeps the month, an audit row says who, and the
duties calendar puts the fire self-inspection at that month's end."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from facility.core.audit import AuditEntry
from facility.core.models import Role
from facility.rooms.models import Building
from tests.factories import browser_login, csrf_from, make_room, make_user

PAGE = "/maintenance/approval-months"


def test_manager_sets_a_buildings_approval_month_on_the_page(client: TestClient, session: Session) -> None:
    room = make_room(session)
    building = session.get(Building, room.building_id)
    assert building is not None and building.approval_month is None
    browser_login(client, make_user(session, role=Role.crew))
    assert client.get(PAGE).status_code == 403
    manager = make_user(session, role=Role.manager)
    browser_login(client, manager)
    page = client.get(PAGE)
    assert page.status_code == 200 and f'data-building="{building.code}"' in page.text
    token = csrf_from(client, PAGE)
    target = f"{PAGE}/{building.id}"
    assert client.post(target, data={"approval_month": "6"}, follow_redirects=False).status_code == 403  # no token
    saved = client.post(target, data={"approval_month": "6", "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == PAGE
    session.rollback()
    session.expire_all()
    assert session.get(Building, building.id).approval_month == 6  # type: ignore[union-attr]
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.action == "building.update").order_by(col(AuditEntry.id))
    ).all()
    assert [(e.entity_id, e.actor_id, (e.after or {}).get("approval_month")) for e in entries] == [
        (str(building.id), manager.id, 6)
    ]
    shown = client.get(PAGE).text
    assert 'data-testid="toast"' in shown and "6월" in shown.split(f'data-testid="month-{building.code}"')[1][:40]
    refused = client.post(target, data={"approval_month": "13", "csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 422


def test_a_wrong_approval_month_can_be_cleared_on_the_page_and_through_the_api(
    client: TestClient, session: Session
) -> None:
    """A month set by mistake misplaces the yearly checks: the empty choice (and a null in the
    API's PATCH) clears it; a PATCH that leaves it out keeps it."""
    room = make_room(session)
    building = session.get(Building, room.building_id)
    assert building is not None
    manager = make_user(session, role=Role.manager)
    browser_login(client, manager)
    token = csrf_from(client, PAGE)
    target = f"{PAGE}/{building.id}"
    assert client.post(target, data={"approval_month": "3", "csrf_token": token}, follow_redirects=False).is_redirect
    assert "모름(지우기)" in client.get(PAGE).text
    cleared = client.post(target, data={"approval_month": "", "csrf_token": token}, follow_redirects=False)
    assert cleared.status_code == 303
    session.expire_all()
    assert session.get(Building, building.id).approval_month is None  # type: ignore[union-attr]
    shown = client.get(PAGE).text
    assert "사용승인월을 지웠습니다" in shown and "모름" in shown.split(f'data-testid="month-{building.code}"')[1][:80]
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.action == "building.update").order_by(col(AuditEntry.id))
    ).all()
    assert [(e.after or {}).get("approval_month") for e in entries] == [3, None]

    api = f"/api/v1/buildings/{building.id}"
    headers = {"X-CSRF-Token": token}
    assert client.patch(api, json={"approval_month": 9}, headers=headers).status_code == 200
    kept = client.patch(api, json={"name_en": "Education hall"}, headers=headers)
    assert kept.status_code == 200 and kept.json()["approval_month"] == 9
    assert client.patch(api, json={"approval_month": None}, headers=headers).json()["approval_month"] is None
    assert client.patch(api, json={"name_ko": None}, headers=headers).json()["name_ko"] == building.name_ko
