"""The booking service on SQLite and PostgreSQL: the request path, blocks and queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from facility.booking import blocks, flows, queries, service
from facility.booking.exceptions import BookingConflict, BookingRuleViolation
from facility.booking.models import Booking, BookingStatus, SpaceClaim
from facility.core.models import Role
from facility.core.outbox import OutboxMessage, enqueue_email
from tests.booking.helpers import next_weekday, seoul
from tests.factories import make_room, make_user


def _request(session: Session, user, room, day, start: int, end: int, **extra):  # type: ignore[no-untyped-def]
    data = {
        "room_id": room.id,
        "start": seoul(day, start),
        "end": seoul(day, end),
        "title": "연수 세미나",
        "attendees": 20,
        **extra,
    }
    booking = service.request_booking(session, user, data)
    session.commit()
    return booking


def test_request_claims_each_atomic_space(session: Session) -> None:
    renter = make_user(session)
    hall = make_room(session, kind="convention_hall", capacity=300)
    make_room(session, kind="convention_hall", capacity=150, parent=hall)
    make_room(session, kind="convention_hall", capacity=150, parent=hall)
    day = next_weekday()
    booking = _request(session, renter, hall, day, 10, 12)
    assert booking.status == BookingStatus.requested
    claims = session.exec(select(SpaceClaim).where(SpaceClaim.booking_id == booking.id)).all()
    assert len(claims) == 2
    # Convention halls have an hour of set-up before and clearing after.
    assert all(c.starts_at == seoul(day, 9) and c.ends_at == seoul(day, 13) for c in claims)
    mail = session.exec(select(OutboxMessage)).first()
    assert mail is not None and "상태: 승인 대기" in mail.body and "Status" not in mail.body
    assert "Status: requested" not in mail.body


def test_whole_claims_parts_and_part_blocks_whole(session: Session) -> None:
    renter, other = make_user(session), make_user(session)
    hall = make_room(session, kind="seminar_room", capacity=100)
    east = make_room(session, kind="seminar_room", capacity=50, parent=hall)
    west = make_room(session, kind="seminar_room", capacity=50, parent=hall)
    day = next_weekday()
    _request(session, renter, east, day, 10, 12)
    with pytest.raises(BookingConflict) as error:
        _request(session, other, hall, day, 11, 13)
    session.rollback()
    assert error.value.extra["slot"]["room_id"] == hall.id
    assert error.value.extra["conflicts"][0]["kind"] == "booking"
    # The other half is free.
    assert _request(session, other, west, day, 10, 12).status == BookingStatus.requested
    _request(session, renter, hall, day, 14, 16)
    with pytest.raises(BookingConflict):
        _request(session, other, west, day, 15, 17)


def test_buffers_keep_a_gap_and_cancel_frees(session: Session) -> None:
    renter, other = make_user(session), make_user(session)
    room = make_room(session)
    day = next_weekday()
    first = _request(session, renter, room, day, 10, 12)
    with pytest.raises(BookingConflict) as error:
        _request(session, other, room, day, 12, 13)  # touches: the 15-minute clean-up is in the way
    session.rollback()
    alternatives = error.value.extra["alternatives"]
    assert alternatives and alternatives[0]["room_id"] == room.id
    flows.cancel_booking(session, renter, first.id)
    session.commit()
    assert _request(session, other, room, day, 12, 13).status == BookingStatus.requested


def test_rules_give_messages(session: Session) -> None:
    renter = make_user(session)
    room = make_room(session, capacity=10)
    closed_room = make_room(session, bookable_external=False)
    day = next_weekday()
    cases = [
        ({"start": seoul(day, 12), "end": seoul(day, 10)}, "시작 시각보다 뒤"),
        ({"start": seoul(day, 5), "end": seoul(day, 7)}, "운영 시간"),
        ({"attendees": 11}, "수용 인원"),
        ({"start": seoul(day, 10, 15), "end": seoul(day, 11, 15)}, "분 단위"),
    ]
    for override, message in cases:
        data = {
            "room_id": room.id,
            "start": seoul(day, 10),
            "end": seoul(day, 11),
            "title": "t",
            "attendees": 5,
            **override,
        }
        with pytest.raises(BookingRuleViolation, match=message):
            service.request_booking(session, renter, data)
        session.rollback()
    with pytest.raises(BookingRuleViolation, match="대관할 수 없는"):
        service.request_booking(
            session,
            renter,
            {
                "room_id": closed_room.id,
                "start": seoul(day, 10),
                "end": seoul(day, 11),
                "title": "t",
            },
        )


def test_block_displaces_pending_and_refuses_firm(session: Session) -> None:
    renter = make_user(session)
    manager = make_user(session, role=Role.manager)
    room = make_room(session)
    day = next_weekday()
    pending = _request(session, renter, room, day, 10, 12)
    firm = _request(session, renter, room, day, 14, 16)
    flows.approve_booking(session, manager, firm.id)
    session.commit()
    block, displaced = blocks.place_block(
        session,
        manager,
        room_id=room.id,
        starts_at=seoul(day, 9),
        ends_at=seoul(day, 13),
        reason="교원 직무연수",
        kind="training",
    )
    session.commit()
    assert [b.id for b in displaced] == [pending.id]
    assert session.get(Booking, pending.id).displaced_by_block_id == block.id  # type: ignore[union-attr]
    with pytest.raises(BookingConflict) as error:
        blocks.place_block(
            session,
            None,
            room_id=room.id,
            starts_at=seoul(day, 15),
            ends_at=seoul(day, 17),
            reason="boiler",
            kind="maintenance",
        )
    session.rollback()
    assert error.value.extra["conflicts"][0]["booking_id"] == firm.id
    # Blocks may overlap blocks (maintenance during a training blackout).
    blocks.place_block(
        session,
        None,
        room_id=room.id,
        starts_at=seoul(day, 8),
        ends_at=seoul(day, 9),
        reason="filter change",
    )
    session.commit()
    blocks.remove_block(session, manager, block.id)
    session.commit()
    assert session.get(Booking, pending.id).displaced_by_block_id is None  # type: ignore[union-attr]


def test_bookings_between_and_booked_hours(session: Session) -> None:
    renter = make_user(session)
    manager = make_user(session, role=Role.manager)
    hall = make_room(session, kind="seminar_room", capacity=100)
    part = make_room(session, kind="seminar_room", capacity=50, parent=hall)
    day = next_weekday()
    whole = _request(session, renter, hall, day, 10, 12)
    flows.approve_booking(session, manager, whole.id)
    _request(session, renter, part, day, 14, 15)  # requested: not yet use
    session.commit()
    found = queries.bookings_between(session, seoul(day, 0), seoul(day + timedelta(days=1), 0))
    assert {b.id for b in found} == {whole.id, whole.id + 1}
    assert queries.booked_hours(session, part.id, seoul(day, 0), seoul(day, 11)) == pytest.approx(1.0)
    assert queries.booked_hours(session, hall.id, seoul(day, 0), seoul(day, 23)) == pytest.approx(2.0)


def test_enqueue_email(session: Session) -> None:
    message = enqueue_email(session, to="crew@example.kr", subject="점검", body="본문", ics=b"BEGIN")
    session.commit()
    assert message.id and message.status == "pending"
