"""Password reset by an e-mailed one-time link: no account oracle, a per-address limit, single use,
expiry, hashed storage, and every old session and token ended."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from facility.core import password_links, throttle
from facility.core.config import Settings
from facility.core.models import AuditEntry, PasswordResetToken, Role
from facility.core.outbox import OutboxMessage
from tests.concurrent import fire_together, status_codes
from tests.conftest import serve_app
from tests.factories import PASSWORD, browser_login, make_user, token_headers

NEW_PASSWORD = "violet-quarry-teapot-ribbon"


def links_sent_to(session: Session, email: str) -> list[str]:
    session.commit()  # a fresh snapshot: SQLite keeps a read transaction's view
    bodies = session.exec(select(OutboxMessage.body).where(OutboxMessage.to == email)).all()
    return [match for body in bodies for match in re.findall(r"/password-reset/([\w-]+)", body)]


def test_reset_answers_alike_for_unknown_addresses_and_mails_only_real_ones(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    known = client.post("/api/v1/auth/password-reset", json={"email": user.email.upper()})
    unknown = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.kr"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert len(links_sent_to(session, user.email)) == 1
    assert links_sent_to(session, "nobody@example.kr") == []
    # Only the token's hash is kept.
    (token,) = links_sent_to(session, user.email)
    stored = session.exec(select(PasswordResetToken.token_hash)).all()
    assert stored and token not in stored


def test_reset_link_sets_the_password_once_and_ends_old_sessions(client: TestClient, session: Session) -> None:
    user = make_user(session)
    old_headers = token_headers(client, user)
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    (token,) = links_sent_to(session, user.email)

    weak = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "password123"})
    assert weak.status_code == 422  # refused, and the link is not spent by it
    done = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert done.status_code == 204, done.text
    assert client.get("/api/v1/users/me", headers=old_headers).status_code == 401
    again = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD + "x"})
    assert again.status_code == 422 and "만료" in again.json()["detail"]
    assert client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD}).status_code == 401
    token_headers(client, user, NEW_PASSWORD)


def test_an_expired_link_is_refused(client: TestClient, session: Session) -> None:
    user = make_user(session)
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    (token,) = links_sent_to(session, user.email)
    row = session.exec(select(PasswordResetToken)).one()
    row.expires_at -= password_links.LINK_TTL + timedelta(seconds=1)
    session.add(row)
    session.commit()
    late = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert late.status_code == 422
    token_headers(client, user)  # the old password still works


def test_requests_for_one_address_are_limited(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(password_links, "REQUEST_BUDGET", throttle.Budget(free_attempts=2, first_delay_s=60.0))
    user = make_user(session)
    answers = [client.post("/api/v1/auth/password-reset", json={"email": user.email}).status_code for _ in range(3)]
    assert answers == [202, 202, 429]
    assert len(links_sent_to(session, user.email)) == 2
    # An unknown address meets the same limit, so the limit tells nothing either.
    unknown = [client.post("/api/v1/auth/password-reset", json={"email": "x@example.kr"}).status_code for _ in range(3)]
    assert unknown == [202, 202, 429]


def test_reset_pages_in_the_browser(client: TestClient, session: Session) -> None:
    user = make_user(session)
    login = client.get("/login")
    assert 'href="/password-reset"' in login.text
    form = client.get("/password-reset")
    csrf = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/password-reset", data={"email": user.email}, follow_redirects=False).status_code == 403
    sent = client.post("/password-reset", data={"email": user.email, "csrf_token": csrf}, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/login"
    (token,) = links_sent_to(session, user.email)
    page = client.get(f"/password-reset/{token}")
    assert page.status_code == 200 and 'minlength="10"' in page.text
    bad = client.post(f"/password-reset/{token}", data={"password": "short", "csrf_token": csrf})
    assert bad.status_code == 422 and "10" in bad.text
    done = client.post(
        f"/password-reset/{token}", data={"password": NEW_PASSWORD, "csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    browser_login(client, user, NEW_PASSWORD)


def test_change_password_needs_the_current_one_and_ends_other_sessions(client: TestClient, session: Session) -> None:
    user = make_user(session)
    headers = token_headers(client, user)
    other = token_headers(client, user)
    wrong = client.post(
        "/api/v1/auth/password", json={"current_password": "not-it-at-all", "password": NEW_PASSWORD}, headers=headers
    )
    assert wrong.status_code == 422
    weak = client.post("/api/v1/auth/password", json={"current_password": PASSWORD, "password": "abc"}, headers=headers)
    assert weak.status_code == 422
    done = client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "password": NEW_PASSWORD}, headers=headers
    )
    assert done.status_code == 204, done.text
    assert client.get("/api/v1/users/me", headers=other).status_code == 401
    token_headers(client, user, NEW_PASSWORD)


def test_change_password_page_keeps_this_browser_signed_in(client: TestClient, session: Session) -> None:
    user = make_user(session)
    browser_login(client, user)
    page = client.get("/account/password")
    assert page.status_code == 200 and 'minlength="10"' in page.text
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    fields = {"current_password": PASSWORD, "password": NEW_PASSWORD, "csrf_token": csrf}
    done = client.post("/account/password", data=fields, follow_redirects=False)
    assert done.status_code == 303
    assert client.get("/account/password", follow_redirects=False).status_code == 200
    assert 'minlength="10"' in client.get("/signup").text


def test_admin_sends_a_set_password_link_to_any_user(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.admin)
    manager = make_user(session, role=Role.manager)
    crew = make_user(session, role=Role.crew)
    refused = client.post(f"/api/v1/users/{crew.id}/password-link", headers=token_headers(client, manager))
    assert refused.status_code == 403 and links_sent_to(session, crew.email) == []
    sent = client.post(f"/api/v1/users/{crew.id}/password-link", headers=token_headers(client, admin))
    assert sent.status_code == 202, sent.text
    (token,) = links_sent_to(session, crew.email)
    done = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert done.status_code == 204
    token_headers(client, crew, NEW_PASSWORD)
    missing = client.post("/api/v1/users/999999/password-link", headers=token_headers(client, admin))
    assert missing.status_code == 404


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_one_link_used_by_many_at_once_sets_one_password(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """24 confirms of one token against the server's 8 worker threads: the row lock lets one through."""
    user = make_user(session)
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    (token,) = links_sent_to(session, user.email)
    parallel = 24
    with serve_app(settings) as url:
        results = fire_together(
            url,
            parallel,
            lambda http, i: http.post(
                "/api/v1/auth/password-reset/confirm", json={"token": token, "password": f"{NEW_PASSWORD}-{i}"}
            ),
        )
    codes = status_codes(results)
    assert codes.count(204) == 1 and codes.count(422) == parallel - 1, codes
    (winner,) = [i for i, r in enumerate(results) if isinstance(r, httpx.Response) and r.status_code == 204]
    token_headers(client, user, f"{NEW_PASSWORD}-{winner}")
    session.commit()
    assert (
        session.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "user.set_password")).one()
        == 1
    )
