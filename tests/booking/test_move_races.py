"""Managers dragging one approved booking to other rooms at the same moment (the calendar's move,
`POST /api/v1/bookings/{id}/move`), three times as many as the served app has worker threads, on
PostgreSQL: whatever order the moves land in, the booking ends in one room with its claims there
alone, one live invoice at that room's price, one void invoice and one audit entry per move that
won, and a server that still answers."""

from __future__ import annotations

from sqlmodel import Session, col, select

from facility.booking import flows
from facility.booking.models import Booking, FeeSchedule, Invoice, SpaceClaim
from facility.core.models import AuditEntry
from facility.rooms import service as rooms_service
from tests.booking.test_races import _booking, _managers, race, won
from tests.factories import make_room, make_user

HOURLY = (40_000, 60_000, 80_000)


def test_moves_racing_for_one_booking_leave_one_room_one_invoice_and_one_audit_each(
    session: Session, raced: str
) -> None:
    booking = _booking(session, make_user(session))
    flows.approve_booking(session, _managers(session, 1)[0], booking.id)  # type: ignore[arg-type]
    session.commit()
    rooms = [make_room(session) for _ in HOURLY]
    session.add_all(FeeSchedule(room_id=room.id, hourly=hourly) for room, hourly in zip(rooms, HOURLY, strict=True))
    session.commit()
    start = booking.starts_at.isoformat()
    end = booking.ends_at.isoformat()
    path = f"/api/v1/bookings/{booking.id}/move"
    calls = [
        ("POST", path, {"room_id": rooms[i % len(rooms)].id, "start": start, "end": end}, manager)
        for i, manager in enumerate(_managers(session))
    ]
    responses = race(raced, calls)
    moved = won(responses)
    assert moved >= 1, [r.text[:200] for r in responses]

    session.expire_all()
    final = session.get(Booking, booking.id)
    assert final is not None and final.room_id in {room.id for room in rooms}
    spaces = set(rooms_service.atomic_space_ids(session, final.room_id))
    active = session.exec(
        select(SpaceClaim.space_id).where(SpaceClaim.booking_id == booking.id, col(SpaceClaim.active).is_(True))
    ).all()
    assert active and set(active) <= spaces, (active, spaces)
    invoices = session.exec(select(Invoice).where(Invoice.booking_id == booking.id).order_by(col(Invoice.id))).all()
    live = [i for i in invoices if i.status != "void"]
    assert len(live) == 1 and live[0].total == final.price_total, [(i.status, i.total) for i in invoices]
    hourly = dict(zip((room.id for room in rooms), HOURLY, strict=True))[final.room_id]
    hours = (final.ends_at - final.starts_at).total_seconds() / 3600
    assert final.price_total == round(hourly * hours * 1.1)
    entries = session.exec(
        select(AuditEntry).where(AuditEntry.action == "booking.move", AuditEntry.entity_id == str(booking.id))
    ).all()
    assert len(entries) == moved
    # Each won move replaced the live invoice once (a move to the room it was already in may keep it).
    assert len(invoices) - 1 <= moved
