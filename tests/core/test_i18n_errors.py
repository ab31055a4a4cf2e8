"""Error paths walked in Korean: every `detail` is Korean, the `code` stays English."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.core.models import OrgStatus, Role
from tests.booking.helpers import next_weekday, slot
from tests.factories import make_organization, make_room, make_user, token_headers

KOREAN = {"Accept-Language": "ko-KR,ko;q=0.9,en-US;q=0.8"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
# Formats shown to the user as they are typed, and field paths of a 422 (`title: 필수 항목입니다`).
NOT_WORDS = {"YYYY", "HH", "MM", "DD", "JSON", "URL", "UUID"}


def english_words(detail: str, fields: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    words = re.findall(r"[A-Za-z_]{2,}", detail)
    return [w for w in words if w not in NOT_WORDS and w not in fields]


def test_api_errors_read_in_korean_and_keep_their_code(client: TestClient, session: Session) -> None:
    renter = make_user(session)
    pending = make_user(session, organization=make_organization(session, status=OrgStatus.pending))
    manager = make_user(session, role=Role.manager)
    room = make_room(session, capacity=10)
    day = next_weekday()
    booking = {"room_id": room.id, **slot(day, 10, 12), "title": "연수", "attendees": 5}
    renter_h = {**token_headers(client, renter), **KOREAN}
    calls = [
        ("GET", "/api/v1/users/me", {}, KOREAN, 401, "not_authenticated"),
        ("GET", "/api/v1/rooms/424242", {}, KOREAN, 404, "room_not_found"),
        ("GET", "/api/v1/no-such-thing", {}, KOREAN, 404, "not_found"),
        ("POST", "/api/v1/users", {"email": "c@example.kr", "password": "long-enough-pw", "role": "crew"},
         {**token_headers(client, manager), **KOREAN}, 403, "forbidden"),
        ("POST", "/api/v1/bookings", {**booking, **slot(day, 12, 10)}, renter_h, 422, "invalid"),
        ("POST", "/api/v1/bookings", {**booking, **slot(day, 5, 7)}, renter_h, 422, "outside_hours"),
        ("POST", "/api/v1/bookings", {**booking, "attendees": 11}, renter_h, 422, None),
        ("POST", "/api/v1/bookings", booking, {**token_headers(client, pending), **KOREAN}, 422, "org_not_approved"),
    ]  # fmt: skip
    for method, path, body, headers, status, code in calls:
        response = client.request(method, path, json=body or None, headers=headers)
        assert response.status_code == status, (path, response.text)
        detail = response.json()["detail"]
        assert re.search(r"[가-힣]", detail) and not english_words(detail), (path, detail)
        if code:
            assert response.json()["code"] == code


def test_validation_errors_are_translated_field_by_field(client: TestClient) -> None:
    body = {"email": "x", "password": "", "org_kind": "pirate"}
    korean = client.post("/api/v1/signup", json=body, headers=KOREAN).json()
    fields = {".".join(str(p) for p in e["loc"][1:]) for e in korean["errors"]}
    assert korean["code"] == "invalid" and korean["detail"].startswith("입력값이 올바르지 않습니다 — ")
    assert not english_words(korean["detail"], fields | {"public", "education", "nonprofit", "private"}), korean
    assert all(re.search(r"[가-힣]", e["msg"]) for e in korean["errors"]), korean["errors"]
    assert {e["type"] for e in korean["errors"]} >= {"missing"}  # pydantic's types stay as they are
    english = client.post("/api/v1/signup", json=body, headers=ENGLISH).json()
    assert english["detail"].startswith("Invalid input — ") and "Field required" in english["detail"]


def test_page_errors_and_toasts_follow_the_language(client: TestClient, session: Session) -> None:
    page = client.get("/book/rooms/424242", headers=KOREAN)
    assert page.status_code == 404 and "424242번 공간이 없습니다." in page.text
    toast = client.get("/book/rooms/424242", headers={**ENGLISH, "HX-Request": "true"})
    assert toast.status_code == 404 and "Room 424242 does not exist." in toast.text
    # The language switch (cookie) wins over the browser's header.
    client.cookies.set("lang", "ko")
    assert "424242번 공간이 없습니다." in client.get("/book/rooms/424242", headers=ENGLISH).text


def test_favicon_is_served(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO header
