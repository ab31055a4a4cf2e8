import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.core.models import Role
from tests.factories import browser_login, csrf_from, make_user


def test_audit_page_filters_in_place(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.admin)
    browser_login(client, admin)
    token = csrf_from(client)
    for email in ("crew-a@example.kr", "crew-b@example.kr"):
        body = {"email": email, "password": "long-enough-pw", "role": "crew"}
        assert client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": token}).status_code == 201
    full = client.get("/audit")
    assert "<html" in full.text and "user.create" in full.text
    fragment = client.get("/audit?action=user.create&actor=" + admin.email, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert fragment.text.count("<code>user.create</code>") == 2
    assert "crew-a@example.kr" in fragment.text


def test_signup_page_creates_pending_renter(client: TestClient, session: Session) -> None:
    token = csrf_from(client, "/signup")
    form = {
        "csrf_token": token,
        "email": "new@org.kr",
        "password": "long-enough-pw",
        "full_name": "이대관",
        "org_name": "방배교사연구회",
        "org_kind": "education",
        "business_number": "",
        "contact_phone": "010",
    }
    response = client.post("/signup", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert "이대관" in client.get("/rooms").text  # signed in straight away
    fresh = csrf_from(client, "/signup")  # signing in rotated the session and its token
    bad = client.post("/signup", data={**form, "csrf_token": fresh}, follow_redirects=False)
    assert bad.status_code == 409 and "이미 있습니다" in bad.text

    manager = make_user(session, role=Role.manager)
    client.cookies.clear()
    browser_login(client, manager)
    assert "방배교사연구회" in client.get("/organizations?status=pending").text


def _nav_links(html: str) -> list[str]:
    menu = html.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'href="([^"]+)"', menu)


def test_the_navigation_is_what_the_app_factory_lists_per_role(client: TestClient, session: Session) -> None:
    assert _nav_links(client.get("/rooms").text) == ["/rooms", "/book"]
    browser_login(client, make_user(session, role=Role.manager))
    assert _nav_links(client.get("/rooms").text) == [
        "/rooms",
        "/book",
        "/maintenance/my-day",
        "/maintenance/work-orders",
        "/maintenance/assets",
        "/maintenance/compliance",
        "/manage/bookings",
        "/manage/grid",
        "/sensors",
        "/organizations",
        "/audit",
    ]
