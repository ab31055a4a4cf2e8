"""Holds expire, no-shows are released, the waitlist is offered the freed slot, reminders and the
outbox are sent by jobs, calendars and QR check-in work."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from facility.booking import flows, housekeeping, queries, service, tasks, waitlist
from facility.booking.models import Booking, WaitlistEntry
from facility.core import channels, outbox
from facility.core import tasks as core_tasks
from facility.core.config import MailSettings, Settings
from facility.core.models import Role
from facility.core.outbox import OutboxMessage
from facility.core.security import sign_value
from tests.booking.helpers import next_weekday, query_plan, seoul
from tests.factories import browser_login, csrf_from, make_room, make_user, token_headers
from tests.keys import TEST_SECRET_KEY


def _book(session: Session, user, room, day, start, end, **extra):  # type: ignore[no-untyped-def]
    booking = service.request_booking(
        session,
        user,
        {
            "room_id": room.id,
            "start": seoul(day, start),
            "end": seoul(day, end),
            "title": "행사",
            "attendees": 5,
            **extra,
        },
    )
    session.commit()
    return booking


def test_hold_expiry_frees_slot_for_the_waitlist(session: Session, engine: Engine, settings: Settings) -> None:
    room = make_room(session)
    first, second = make_user(session), make_user(session)
    day = next_weekday()
    held = _book(session, first, room, day, 10, 12, hold=True)
    entry = waitlist.join_waitlist(
        session,
        second,
        room_id=room.id,
        starts_at=seoul(day, 10),
        ends_at=seoul(day, 12),
        title="대기",
        attendees=5,
    )
    session.commit()
    later = held.hold_expires_at + timedelta(seconds=1)  # type: ignore[operator]
    assert tasks.expire_holds(engine, settings, later) == 1
    session.rollback()  # end the read snapshot
    session.expire_all()
    assert session.get(Booking, held.id).status == "expired"  # type: ignore[union-attr]
    # The freed slot reaches the waitlist through its own job, not inside the expiry.
    assert session.get(WaitlistEntry, entry.id).status == "waiting"  # type: ignore[union-attr]
    assert tasks.offer_freed_slots(engine, settings, later) == 1
    assert tasks.offer_freed_slots(engine, settings, later) == 0
    session.rollback()
    session.expire_all()
    offered = session.get(WaitlistEntry, entry.id)
    assert offered is not None and offered.status == "offered"
    offer = session.get(Booking, offered.booking_id)
    assert offer is not None and offer.status == "held" and offer.organization_id == second.organization_id
    assert session.exec(select(OutboxMessage).where(OutboxMessage.subject.contains("대기"))).first()  # type: ignore[attr-defined]


def test_one_renters_request_never_touches_another_renters_booking(
    session: Session, engine: Engine, settings: Settings
) -> None:
    """An expired hold, a due no-show and a waiting entry belong to others: a renter's request
    leaves them alone (and tells nobody else); only the jobs move them."""
    room, other_room = make_room(session), make_room(session)
    first, second, waiting = make_user(session), make_user(session), make_user(session)
    manager = make_user(session, role=Role.manager)
    day = next_weekday(weeks=2)
    held = _book(session, first, room, day, 10, 12, hold=True)
    due = _book(session, first, other_room, day, 14, 16)
    flows.approve_booking(session, manager, due.id)  # type: ignore[arg-type]
    entry = waitlist.join_waitlist(
        session, waiting, room_id=room.id, starts_at=seoul(day, 10), ends_at=seoul(day, 12), title="w", attendees=1
    )
    session.commit()
    later = seoul(day, 14, 45).astimezone(UTC)  # the hold has expired and the no-show is due
    next_week = day + timedelta(days=7)
    mail_before = len(session.exec(select(OutboxMessage)).all())
    before = {b.id: (b.status, b.updated_at) for b in session.exec(select(Booking))}
    with Session(engine, expire_on_commit=False) as other:
        mine = service.request_booking(
            other,
            second,
            {"room_id": other_room.id, "start": seoul(next_week, 17), "end": seoul(next_week, 18), "title": "t"},
            now=later,
        )
        other.commit()
    session.expire_all()
    after = {b.id: (b.status, b.updated_at) for b in session.exec(select(Booking)) if b.id != mine.id}
    assert after == before
    assert session.get(WaitlistEntry, entry.id).status == "waiting"  # type: ignore[union-attr]
    recipients = {m.to for m in session.exec(select(OutboxMessage)).all()[mail_before:]}
    assert recipients <= {second.email}
    # The jobs then do it.
    assert tasks.expire_holds(engine, settings, later) == 1
    assert tasks.release_no_shows(engine, settings, later) == 1
    assert held.id is not None


def test_no_show_released_and_counted(session: Session, engine: Engine, settings: Settings) -> None:
    room = make_room(session)
    renter = make_user(session)
    manager = make_user(session, role=Role.manager)
    day = next_weekday()
    booking = _book(session, renter, room, day, 10, 12)
    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    session.commit()
    tasks.release_no_shows(engine, settings, seoul(day, 10, 20).astimezone(UTC))
    session.rollback()  # end the read snapshot
    session.expire_all()
    # Free of charge, so confirmed at approval; still within the grace period.
    assert session.get(Booking, booking.id).status == "confirmed"  # type: ignore[union-attr]
    tasks.release_no_shows(engine, settings, seoul(day, 10, 31).astimezone(UTC))
    session.rollback()  # end the read snapshot
    session.expire_all()
    assert session.get(Booking, booking.id).status == "no_show"  # type: ignore[union-attr]
    assert queries.no_show_count(session, renter.organization_id) == 1  # type: ignore[arg-type]
    # The slot is free again.
    assert _book(session, make_user(session), room, day, 11, 12).status == "requested"


def test_due_no_shows_are_read_without_walking_future_bookings(session: Session) -> None:
    """Every booking request runs this; a year of confirmed bookings must not be read for it."""
    plan = query_plan(session, housekeeping.due_no_shows(datetime(2026, 12, 7, tzinfo=UTC)))
    assert "ix_booking_status_start" in plan, plan
    if session.get_bind().dialect.name == "sqlite":
        assert "starts_at<?" in plan, plan


def test_check_in_through_the_qr_page(client: TestClient, session: Session) -> None:
    room = make_room(session)
    renter = make_user(session)
    manager = make_user(session, role=Role.manager)
    now = datetime.now(UTC)
    # Inserted directly: whatever the hour the test runs at, the booking starts in ten minutes.
    booking = Booking(
        room_id=room.id,
        organization_id=renter.organization_id,
        user_id=renter.id,
        title="오늘 행사",
        starts_at=now + timedelta(minutes=10),
        ends_at=now + timedelta(hours=2),
        status="approved",
    )
    session.add(booking)
    session.commit()
    browser_login(client, manager)
    qr = client.get(f"/manage/rooms/{room.id}/qr.svg")
    assert qr.status_code == 200 and "<svg" in qr.text
    client.cookies.clear()
    browser_login(client, renter)
    token = sign_value(TEST_SECRET_KEY, "room-checkin", str(room.id))
    assert client.get(f"/checkin/{room.id}", params={"token": "forged"}).status_code == 404
    page = client.get(f"/checkin/{room.id}", params={"token": token})
    assert "오늘 행사" in page.text
    done = client.post(
        f"/checkin/{room.id}",
        data={"csrf_token": csrf_from(client, "/book"), "token": token, "booking_id": booking.id},
    )
    assert done.status_code == 200 and "checked-in" in done.text
    session.rollback()  # end the read snapshot
    session.expire_all()
    assert session.get(Booking, booking.id).status == "checked_in"  # type: ignore[union-attr]


def test_calendar_feeds_behind_tokens(client: TestClient, session: Session) -> None:
    room = make_room(session)
    renter = make_user(session)
    day = next_weekday()
    _book(session, renter, room, day, 10, 12)
    headers = token_headers(client, renter)
    links = client.get("/api/v1/calendar-links", headers=headers).json()
    feed = client.get(links["organization"])
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    event = Calendar.from_ical(feed.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == seoul(day, 10)
    assert str(event.decoded("dtstart").tzinfo) in {"Asia/Seoul", "KST"} or event.decoded(
        "dtstart"
    ).utcoffset() == timedelta(hours=9)
    staff = token_headers(client, make_user(session, role=Role.manager))
    room_link = client.get("/api/v1/calendar-links", params={"room_id": room.id}, headers=staff).json()["room"]
    assert b"BEGIN:VEVENT" in client.get(room_link).content
    assert client.get(f"/api/v1/rooms/{room.id}/calendar.ics", params={"token": "x"}).status_code == 404
    # A room's token opens that room's feed only.
    token = room_link.split("token=", 1)[1]
    assert client.get(f"/api/v1/rooms/{room.id + 1}/calendar.ics", params={"token": token}).status_code == 404


def test_reminders_and_outbox_with_retry(session: Session, engine: Engine, settings: Settings) -> None:
    room = make_room(session)
    renter = make_user(session)
    manager = make_user(session, role=Role.manager)
    day = next_weekday()
    booking = _book(session, renter, room, day, 10, 12)
    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    session.commit()
    eve = seoul(day - timedelta(days=1), 9).astimezone(UTC)
    assert tasks.send_reminders(engine, settings, eve) == 1
    assert tasks.send_reminders(engine, settings, eve) == 0  # once only
    pending = session.exec(select(OutboxMessage)).all()
    assert pending and all(m.ics for m in pending)

    sent: list[str] = []

    def flaky(email, _settings) -> None:  # type: ignore[no-untyped-def]
        if not sent:
            sent.append("failed")
            raise smtplib.SMTPServerDisconnected("try later")
        sent.append(email["To"])
        assert email.get_content_type() == "multipart/mixed"

    email = channels.EmailChannel(MailSettings(host="127.0.0.1"), transport=flaky)
    now = datetime.now(UTC)
    outbox.send_pending(engine, now, [email])
    session.rollback()  # end the read snapshot
    session.expire_all()
    first = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    assert first is not None and first.status == "pending" and first.attempts == 1 and first.last_error
    count = outbox.send_pending(engine, now + timedelta(minutes=5), [email])
    session.rollback()  # end the read snapshot
    session.expire_all()
    # A channel that failed waits for the next run with all its messages; then every one goes.
    assert count == len(pending) and len(sent) == len(pending) + 1
    assert all(m.status == "sent" for m in session.exec(select(OutboxMessage)))
    # In the demo nothing is sent: the outbox is shown in the UI.
    assert core_tasks.send_outbox(engine, settings.model_copy(update={"demo": True}), now) == 0
