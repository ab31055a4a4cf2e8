"""Signing in and out: the atomic throttle, equal timing for unknown e-mails, revocation, password policy."""

from __future__ import annotations

import pytest
from argon2 import Parameters, PasswordHasher, extract_parameters
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.core import accounts, security, throttle
from facility.core.config import Settings
from facility.core.models import Role, SignInThrottle
from facility.core.security import is_guessable_password
from tests.concurrent import fire_together, status_codes
from tests.conftest import serve_app
from tests.factories import PASSWORD, browser_login, csrf_from, make_user, token_headers

BUDGET = throttle.Budget(free_attempts=5, first_delay_s=1.0, max_delay_s=8.0, quiet_reset_s=900)


def test_throttle_lets_five_through_then_doubles_the_wait(session: Session) -> None:
    t0 = 1_000_000.0
    assert [throttle.take_attempt(session, "account:a@x.kr", BUDGET, t0 + i / 10) for i in range(5)] == [0.0] * 5
    assert throttle.take_attempt(session, "account:a@x.kr", BUDGET, t0 + 0.5) == pytest.approx(0.9)
    # Waiting out the delay lets one attempt through, and the next wait is twice as long.
    assert throttle.take_attempt(session, "account:a@x.kr", BUDGET, t0 + 1.5) == 0.0
    assert throttle.take_attempt(session, "account:a@x.kr", BUDGET, t0 + 1.5) == pytest.approx(2.0)
    # Refused attempts do not lengthen it; the cap holds however long the attacker goes on.
    now = t0 + 1.5
    for _ in range(10):
        now += throttle.take_attempt(session, "account:a@x.kr", BUDGET, now) + 0.01
        assert throttle.take_attempt(session, "account:a@x.kr", BUDGET, now) == 0.0
    assert throttle.take_attempt(session, "account:a@x.kr", BUDGET, now) == pytest.approx(8.0)
    # Other keys are untouched, and a quiet quarter of an hour starts the key afresh.
    assert throttle.take_attempt(session, "address:10.0.0.1", BUDGET, now) == 0.0
    assert throttle.take_attempt(session, "account:a@x.kr", BUDGET, now + 901) == 0.0


def test_correct_password_works_again_after_the_short_delay(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "ACCOUNT_BUDGET", throttle.Budget(free_attempts=5, first_delay_s=30.0))
    user = make_user(session)
    for _ in range(5):
        bad = client.post("/api/v1/auth/token", data={"username": user.email, "password": "wrong-password"})
        assert bad.status_code == 401
    blocked = client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD})
    assert blocked.status_code == 429 and 25 <= int(blocked.headers["Retry-After"]) <= 30
    # Half a minute later (the clock moved on in the database instead of in the test):
    row = session.get(SignInThrottle, f"account:{user.email}")
    assert row is not None
    row.blocked_until_s -= 30
    session.add(row)
    session.commit()
    assert client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD}).status_code == 200
    # Success clears the account's count: the owner starts again with five free attempts.
    for _ in range(4):
        client.post("/api/v1/auth/token", data={"username": user.email, "password": "wrong-password"})
    assert client.post("/api/v1/auth/token", data={"username": user.email, "password": PASSWORD}).status_code == 200


def test_sign_in_page_shows_the_wait(client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "ACCOUNT_BUDGET", throttle.Budget(free_attempts=1, first_delay_s=60.0))
    user = make_user(session)
    token = client.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"email": user.email, "password": "wrong-password", "csrf_token": token}
    assert client.post("/login", data=form).status_code == 401
    blocked = client.post("/login", data={**form, "password": PASSWORD})
    assert blocked.status_code == 429 and 50 <= int(blocked.headers["Retry-After"]) <= 60


class CountingHasher:
    """Argon2's hasher, counting the work: each verification with the parameters it ran under."""

    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher, self.verified, self.hashed = hasher, [], 0

    def verify(self, password_hash: str, password: str) -> bool:
        self.verified.append(extract_parameters(password_hash))
        return self.hasher.verify(password_hash, password)

    def hash(self, password: str) -> str:
        self.hashed += 1
        return self.hasher.hash(password)


def test_unknown_email_takes_as_long_as_a_known_one(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same Argon2 work, counted rather than timed (a loaded machine breaks any clock bound):
    a wrong password for an unknown address costs one verification with the parameters a real
    account's hash has, exactly as one for a known address does."""
    monkeypatch.setattr(accounts, "ADDRESS_BUDGET", throttle.Budget(free_attempts=100))
    known = [make_user(session) for _ in range(3)]
    counting = CountingHasher(security._hasher)
    monkeypatch.setattr(security, "_hasher", counting)
    work: dict[str, list[tuple[list[Parameters], int]]] = {"known": [], "unknown": []}
    for n, user in enumerate(known):
        for kind, username in (("known", user.email), ("unknown", f"nobody{n}@example.kr")):
            counting.verified, counting.hashed = [], 0
            response = client.post("/api/v1/auth/token", data={"username": username, "password": "wrong-password"})
            assert response.status_code == 401
            work[kind].append((counting.verified, counting.hashed))
    real = extract_parameters(known[0].password_hash)  # type: ignore[arg-type]
    assert work["known"] == work["unknown"] == [([real], 0)] * 3, work


def test_forty_parallel_guesses_are_throttled(
    settings: Settings, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through a real server: the attempts queue on the account's row instead of all passing a count."""
    # A first delay longer than the burst, so the count is exact however slow Argon2 runs here.
    monkeypatch.setattr(accounts, "ACCOUNT_BUDGET", throttle.Budget(free_attempts=5, first_delay_s=120.0))
    user = make_user(session)
    parallel = 40
    wrong = {"username": user.email, "password": "wrong-password"}
    with serve_app(settings) as url:
        codes = status_codes(fire_together(url, parallel, lambda http, _i: http.post("/api/v1/auth/token", data=wrong)))
    assert len(codes) == parallel and set(codes) <= {401, 429}, codes
    assert codes.count(401) == 5 and codes.count(429) == parallel - 5, codes


def test_a_cookie_replayed_after_sign_out_is_refused(client: TestClient, session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    browser_login(client, manager)
    assert client.get("/audit", follow_redirects=False).status_code == 200
    stolen = client.cookies.get("facility_session")
    csrf = csrf_from(client, "/audit")
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set("facility_session", stolen)  # type: ignore[arg-type]
    replayed = client.get("/audit", follow_redirects=False)
    assert replayed.status_code == 303 and replayed.headers["location"].startswith("/login")


def test_a_token_is_revoked_by_sign_out(client: TestClient, session: Session) -> None:
    user = make_user(session)
    headers = token_headers(client, user)
    other_device = token_headers(client, user)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    for replayed in (headers, other_device):
        response = client.get("/api/v1/users/me", headers=replayed)
        assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    # Signing in again gives a token that works.
    assert client.get("/api/v1/users/me", headers=token_headers(client, user)).status_code == 200


@pytest.mark.parametrize(
    "password",
    ["12345678", "aaaaaaaa", "aaaaaaaaaaaa", "1234567890", "qwertyuiop", "password123", "0987654321", "abababababab"]
    + ["Password123!", "zaq12wsxcde", "1qaz2wsx3edc"],
)
def test_guessable_passwords(password: str) -> None:
    assert is_guessable_password(password)


def test_passwords_made_of_the_accounts_own_words() -> None:
    assert is_guessable_password("kimdaegwan2024", "kimdaegwan")
    assert not is_guessable_password("tide-lantern-orbit", "kimdaegwan")
    assert not is_guessable_password(PASSWORD)


def test_sign_up_refuses_short_and_common_passwords(client: TestClient) -> None:
    body = {"email": "r@example.kr", "full_name": "김대관", "org_name": "서초교사모임", "org_kind": "education"}
    body |= {"accept_terms": True, "accept_privacy": True}
    for password, code in (("12345678", "invalid"), ("aaaaaaaa", "invalid"), ("iloveyou123", "weak_password")):
        response = client.post("/api/v1/signup", json={**body, "password": password})
        assert response.status_code == 422 and response.json()["code"] == code, response.text
    assert client.post("/api/v1/signup", json={**body, "password": "tide-lantern-orbit"}).status_code == 202


def test_an_attacker_cannot_lock_the_owner_out_of_a_browser_they_used_before(
    client: TestClient, session: Session, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "ACCOUNT_BUDGET", throttle.Budget(free_attempts=2, first_delay_s=300.0))
    owner = make_user(session)
    browser_login(client, owner)  # the owner's browser now carries its device cookie
    assert client.cookies.get("facility_device")
    client.post("/logout", data={"csrf_token": csrf_from(client, "/rooms")})
    with TestClient(app) as attacker:
        for _ in range(2):
            wrong = attacker.post("/api/v1/auth/token", data={"username": owner.email, "password": "wrong-password"})
            assert wrong.status_code == 401
        stranger = attacker.post("/api/v1/auth/token", data={"username": owner.email, "password": PASSWORD})
        assert stranger.status_code == 429  # a new browser waits, even with the right password
        # A device cookie is bound to its account: the owner's does not help for another one.
        attacker.cookies.set("facility_device", client.cookies.get("facility_device") or "")
        other = make_user(session)
        for _ in range(2):
            attacker.post("/api/v1/auth/token", data={"username": other.email, "password": "wrong-password"})
        assert (
            attacker.post("/api/v1/auth/token", data={"username": other.email, "password": PASSWORD}).status_code == 429
        )
    browser_login(client, owner)  # the owner's own browser signs in at once
