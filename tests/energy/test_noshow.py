"""Nobody came: the booking is released as a no-show N minutes after its start under the booking
rules (fee, notices, the waitlist run), the room goes to economy; presence or a long booking keeps it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from facility.booking import waitlist
from facility.booking.models import Booking, FeeSchedule, Invoice, WaitlistEntry
from facility.core.config import Settings
from facility.core.models import Role
from facility.core.outbox import OutboxMessage
from facility.energy import tasks
from facility.energy.kinds import Mode
from facility.energy.models import RoomModeState
from facility.energy.noshow import RELEASE_ACTION
from tests.booking.helpers import next_weekday
from tests.energy.helpers import book, local
from tests.factories import make_room, make_user
from tests.sensors.factories import make_device, write_readings


def test_an_absent_booking_is_released_with_the_fee_rule_and_the_waitlist_run(
    session: Session, engine: Engine, settings: Settings
) -> None:
    session.add(FeeSchedule(room_kind="lecture_room", hourly=50_000))
    session.commit()
    empty, busy = make_room(session), make_room(session)
    renter, other, manager = make_user(session), make_user(session), make_user(session, role=Role.manager)
    day = next_weekday()
    absent = book(session, renter, manager, empty, day, 10, 12)
    present = book(session, renter, manager, busy, day, 10, 12)
    long_course = book(session, renter, manager, make_room(session), day, 9, 17)
    assert absent.status == "confirmed" and absent.price_total > 0
    entry = waitlist.join_waitlist(
        session,
        other,
        room_id=empty.id,  # type: ignore[arg-type]
        starts_at=absent.starts_at,
        ends_at=absent.ends_at,
        title="대기",
        attendees=5,
    )
    session.commit()
    start = local(day, 10)
    for room, value in ((empty, 0.0), (busy, 1.0)):
        sensor = make_device(session, room=room, metrics="occupancy,co2,setpoint")
        write_readings(engine, sensor, {"occupancy": [(start + timedelta(minutes=m), value) for m in (2, 7, 12)]})
    long_sensor = make_device(session, room=session.get(type(empty), long_course.room_id), metrics="occupancy")
    write_readings(engine, long_sensor, {"occupancy": [(local(day, 9, 5), 0.0)]})
    # A room never measured is never taken for empty.
    silent = book(session, renter, manager, make_room(session), day, 10, 11)

    assert tasks.release_no_shows(engine, settings, start + timedelta(minutes=14)) == 0
    assert tasks.release_no_shows(engine, settings, start + timedelta(minutes=15)) == 1
    session.rollback()
    session.expire_all()
    released = session.get(Booking, absent.id)
    assert released is not None and released.status == "no_show"
    # The cancellation schedule's same-day rate, and the rental invoice stands (a no-show pays).
    assert released.cancellation_fee == released.price_total
    invoice = session.exec(select(Invoice).where(Invoice.booking_id == absent.id)).one()
    assert invoice.status != "void" and invoice.total == released.price_total
    for kept in (present, long_course, silent):
        assert session.get(Booking, kept.id).status == "confirmed"  # type: ignore[union-attr]
    # The renter by e-mail, the manager through the staff channel.
    to = {m.to for m in session.exec(select(OutboxMessage).where(col(OutboxMessage.subject).contains("미입실")))}
    assert renter.email in to and manager.email in to
    # The waitlist was run on the freed slot at once: a same-day slot cannot be offered to a renter
    # (renters book a day ahead), so the entry lapses instead of waiting for nothing.
    assert session.get(WaitlistEntry, entry.id).status == "lapsed"  # type: ignore[union-attr]
    state = session.get(RoomModeState, empty.id)
    assert state is not None and state.mode == Mode.economy
    from facility.core.models import AuditEntry

    assert session.exec(select(AuditEntry).where(AuditEntry.action == RELEASE_ACTION)).one().entity_id == str(absent.id)
