"""A refund is money owed back on the books (issue 29): cancelling a paid booking issues a credit
note for what was paid, beside any cancellation fee, in the renter's and the officer's lists."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.booking import flows, invoices, service
from facility.booking.models import FeeSchedule
from facility.core.models import Role
from tests.booking.helpers import next_weekday, seoul
from tests.factories import browser_login, make_room, make_user


def test_paid_booking_cancelled_by_the_institute_is_credited(session: Session) -> None:
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=50_000))
    session.commit()
    renter, officer = make_user(session), make_user(session, role=Role.manager)
    day = next_weekday(20)
    unpaid, paid = (
        service.request_booking(
            session, renter, {"room_id": room.id, "start": seoul(day, h), "end": seoul(day, h + 2), "title": "t"}
        )
        for h in (9, 13)
    )
    for booking in (unpaid, paid):
        flows.approve_booking(session, officer, booking.id)  # type: ignore[arg-type]
    rental = invoices.live_rental_invoice(session, paid.id)  # type: ignore[arg-type]
    assert rental is not None and rental.total == 110_000
    invoices.add_payment(session, officer, rental.id, amount=rental.total, paid_on=day)  # type: ignore[arg-type]
    for booking in (unpaid, paid):
        flows.cancel_for_institution(session, officer, booking.id, "교육과정 운영")  # type: ignore[arg-type]
    session.commit()

    assert [i.kind for i in invoices.list_invoices(session, renter, booking_id=unpaid.id)] == ["rental"]  # void
    credit = invoices.list_invoices(session, renter, booking_id=paid.id)[0]  # the renter sees it
    assert credit.kind == "refund" and credit.total == -110_000 and credit.net + credit.vat == -110_000
    assert credit.lines[0]["label_en"] == "Refund of the amount paid" and not credit.taxable
    assert credit.id in {i.id for i in invoices.list_invoices(session, officer)}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_credit_note_on_the_officers_and_renters_pages(client: TestClient, session: Session) -> None:
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=50_000))
    session.commit()
    renter, officer = make_user(session), make_user(session, role=Role.manager)
    day = next_weekday(20)
    booking = service.request_booking(
        session, renter, {"room_id": room.id, "start": seoul(day, 9), "end": seoul(day, 11), "title": "t"}
    )
    flows.approve_booking(session, officer, booking.id)  # type: ignore[arg-type]
    rental = invoices.live_rental_invoice(session, booking.id)  # type: ignore[arg-type]
    invoices.add_payment(session, officer, rental.id, amount=rental.total, paid_on=day)  # type: ignore[arg-type, union-attr]
    flows.cancel_for_institution(session, officer, booking.id, "교육과정 운영")  # type: ignore[arg-type]
    session.commit()
    credit = invoices.list_invoices(session, officer, booking_id=booking.id)[0]
    browser_login(client, officer)
    page = client.get("/manage/invoices")
    assert page.status_code == 200 and f'data-testid="refund-{credit.number}"' in page.text
    assert "-110,000" in page.text and f'data-testid="pay-{credit.number}"' not in page.text
    client.cookies.clear()
    browser_login(client, renter)
    mine = client.get(f"/my/bookings/{booking.id}")
    assert mine.status_code == 200 and 'data-testid="refund-owed"' in mine.text and "110,000원" in mine.text
