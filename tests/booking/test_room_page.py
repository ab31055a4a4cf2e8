"""A room's page tells a renter what booking it takes before any form: price, this room's own
equipment and how it is charged, the rules, the next free times and a book button; the manager
sees what was asked for. Every word Korean, the conflict message included."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.booking import service
from facility.booking.models import FeeSchedule
from facility.core.models import Role, User
from facility.core.security import issue_token
from facility.rooms.models import Equipment
from tests.booking.helpers import next_weekday, seoul, slot
from tests.factories import browser_login, make_room, make_user
from tests.keys import TEST_SECRET_KEY


def bearer(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(TEST_SECRET_KEY, user.id, user.session_version)}"}  # type: ignore[arg-type]


def test_room_page_shows_price_own_equipment_rules_and_free_times(client: TestClient, session: Session) -> None:
    session.add(Equipment(code="stage_light", name_ko="무대 조명", name_en="Stage lights"))
    session.add(Equipment(code="beam", name_ko="빔프로젝터", name_en="Projector"))
    session.commit()
    seminar = make_room(session, kind="seminar_room", code="S-12", capacity=12, equipment={"beam": 1})
    make_room(session, kind="seminar_room", code="HALL", equipment={"stage_light": 4})
    fees = {"beam": 10_000, "stage_light": 50_000}
    session.add(FeeSchedule(room_kind="seminar_room", hourly=20_000, full_day=150_000, equipment_fees=fees))
    session.commit()

    page = client.get(f"/rooms/{seminar.id}")
    assert page.status_code == 200
    panel = page.text.split('data-testid="room-panel"', 1)[1].split("</section>", 1)[0]
    assert "22,000원" in panel and "165,000원" in panel  # hourly and full day, VAT included
    assert "빔프로젝터 × 1 · 10,000원 (예약 1건당)" in panel and "무대 조명" not in panel
    assert "최소 0.5시간" in panel and "1일 전까지" in panel and "공휴일" in panel
    assert f'href="/book/rooms/{seminar.id}/new?day=' in panel and 'data-testid="room-book"' in panel

    renter, manager = make_user(session), make_user(session, role=Role.manager)
    day = next_weekday()
    booking = service.request_booking(
        session,
        renter,
        {"room_id": seminar.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "독서 모임",
         "attendees": 9, "equipment": {"beam": 1}},
    )  # fmt: skip
    session.commit()
    refused = client.post(
        "/api/v1/bookings",
        json={"room_id": seminar.id, **slot(day, 14, 16), "title": "조명", "equipment": {"stage_light": 1}},
        headers=bearer(renter),
    )
    assert refused.status_code == 422 and "stage_light" in refused.json()["detail"]
    taken = client.post(
        "/api/v1/bookings",
        json={"room_id": seminar.id, **slot(day, 11, 13), "title": "겹침"},
        headers={**bearer(renter), "Accept-Language": "ko"},
    )
    assert taken.status_code == 409 and taken.json()["detail"] == "이미 예약된 시간입니다."

    browser_login(client, manager)
    queue = client.get("/manage/bookings").text
    assert "9명" in queue and "빔프로젝터 × 1" in queue.split('data-testid="queue-equipment"', 1)[1][:200]
    detail = client.get(f"/manage/bookings/{booking.id}").text
    assert "빔프로젝터 × 1" in detail.split('data-testid="booking-equipment"', 1)[1][:200]
