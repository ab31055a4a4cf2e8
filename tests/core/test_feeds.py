"""Calendar feed tokens: stored hashed, rotated and revoked from the renter's page and the API."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from facility.core.models import FeedToken, Role
from tests.factories import browser_login, csrf_from, make_room, make_user, token_headers


def test_rotating_and_revoking_the_organisations_feed(client: TestClient, session: Session) -> None:
    headers = token_headers(client, make_user(session))
    first = client.get("/api/v1/calendar-links", headers=headers).json()["organization"]
    assert client.get(first).status_code == 200
    assert client.get("/api/v1/calendar-links", headers=headers).json()["organization"] == first  # stable link
    # Showing the first link stores nothing (a GET stays a read); the rotated one is stored hashed.
    assert session.exec(select(FeedToken)).all() == []

    rotated = client.post("/api/v1/calendar-links/rotate", params={"feed": "organization"}, headers=headers)
    second = rotated.json()["organization"]
    assert rotated.status_code == 200 and second != first
    session.commit()
    stored = session.exec(select(FeedToken).where(col(FeedToken.revoked_at).is_(None))).all()
    token = second.split("token=", 1)[1]
    assert len(stored) == 1 and token not in stored[0].token_hash and len(stored[0].token_hash) == 64
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200

    revoked = client.post("/api/v1/calendar-links/revoke", params={"feed": "organization"}, headers=headers)
    assert revoked.status_code == 204 and client.get(second).status_code == 404
    # Revoked stays revoked: asking for links does not quietly issue a new one.
    assert client.get("/api/v1/calendar-links", headers=headers).json() == {}


def test_room_feeds_are_for_staff_and_managers_change_them(client: TestClient, session: Session) -> None:
    room = make_room(session)
    renter, crew = token_headers(client, make_user(session)), token_headers(client, make_user(session, role=Role.crew))
    manager = token_headers(client, make_user(session, role=Role.manager))
    params = {"feed": "room", "room_id": room.id}
    assert client.get("/api/v1/calendar-links", params={"room_id": room.id}, headers=renter).status_code == 403
    link = client.get("/api/v1/calendar-links", params={"room_id": room.id}, headers=crew).json()["room"]
    assert client.get(link).status_code == 200
    for headers in (renter, crew):
        assert client.post("/api/v1/calendar-links/rotate", params=params, headers=headers).status_code == 403
    assert client.post("/api/v1/calendar-links/revoke", params=params, headers=manager).status_code == 204
    assert client.get(link).status_code == 404
    # Staff without an organisation have no organisation feed to change.
    refused = client.post("/api/v1/calendar-links/rotate", params={"feed": "organization"}, headers=manager)
    assert refused.status_code == 403


def test_the_renters_page_rotates_and_turns_off_the_feed(client: TestClient, session: Session) -> None:
    browser_login(client, make_user(session))
    page = client.get("/my/bookings").text
    # The address is shown in a read-only field beside its copy and webcal: buttons.
    first = page.split('data-testid="org-feed"', 1)[0].rsplit('value="', 1)[1].split('"', 1)[0]
    assert "/calendar.ics?token=" in first
    csrf = csrf_from(client, "/my/bookings")
    done = client.post("/my/calendar-feed", data={"csrf_token": csrf, "action": "rotate"}, follow_redirects=False)
    assert done.status_code == 303 and client.get(first).status_code == 404
    assert 'data-testid="org-feed"' in client.get("/my/bookings").text
    client.post("/my/calendar-feed", data={"csrf_token": csrf, "action": "revoke"})
    assert 'data-testid="org-feed"' not in client.get("/my/bookings").text


def test_a_token_with_any_characters_is_refused_not_a_fault(client: TestClient, session: Session) -> None:
    room = make_room(session)
    for token in ("한글", "x" * 300, ""):
        assert client.get(f"/api/v1/rooms/{room.id}/calendar.ics", params={"token": token}).status_code == 404
