"""Issue 26: sign-up tells nobody which addresses have accounts and is limited per address; the
per-address sign-in throttle never holds back a browser that signed in before; redirects never
trust the Host header; Jinja2 is a version without the known sandbox escapes."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from packaging.version import Version
from sqlmodel import Session, col, func, select

from facility.core import accounts, throttle
from facility.core.config import Settings
from facility.core.models import User
from facility.core.outbox import OutboxMessage
from tests.concurrent import fire_together, status_codes
from tests.conftest import serve_app
from tests.factories import PASSWORD, browser_login, csrf_from, make_user

ROOT = Path(__file__).resolve().parents[2]


def _sign_up_body(email: str) -> dict[str, object]:
    return {
        "email": email,
        "password": "tide-lantern-orbit",
        "full_name": "김탐색",
        "org_name": "탐색모임",
        "org_kind": "education",
        "accept_terms": True,
        "accept_privacy": True,
    }


def _mails_to(session: Session, email: str) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.exec(select(OutboxMessage).where(col(OutboxMessage.to) == email)))


def test_sign_up_answers_a_known_address_as_an_unknown_one(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    known = client.post("/api/v1/signup", json=_sign_up_body(owner.email))
    unknown = client.post("/api/v1/signup", json=_sign_up_body("nobody@example.kr"))
    assert (known.status_code, unknown.status_code) == (202, 202)
    assert known.json().keys() == unknown.json().keys() == {"detail"}
    assert known.json()["detail"].replace(owner.email, "@") == unknown.json()["detail"].replace(
        "nobody@example.kr", "@"
    )
    # The owner hears that someone tried; the account is untouched; the new address got its account.
    tried = _mails_to(session, owner.email)
    assert [m.subject for m in tried] == ["누군가 회원님의 이메일 주소로 가입을 시도했습니다"]
    assert session.exec(select(func.count()).select_from(User).where(User.email == owner.email)).one() == 1
    assert accounts.get_user_by_email(session, "nobody@example.kr") is not None
    assert len(_mails_to(session, "nobody@example.kr")) == 1


def test_sign_ups_from_one_address_are_limited(client: TestClient, session: Session) -> None:
    answers = [client.post("/api/v1/signup", json=_sign_up_body(f"probe{i}@example.kr")) for i in range(8)]
    assert [a.status_code for a in answers] == [202] * 5 + [429] * 3
    assert 55 <= int(answers[5].headers["Retry-After"]) <= 60
    assert "가입 시도가 너무 많습니다" in answers[5].json()["detail"]
    # A refused probe reveals nothing either: a known address is refused the same way.
    known = client.post("/api/v1/signup", json=_sign_up_body(make_user(session).email))
    assert known.status_code == 429
    assert session.exec(select(func.count()).select_from(User).where(col(User.email).like("probe%"))).one() == 5


@pytest.mark.slow
def test_concurrent_sign_ups_from_one_address_stop_at_the_budget(settings: Settings, session: Session) -> None:
    if settings.database_url.startswith("sqlite"):
        pytest.skip("races are PostgreSQL's to prove; SQLite serialises every write")
    threads = 8
    racers = 3 * threads
    limits = {"worker_threads": threads, "max_concurrent_requests": threads - 2}
    with serve_app(settings.model_copy(update=limits)) as url:
        results = fire_together(
            url, racers, lambda http, i: http.post("/api/v1/signup", json=_sign_up_body(f"race{i}@example.kr"))
        )
    codes = status_codes(results)
    free = accounts.SIGN_UP_BUDGET.free_attempts
    assert codes.count(202) == free and codes.count(429) == racers - free, codes


def test_the_sign_up_page_answers_a_known_address_as_an_unknown_one(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    pages = []
    for email in (owner.email, "fresh@example.kr"):
        form = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in _sign_up_body(email).items()}
        answer = client.post(
            "/signup", data={**form, "csrf_token": csrf_from(client, "/signup")}, follow_redirects=False
        )
        assert (answer.status_code, answer.headers["location"]) == (303, "/login")
        pages.append(client.get("/login").text.replace(email, "@"))
    assert pages[0] == pages[1]
    assert len(_mails_to(session, owner.email)) == 1


def test_strangers_failing_from_one_address_do_not_hold_back_a_known_browser(
    client: TestClient, session: Session, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shared NAT: twenty wrong guesses at other accounts use up the address's budget; the owner's
    browser, which signed in before, still signs in; a new browser from there waits."""
    # First delays longer than the test, so a slow run's seconds do not end a wait early.
    monkeypatch.setattr(accounts, "ADDRESS_BUDGET", throttle.Budget(free_attempts=20, first_delay_s=300.0))
    monkeypatch.setattr(accounts, "ACCOUNT_BUDGET", throttle.Budget(free_attempts=5, first_delay_s=300.0))
    owner = make_user(session)
    browser_login(client, owner)
    client.post("/logout", data={"csrf_token": csrf_from(client, "/rooms")})
    with TestClient(app) as stranger:
        for i in range(accounts.ADDRESS_BUDGET.free_attempts):
            wrong = {"username": f"random{i}@example.kr", "password": "wrong-password"}
            assert stranger.post("/api/v1/auth/token", data=wrong).status_code == 401
        refused = stranger.post("/api/v1/auth/token", data={"username": owner.email, "password": PASSWORD})
        assert refused.status_code == 429
    signed_in = client.post("/api/v1/auth/token", data={"username": owner.email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    # The known browser keeps its own budget: wrong guesses from it are still throttled.
    for _ in range(accounts.ACCOUNT_BUDGET.free_attempts):
        client.post("/api/v1/auth/token", data={"username": owner.email, "password": "wrong-password"})
    assert client.post("/api/v1/auth/token", data={"username": owner.email, "password": PASSWORD}).status_code == 429


@pytest.mark.parametrize("path", ["/rooms/", "/login/", "/api/v1/rooms/"])
def test_redirects_never_trust_the_host_header(client: TestClient, path: str) -> None:
    answer = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
    assert 300 <= answer.status_code < 400, answer.status_code
    location = answer.headers["location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location, location


def test_jinja2_without_the_known_sandbox_escapes() -> None:
    """CVE-2024-56326 and CVE-2025-27516 are fixed in 3.1.5 and 3.1.6."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert any(d.replace(" ", "").startswith("jinja2>=3.1.6") for d in project["dependencies"])
    assert Version(version("jinja2")) >= Version("3.1.6")


def test_throttle_budget_is_per_key(session: Session) -> None:
    """The sign-up budget and the sign-in budgets count on separate keys."""
    for _ in range(accounts.SIGN_UP_BUDGET.free_attempts):
        assert throttle.take_attempt(session, "signup:10.0.0.9", accounts.SIGN_UP_BUDGET) == 0.0
    assert throttle.take_attempt(session, "signup:10.0.0.9", accounts.SIGN_UP_BUDGET) > 0
    assert throttle.take_attempt(session, "address:10.0.0.9", accounts.ADDRESS_BUDGET) == 0.0
