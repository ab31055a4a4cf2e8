"""Booking e-mails in one language: Korean throughout for Korean readers (no "상태 Status"
mixes, no raw codes), local times, and links absolute under FACILITY_BASE_URL."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlmodel import Session

from facility.booking.models import Booking
from facility.booking.notify import EVENT_TEXT, notify_booking
from facility.core.config import Settings, using
from tests.factories import make_room, make_user
from tests.korean_pages import english_words

URL = re.compile(r"https?://\S+")


def test_every_booking_email_is_korean_with_local_times_and_absolute_links(session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    korean, english = make_user(session), make_user(session)
    english.locale = "en"
    room = make_room(session)
    start = datetime(2026, 12, 8, 0, 0, tzinfo=UTC)  # 09:00 on a Tuesday in Seoul
    bookings = []
    for user in (korean, english):
        booking = Booking(
            room_id=room.id, user_id=user.id, title="교원 연수", status="approved",  # type: ignore[arg-type]
            starts_at=start, ends_at=start.replace(hour=2), price_total=120_000,
        )  # fmt: skip
        session.add(booking)
        bookings.append(booking)
    session.commit()
    settings = Settings(data_dir=tmp_path, base_url="https://rent.example.kr/facility")
    with using(settings):
        for event in EVENT_TEXT:
            (mail,) = notify_booking(session, bookings[0], event, "Asia/Seoul", note="강당 보수 공사")
            text = URL.sub("", mail.subject + "\n" + mail.body)
            assert english_words(text) == [], (event, english_words(text))
            assert "2026-12-08(화) 09:00–11:00 (한국 시간)" in mail.body and "승인" in mail.body
            assert f"https://rent.example.kr/facility/my/bookings/{bookings[0].id}" in mail.body
        (mail,) = notify_booking(session, bookings[1], "approved", "Asia/Seoul")
    assert mail.subject.startswith("[Facility booking] Booking approved")
    assert "When: Tue 2026-12-08 09:00–11:00 (Korea time)" in mail.body and "Status: Approved" in mail.body
    assert not re.search(r"[가-힣]", mail.body.replace("교원 연수", "").split("Where:")[0])
