import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core import accounts, throttle
from facility.core.models import AuditEntry, Organization, OrgStatus, Role
from tests.factories import PASSWORD, make_organization, make_user, token_headers


def test_token_then_me(client: TestClient, session: Session) -> None:
    user = make_user(session, role=Role.manager)
    headers = token_headers(client, user)
    me = client.get("/api/v1/users/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["email"] == user.email and me.json()["role"] == "manager"


def test_wrong_password_is_401_with_message(client: TestClient, session: Session) -> None:
    user = make_user(session)
    response = client.post("/api/v1/auth/token", data={"username": user.email, "password": "nope-nope"})
    assert response.status_code == 401
    assert response.json() == {"detail": "이메일 또는 비밀번호가 올바르지 않습니다.", "code": "bad_credentials"}
    data = {"username": user.email, "password": "nope-nope"}
    english = client.post("/api/v1/auth/token", data=data, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert english.json() == {"detail": "Wrong e-mail or password.", "code": "bad_credentials"}


def test_bad_bearer_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/users/me", headers={"Authorization": "Bearer forged.token"})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.fixture
def slow_delays(monkeypatch: pytest.MonkeyPatch) -> None:
    """A first delay no Argon2 verification on a loaded machine outlasts."""
    monkeypatch.setattr(accounts, "ACCOUNT_BUDGET", throttle.Budget(free_attempts=5, first_delay_s=60))
    monkeypatch.setattr(accounts, "ADDRESS_BUDGET", throttle.Budget(free_attempts=20, first_delay_s=60))


@pytest.mark.usefixtures("slow_delays")
def test_login_rate_limited_per_account(client: TestClient, session: Session) -> None:
    user = make_user(session)
    for _ in range(5):
        bad = client.post("/api/v1/auth/token", data={"username": user.email, "password": "wrong-pw"})
        assert bad.status_code == 401
    blocked = client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "초 후에 다시 시도하세요" in blocked.json()["detail"] and blocked.headers["Retry-After"]


def test_signup_creates_pending_org_then_manager_approves(client: TestClient, session: Session) -> None:
    body = {
        "email": "Renter@Example.kr",
        "password": "long-enough-pw",
        "full_name": "김대관",
        "org_name": "서초교사모임",
        "business_number": "1234567891",
        "org_kind": "education",
        "accept_terms": True,
        "accept_privacy": True,
    }
    created = client.post("/api/v1/signup", json=body)
    assert created.status_code == 202, created.text
    assert "renter@example.kr" in created.json()["detail"]
    org = session.exec(select(Organization).where(Organization.name == "서초교사모임")).one()
    assert org.status == "pending" and org.business_number == "123-45-67891"

    manager = make_user(session, role=Role.manager)
    headers = token_headers(client, manager)
    decided = client.post(f"/api/v1/organizations/{org.id}/decision", json={"approve": True}, headers=headers)
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    # The decision was committed and audited: a later request sees both.
    listed = client.get("/api/v1/organizations?status=approved", headers=headers)
    assert [o["name"] for o in listed.json()] == ["서초교사모임"]
    audit = client.get("/api/v1/audit?entity=organization&action=approve", headers=headers).json()
    assert audit["total"] == 1
    entry = audit["items"][0]
    assert entry["actor_label"] == manager.email
    assert entry["before"]["status"] == "pending" and entry["after"]["status"] == "approved"


def test_rejection_needs_reason(client: TestClient, session: Session) -> None:
    org = make_organization(session, status=OrgStatus.pending)
    headers = token_headers(client, make_user(session, role=Role.manager))
    response = client.post(f"/api/v1/organizations/{org.id}/decision", json={"approve": False}, headers=headers)
    assert response.status_code == 422
    assert "반려 사유" in response.json()["detail"]


def test_only_admin_creates_staff(client: TestClient, session: Session) -> None:
    body = {"email": "crew9@example.kr", "password": "long-enough-pw", "role": "crew"}
    manager_headers = token_headers(client, make_user(session, role=Role.manager))
    assert client.post("/api/v1/users", json=body, headers=manager_headers).status_code == 403
    admin_headers = token_headers(client, make_user(session, role=Role.admin))
    created = client.post("/api/v1/users", json=body, headers=admin_headers)
    assert created.status_code == 201
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "user.create")).all()
    assert any(e.after and e.after["email"] == "crew9@example.kr" for e in entries)
    assert all("password_hash" not in (e.after or {}) for e in entries)


def test_validation_error_shape(client: TestClient) -> None:
    response = client.post("/api/v1/signup", json={"email": "x"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["detail"].startswith("입력값이 올바르지 않습니다 — ")
    assert "password: 필수 항목입니다" in body["detail"]
    english = client.post("/api/v1/signup", json={"email": "x"}, headers={"Accept-Language": "en"}).json()
    assert english["code"] == "invalid" and "password: Field required" in english["detail"]


@pytest.mark.usefixtures("slow_delays")
def test_login_rate_limited_per_address(client: TestClient, session: Session) -> None:
    victim = make_user(session)
    for n in range(20):  # twenty different accounts guessed from one address
        client.post("/api/v1/auth/token", data={"username": f"nobody{n}@example.kr", "password": "guess-pw"})
    blocked = client.post("/api/v1/auth/token", data={"username": victim.email, "password": PASSWORD})
    assert blocked.status_code == 429
