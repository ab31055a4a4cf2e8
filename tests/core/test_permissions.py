"""Every protected endpoint, walked with every role: who may, who may not."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.core.models import OrgStatus, Role
from tests.factories import make_organization, make_room, make_user, token_headers

ROLES = [None, Role.renter, Role.crew, Role.manager, Role.admin]
MANAGERS = {Role.manager, Role.admin}

# (method, path template, json body, roles allowed, success status)
MATRIX = [
    ("GET", "/api/v1/users/me", None, {Role.renter, Role.crew, Role.manager, Role.admin}, 200),
    ("GET", "/api/v1/audit", None, MANAGERS, 200),
    ("GET", "/api/v1/organizations", None, MANAGERS, 200),
    ("POST", "/api/v1/organizations/{org}/decision", {"approve": True}, MANAGERS, 200),
    ("PATCH", "/api/v1/rooms/{room}", {"capacity": 40}, MANAGERS, 200),
    (
        "POST",
        "/api/v1/users",
        {"email": "new-{role}@example.kr", "password": "long-enough-pw", "role": "crew"},
        {Role.admin},
        201,
    ),
]


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_role_matrix(client: TestClient, session: Session, role: Role | None) -> None:
    headers = token_headers(client, make_user(session, role=role)) if role else {}
    for method, template, body, allowed, ok_status in MATRIX:
        org = make_organization(session, status=OrgStatus.pending)
        room = make_room(session)
        path = template.format(org=org.id, room=room.id)
        if body and "email" in body:
            body = {**body, "email": body["email"].format(role=role.value if role else "anon")}
        response = client.request(method, path, json=body, headers=headers)
        if role in allowed:
            assert response.status_code == ok_status, (role, method, path, response.text)
        else:
            expected = 401 if role is None else 403
            assert response.status_code == expected, (role, method, path, response.text)
            assert response.json()["code"] in {"not_authenticated", "forbidden"}


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_pages_by_role(client: TestClient, session: Session, role: Role | None) -> None:
    from tests.factories import browser_login

    if role:
        browser_login(client, make_user(session, role=role))
    for path in ("/audit", "/organizations"):
        response = client.get(path, follow_redirects=False)
        if role is None:
            assert response.status_code == 303 and response.headers["location"].startswith("/login")
        elif role in MANAGERS:
            assert response.status_code == 200
        else:
            assert response.status_code == 403
    assert client.get("/rooms").status_code == 200
