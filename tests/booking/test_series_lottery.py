"""Long-term allocation by lottery (issue 29): a winner gets a whole recurring series, all
occurrences or none; and caps that count an organisation's ordinary bookings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from facility.booking import lottery, service
from facility.booking.models import Booking, BookingSeries
from facility.booking.rental_models import EntryOutcome, Lottery, LotteryEntry
from facility.core.errors import Conflict, InvalidInput
from facility.core.models import Organization, Role, User
from facility.rooms.models import Room
from tests.booking.helpers import next_weekday, seoul
from tests.factories import browser_login, csrf_from, make_room, make_user

WEEKS = 4


def _renters(session: Session, count: int) -> list[User]:
    users = []
    for n in range(count):
        org = Organization(name=f"Series org {n}", status="approved", kind="private")
        session.add(org)
        session.flush()
        user = User(email=f"ser{n}@example.kr", password_hash="-", role="renter", full_name="R", organization_id=org.id)
        session.add(user)
        users.append(user)
    session.commit()
    return users


def _open(session: Session, manager: User, room: Room, now: datetime, **extra: object) -> Lottery:
    day = next_weekday(14, weeks=WEEKS)
    starts = [seoul(day, 9), seoul(day, 15)]
    data = lottery.LotteryCreate(
        room_id=room.id,  # type: ignore[arg-type]
        title="화요 정기 대관",
        slots=[lottery.LotterySlot(start=s, end=s + timedelta(hours=2)) for s in starts],
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1),
        **extra,  # type: ignore[arg-type]
    )
    return lottery.create_lottery(session, manager, data)


def test_series_lottery_gives_whole_series_or_nothing(session: Session) -> None:
    room, manager = make_room(session), make_user(session, role=Role.manager)
    renters = _renters(session, 3)
    now = datetime.now(UTC)
    with pytest.raises(InvalidInput):
        _open(session, manager, room, now, rrule="FREQ=NEVER")
    session.rollback()
    drawn = _open(session, manager, room, now, rrule=f"FREQ=WEEKLY;COUNT={WEEKS}", cap_per_room_month=0)
    for n, renter in enumerate(renters):
        for slot_index in (0, 1):
            body = lottery.EntryCreate(slot_index=slot_index, title=f"정기 모임 {n}")
            lottery.apply(session, renter, drawn.id, body, now=now)  # type: ignore[arg-type]
    session.commit()
    third_week = datetime.fromisoformat(drawn.slots[0]["starts_at"]) + timedelta(weeks=2)
    # While open, every occurrence of the series is guarded, not only the first.
    with pytest.raises(Conflict) as refused:
        service.request_booking(
            session,
            renters[0],
            {"room_id": room.id, "start": third_week, "end": third_week + timedelta(hours=2), "title": "선착순"},
        )
    assert refused.value.code == "lottery_slot"
    session.rollback()
    # The Institute takes the third 15:00 occurrence: nobody can have slot 1's whole series.
    late = datetime.fromisoformat(drawn.slots[1]["starts_at"]) + timedelta(weeks=2)
    service.request_booking(
        session, manager, {"room_id": room.id, "start": late, "end": late + timedelta(hours=2), "title": "기관 행사"}
    )
    session.commit()

    lottery.draw(session, manager, drawn.id, now=now + timedelta(days=2))  # type: ignore[arg-type]
    session.commit()
    entries = session.exec(select(LotteryEntry).where(LotteryEntry.lottery_id == drawn.id)).all()
    winners = [e for e in entries if e.outcome == EntryOutcome.won.value]
    assert [w.slot_index for w in winners] == [0]
    assert {e.outcome for e in entries if e.slot_index == 1} == {EntryOutcome.lost.value}
    winner = winners[0]
    series = session.get(BookingSeries, winner.series_id)
    assert series is not None and series.organization_id == winner.organization_id
    booked = session.exec(select(Booking).where(Booking.series_id == series.id).order_by(col(Booking.starts_at))).all()
    assert len(booked) == WEEKS and booked[0].id == winner.booking_id
    assert {b.user_id for b in booked} == {winner.user_id}
    assert [b.starts_at - booked[0].starts_at for b in booked] == [timedelta(weeks=k) for k in range(WEEKS)]
    # No half series left behind by the refused entries: the room holds the series and the event.
    assert len(session.exec(select(Booking).where(Booking.room_id == room.id)).all()) == WEEKS + 1
    # The recorded order is the published recipe, and names the series won.
    assert [r["key"] for r in drawn.draw_order] == sorted(r["key"] for r in drawn.draw_order)
    assert [r["series_id"] for r in drawn.draw_order if r["outcome"] == "won"] == [series.id]
    public = lottery.lottery_public(session, drawn, None)
    assert public["rrule"] == f"FREQ=WEEKLY;COUNT={WEEKS}" and public["winners"][0]["series_id"] == series.id


def test_caps_can_count_ordinary_bookings(session: Session) -> None:
    room, manager = make_room(session), make_user(session, role=Role.manager)
    busy, idle = _renters(session, 2)
    now = datetime.now(UTC)
    counting = _open(session, manager, room, now, cap_per_room_month=1, caps_count_bookings=True)
    first = datetime.fromisoformat(counting.slots[0]["starts_at"])
    # `busy` already uses the room this month, first come (made by staff for them, outside the slots).
    earlier = first + timedelta(hours=3)  # 12:00, the same day, between the two slots
    service.request_booking(
        session,
        manager,
        {
            "room_id": room.id,
            "start": earlier,
            "end": earlier + timedelta(hours=1),
            "title": "기존 대관",
            "organization_id": busy.organization_id,
        },
    )
    for slot_index, renter in enumerate((busy, idle)):  # a slot each: the outcome is the caps', not the order's
        body = lottery.EntryCreate(slot_index=slot_index, title="행사")
        lottery.apply(session, renter, counting.id, body, now=now)  # type: ignore[arg-type]
    session.commit()
    mine = select(LotteryEntry).where(LotteryEntry.lottery_id == counting.id)
    entries = {e.organization_id: e for e in session.exec(mine)}
    assert not lottery.within_caps(session, counting, entries[busy.organization_id])  # type: ignore[index]
    assert lottery.within_caps(session, counting, entries[idle.organization_id])  # type: ignore[index]
    counting.caps_count_bookings = False  # the old rule: only lottery wins count
    assert lottery.within_caps(session, counting, entries[busy.organization_id])  # type: ignore[index]
    counting.caps_count_bookings = True
    session.add(counting)
    session.commit()
    lottery.draw(session, manager, counting.id, now=now + timedelta(days=2))  # type: ignore[arg-type]
    session.commit()
    outcomes = {e.organization_id: e.outcome for e in session.exec(mine)}
    assert outcomes == {busy.organization_id: "capped", idle.organization_id: "won"}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_series_lottery_opened_on_the_page(client: TestClient, session: Session) -> None:
    room, manager = make_room(session), make_user(session, role=Role.manager)
    browser_login(client, manager)
    day = next_weekday(14, weeks=WEEKS)
    form = {
        "room_id": str(room.id),
        "title": "학기 정기 대관",
        "opens_at": f"{day - timedelta(days=10):%Y-%m-%d} 09:00",
        "closes_at": f"{day - timedelta(days=3):%Y-%m-%d} 09:00",
        "slots": f"{day:%Y-%m-%d} 19:00-21:00",
        "rrule": "FREQ=WEEKLY;COUNT=15",
        "caps_count_bookings": "1",
        "csrf_token": csrf_from(client, "/lotteries"),
    }
    bad = client.post("/lotteries", data=form | {"rrule": "FREQ=SOMETIMES"}, follow_redirects=False)
    assert bad.status_code == 422
    opened = client.post("/lotteries", data=form, follow_redirects=False)
    assert opened.status_code == 303, opened.text
    page = client.get(opened.headers["location"])
    assert 'data-testid="lottery-rrule">FREQ=WEEKLY;COUNT=15<' in page.text
    stored = session.exec(select(Lottery).where(Lottery.room_id == room.id)).one()
    assert stored.rrule == "FREQ=WEEKLY;COUNT=15" and stored.caps_count_bookings
