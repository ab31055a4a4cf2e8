"""What a renter sees: prices, placeholders and weekdays on results, honest empty states, paging,
their bookings by tab, the policy before asking and the fee before cancelling, and an
unapproved organisation told before it starts a form."""

from __future__ import annotations

from datetime import timedelta

import holidays  # type: ignore[import-untyped]
from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.booking import blocks, flows, service
from facility.booking.models import Booking, FeeSchedule
from facility.core.db import utcnow
from facility.core.models import OrgStatus, Role
from facility.core.wording import day_label
from tests.booking.helpers import SEOUL, next_weekday, seoul
from tests.factories import browser_login, csrf_from, make_organization, make_room, make_user


def test_results_show_price_photo_weekday_and_page(client: TestClient, session: Session) -> None:
    for _ in range(26):
        make_room(session, kind="seminar_room")
    session.add(FeeSchedule(room_kind="seminar_room", hourly=30_000))
    session.commit()
    day = next_weekday()
    first = client.get("/book", params={"day": day.isoformat()})
    assert first.text.count('data-testid="room-photo"') == 24 and "시간당 33,000원부터" in first.text
    assert day_label(day, "ko", SEOUL, utcnow().astimezone(SEOUL).date()) in first.text  # 12월 8일 (화)
    assert "빈 시간이 있는 공간 26곳" in first.text and 'data-testid="next-page"' in first.text
    second = client.get("/book", params={"day": day.isoformat(), "page": 2}, headers={"HX-Request": "true"})
    assert second.text.count('data-testid="room-photo"') == 2 and "2쪽 중 2쪽" in second.text


def test_an_empty_filter_says_so_and_a_full_day_says_that(client: TestClient, session: Session) -> None:
    room = make_room(session, capacity=10)
    day = next_weekday()
    too_many = client.get("/book", params={"day": day.isoformat(), "min_capacity": 500})
    assert (
        "조건에 맞는 공간이 없습니다." in too_many.text and "이 날은 예약 가능한 시간이 없습니다" not in too_many.text
    )
    blocks.place_block(
        session,
        make_user(session, role=Role.manager),
        room_id=room.id,  # type: ignore[arg-type]
        starts_at=seoul(day, 0),
        ends_at=seoul(day + timedelta(days=1), 0),
        reason="연수",
    )
    session.commit()
    full = client.get("/book", params={"day": day.isoformat()}).text
    assert "이 날은 예약 가능한 시간이 없습니다" in full and "조건에 맞는 공간이 없습니다." not in full


def test_my_bookings_upcoming_first_then_tabs(client: TestClient, session: Session) -> None:
    renter = make_user(session)
    room = make_room(session)
    near, far = next_weekday(), next_weekday(days_ahead=60)
    ids = {}
    for name, day in (("먼 행사", far), ("가까운 행사", near), ("취소한 행사", near + timedelta(days=1))):
        booking = service.request_booking(
            session, renter, {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": name}
        )
        ids[name] = booking.id
    session.commit()
    flows.cancel_booking(session, renter, ids["취소한 행사"])
    held = session.get(Booking, ids["먼 행사"])
    assert held is not None
    ended = utcnow() - timedelta(days=3)
    past = {**held.model_dump(exclude={"id"}), "title": "지난 행사", "starts_at": ended - timedelta(hours=2)}
    session.add(Booking(**{**past, "ends_at": ended}))
    session.commit()
    browser_login(client, renter)
    upcoming = client.get("/my/bookings").text
    assert upcoming.index("가까운 행사") < upcoming.index("먼 행사")
    assert "취소한 행사" not in upcoming and "지난 행사" not in upcoming
    assert "지난 행사" in client.get("/my/bookings?show=past").text
    cancelled = client.get("/my/bookings?show=cancelled").text
    assert "취소한 행사" in cancelled and "가까운 행사" not in cancelled
    assert client.get("/my/bookings?show=nonsense").status_code == 422


def test_policy_before_asking_and_fee_before_cancelling(client: TestClient, session: Session) -> None:
    renter, manager = make_user(session), make_user(session, role=Role.manager)
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=50_000))
    session.commit()
    # Three to six days ahead, the schedule keeps 20%; a public holiday cannot be booked.
    kr = holidays.country_holidays("KR")
    day = next(d for d in (utcnow().astimezone(SEOUL).date() + timedelta(days=n) for n in range(3, 7)) if d not in kr)
    browser_login(client, renter)
    form = client.get(f"/book/rooms/{room.id}/new", params={"day": day.isoformat()})
    assert 'data-testid="cancel-policy"' in form.text and "이용일 3일 전까지: 총액의 20%" in form.text
    booking = service.request_booking(
        session, renter, {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "설명회"}
    )
    session.commit()
    free = client.get(f"/my/bookings/{booking.id}").text
    assert "지금 취소하면 수수료가 없습니다." in free and "예약 취소하기" in free and "돌아가기" in free
    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    session.commit()
    # Cancelled three to six days ahead, the schedule keeps 20% of the total (VAT and surcharges in).
    charged = client.get(f"/my/bookings/{booking.id}").text
    fee = booking.price_total // 5
    assert fee > 0 and f"지금 취소하면 수수료 {fee:,}원이 부과됩니다" in charged


def test_missing_fields_render_inline_with_input_kept(client: TestClient, session: Session) -> None:
    renter = make_user(session)
    room = make_room(session)
    browser_login(client, renter)
    token = csrf_from(client, "/book")
    day = next_weekday().isoformat()
    response = client.post(
        f"/book/rooms/{room.id}/new",
        data={"csrf_token": token, "day": day, "start": "10:00", "end": "12:00", "title": "", "attendees": "7"},
    )
    assert response.status_code == 422
    assert 'id="f-title" name="title" aria-invalid="true" aria-describedby="f-title-error"' in response.text
    assert 'id="f-title-error"' in response.text and "행사명을 입력하세요." in response.text
    assert 'value="7"' in response.text and 'data-testid="form-error"' in response.text


def test_an_unapproved_organisation_is_told_before_the_form(client: TestClient, session: Session) -> None:
    waiting = make_user(session, organization=make_organization(session, status=OrgStatus.pending))
    room = make_room(session)
    browser_login(client, waiting)
    search = client.get("/book")
    assert 'data-testid="org-notice"' in search.text and "기관 승인을 기다리고 있습니다." in search.text
    form = client.get(f"/book/rooms/{room.id}/new")
    assert 'data-testid="org-notice"' in form.text and '<fieldset class="plain stack" disabled>' in form.text
    approved = make_user(session)
    browser_login(client, approved)
    assert 'data-testid="org-notice"' not in client.get(f"/book/rooms/{room.id}/new").text
