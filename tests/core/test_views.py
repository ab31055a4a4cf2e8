import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.core import accounts
from facility.core.db import utcnow
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
    # Actions and tables in words, their codes kept for the filter and a tooltip.
    assert fragment.text.count('data-action="user.create">사용자 · 생성</td>') == 2
    assert '<td title="user">사용자 #' in fragment.text
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
        "accept_terms": "true",
        "accept_privacy": "true",
    }
    response = client.post("/signup", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    notice = client.get("/login").text
    assert "new@org.kr" in notice
    # The same address again: the same answer, the same page (the owner's e-mail tells them).
    again = client.post("/signup", data=form, follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, "/login")
    assert client.get("/login").text.count("new@org.kr") == notice.count("new@org.kr")
    renter = accounts.get_user_by_email(session, "new@org.kr")
    assert renter is not None
    # End the read (keeping the row as read), so the test's own writes below meet no stale snapshot.
    session.expunge(renter)
    session.rollback()
    browser_login(client, renter, "long-enough-pw")
    assert "이대관" in client.get("/rooms").text

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
        "/energy/today",
        "/organizations",
        "/audit",
    ]


def test_signup_records_consent_and_refuses_without_it(client: TestClient, session: Session) -> None:
    page = client.get("/signup")
    for text in ("수집 항목", "수집·이용 목적", "보유 기간", "동의를 거부할 권리", accounts.PRIVACY_VERSION):
        assert text in page.text, text
    form = {
        "csrf_token": csrf_from(client, "/signup"),
        "email": "consent@org.kr",
        "password": "long-enough-pw",
        "full_name": "박동의",
        "org_name": "동의확인모임",
        "org_kind": "education",
        "accept_terms": "true",
    }
    refused = client.post("/signup", data=form)
    assert (
        refused.status_code == 422 and 'aria-invalid="true" aria-describedby="f-accept_privacy-error"' in refused.text
    )
    assert 'value="동의확인모임"' in refused.text and 'data-testid="form-error"' in refused.text
    assert accounts.get_user_by_email(session, "consent@org.kr") is None
    before = utcnow()
    created = client.post("/signup", data={**form, "accept_privacy": "true"}, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/login"
    session.rollback()
    user = accounts.get_user_by_email(session, "consent@org.kr")
    assert user is not None and (user.terms_version, user.privacy_version) == (
        accounts.TERMS_VERSION,
        accounts.PRIVACY_VERSION,
    )
    assert user.consented_at is not None and user.consented_at >= before - timedelta(seconds=1)
    client.cookies.clear()
    body = {k: v for k, v in form.items() if k not in ("csrf_token", "accept_terms")}
    api = client.post("/api/v1/signup", json={**body, "email": "api@org.kr", "org_name": "API 모임"})
    assert api.status_code == 422 and api.json()["code"] == "consent_required"
