"""The demo's booking data loads once and leaves the console something to show."""

from __future__ import annotations

from sqlmodel import Session, select

from facility.booking.demo import load_demo_bookings, load_demo_fees
from facility.booking.models import Block, Booking, FeeSchedule
from facility.core.models import Role
from facility.demo.load import load_demo_campus
from tests.factories import make_user


def test_demo_fees_and_bookings_load_once(session: Session) -> None:
    load_demo_campus(session)
    session.commit()
    make_user(session, email="renter@demo.facility.kr")
    make_user(session, role=Role.manager, email="manager@demo.facility.kr")
    assert load_demo_fees(session) == load_demo_fees(session)
    assert load_demo_bookings(session) == 3
    session.commit()
    assert load_demo_bookings(session) == 0
    assert len(session.exec(select(FeeSchedule)).all()) == 10
    statuses = sorted(b.status for b in session.exec(select(Booking)))
    assert statuses == ["approved", "requested", "requested"]
    assert len(session.exec(select(Block)).all()) == 5
