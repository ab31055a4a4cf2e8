"""Fees: rates, surcharges, discounts, VAT, cancellation fees, and gap-free invoice numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from facility.booking import flows, pricing, service
from facility.booking.invoices import next_number
from facility.booking.models import FeeSchedule, Invoice
from facility.core.models import OrgKind, Role
from tests.booking.helpers import SEOUL, next_weekday, seoul
from tests.factories import make_organization, make_room, make_user

SCHEDULE = FeeSchedule(
    hourly=50_000,
    half_day=150_000,
    full_day=300_000,
    weekend_percent=120,
    evening_percent=150,
    deposit=100_000,
    equipment_fees={"pa_system": 30_000},
)


def test_base_charge_takes_the_cheapest_rate() -> None:
    assert pricing.base_charge(SCHEDULE, 2) == 100_000
    assert pricing.base_charge(SCHEDULE, 4) == 150_000
    assert pricing.base_charge(SCHEDULE, 8) == 300_000
    assert pricing.base_charge(SCHEDULE, 11) == 300_000 + 2 * 50_000


def test_weekend_evening_equipment_vat_and_no_reduction_by_kind(session: Session) -> None:
    room = make_room(session, kind="auditorium")
    schedule = FeeSchedule(room_id=room.id, **SCHEDULE.model_dump(exclude={"id", "room_id", "room_kind"}))
    session.add(schedule)
    session.commit()
    public = make_organization(session, kind=OrgKind.public)
    saturday = next_weekday(weekday=5)
    quote = pricing.compute_quote(
        session,
        room,
        public,
        seoul(saturday, 17).astimezone(UTC),
        seoul(saturday, 20).astimezone(UTC),
        SEOUL,
        equipment={"pa_system": 1},
    )
    keys = {line["key"]: line["amount"] for line in quote["lines"]}
    assert keys == {
        "base": 150_000,
        "weekend": 30_000,
        "evening": 50_000,
        "equipment:pa_system": 30_000,
    }
    # A public body gets no reduction by its kind: only a verified claim reduces (test_rental_rules).
    assert quote["subtotal"] == 260_000 and quote["discount"] == 0
    assert quote["vat"] == 26_000 and quote["total"] == 286_000 and quote["deposit"] == 100_000
    reduced = pricing.with_reduction(quote, 50, "national_merit")
    assert reduced["discount"] == 130_000 and reduced["vat"] == 13_000 and reduced["total"] == 143_000


def test_cancellation_schedule() -> None:
    start = datetime(2027, 3, 20, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
    assert pricing.cancellation_percent(start, start - timedelta(days=10), SEOUL) == 0
    assert pricing.cancellation_percent(start, start - timedelta(days=4), SEOUL) == 20
    assert pricing.cancellation_percent(start, start - timedelta(days=1), SEOUL) == 50
    assert pricing.cancellation_percent(start, start - timedelta(hours=2), SEOUL) == 100


def test_cancelling_an_approved_booking_bills_the_fee(session: Session) -> None:
    room = make_room(session)
    session.add(FeeSchedule(room_kind="lecture_room", hourly=50_000))
    session.commit()
    renter = make_user(session)
    manager = make_user(session, role=Role.manager)
    day = next_weekday(5)
    booking = service.request_booking(
        session,
        renter,
        {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "t"},
    )
    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    session.commit()
    four_days_before = seoul(day - timedelta(days=4), 9).astimezone(UTC)
    flows.cancel_booking(session, renter, booking.id, now=four_days_before)  # type: ignore[arg-type]
    session.commit()
    assert booking.cancellation_fee == 22_000  # 20% of 110,000
    invoices = session.exec(select(Invoice).order_by(Invoice.id)).all()
    assert [(i.kind, i.status, i.total) for i in invoices] == [
        ("rental", "void", 110_000),
        ("cancellation", "issued", 22_000),
    ]
    year = datetime.now(SEOUL).year
    assert [i.number for i in invoices] == [f"{year}-000001", f"{year}-000002"]


def test_invoice_numbers_are_sequential_per_year(session: Session) -> None:
    numbers = [next_number(session, 2031) for _ in range(3)] + [next_number(session, 2032)]
    session.commit()
    assert numbers == ["2031-000001", "2031-000002", "2031-000003", "2032-000001"]
