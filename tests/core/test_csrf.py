from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.core.models import OrgStatus, Role
from tests.factories import PASSWORD, browser_login, csrf_from, make_organization, make_user


def test_login_form_without_csrf_token_is_refused(client: TestClient, session: Session) -> None:
    user = make_user(session)
    client.get("/login")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "페이지를 새로 고친 뒤" in response.text


def test_login_form_with_token_signs_in(client: TestClient, session: Session) -> None:
    user = make_user(session, role=Role.crew)
    browser_login(client, user)
    assert user.email in client.get("/rooms").text


def test_cookie_session_api_post_needs_csrf_header(client: TestClient, session: Session) -> None:
    org = make_organization(session, status=OrgStatus.pending)
    manager = make_user(session, role=Role.manager)
    browser_login(client, manager)
    url = f"/api/v1/organizations/{org.id}/decision"
    refused = client.post(url, json={"approve": True})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf"
    accepted = client.post(url, json={"approve": True}, headers={"X-CSRF-Token": csrf_from(client)})
    assert accepted.status_code == 200


def test_htmx_decision_from_page(client: TestClient, session: Session) -> None:
    org = make_organization(session, status=OrgStatus.pending, name="대기기관")
    manager = make_user(session, role=Role.manager)
    browser_login(client, manager)
    page = client.get("/organizations?status=pending")
    assert "대기기관" in page.text
    token = csrf_from(client)
    row = client.post(
        f"/organizations/{org.id}/decision",
        data={"approve": "true"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert row.status_code == 200
    assert row.text.lstrip().startswith("{#") is False
    assert f'id="org-{org.id}"' in row.text and "<html" not in row.text
    assert "approved" in row.text


def test_logout_clears_session(client: TestClient, session: Session) -> None:
    user = make_user(session, role=Role.manager)
    browser_login(client, user)
    token = csrf_from(client)
    client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert client.get("/audit", follow_redirects=False).status_code == 303
