"""A person's own account: profile and organisation contacts, and 회원 탈퇴 that erases the person
but keeps their bookings, invoices and payments (anonymised) as the tax law requires."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.booking import flows, series, service
from facility.booking.models import Booking, FeeSchedule, Invoice, Payment
from facility.core.models import Organization, Role, User
from tests.booking.helpers import next_weekday, seoul
from tests.factories import PASSWORD, browser_login, csrf_from, make_organization, make_room, make_user


def test_profile_contacts_and_withdrawal_keep_the_financial_records(client: TestClient, session: Session) -> None:
    org = make_organization(session, name="한빛 문화재단")
    renter, manager = make_user(session, organization=org), make_user(session, role=Role.manager)
    email = org.contact_email = renter.email
    session.add(org)
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=40_000))
    session.commit()
    day = next_weekday()
    booking = service.request_booking(
        session, renter, {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "총회"}
    )
    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    invoice = session.exec(select(Invoice).where(Invoice.booking_id == booking.id)).one()
    flows.record_payment(session, manager, invoice.id, amount=invoice.total, paid_on=date.today())  # type: ignore[arg-type]
    session.commit()

    browser_login(client, renter)
    token = csrf_from(client, "/account")
    saved = client.post("/account/profile", data={"full_name": "김대관", "locale": "ko", "csrf_token": token})
    assert saved.status_code == 200 and "김대관" in saved.text
    bad = client.post("/account/organization", data={"business_number": "123-45-67890", "csrf_token": token})
    assert bad.status_code == 422 and "사업자등록번호가 올바르지 않습니다" in bad.text
    client.post(
        "/account/organization",
        data={"contact_name": "김대관", "contact_phone": "02-555-0100", "contact_email": renter.email,
              "business_number": "1234567891", "csrf_token": token},
    )  # fmt: skip
    session.expire_all()
    fresh_org = session.get(Organization, org.id)
    assert fresh_org is not None and fresh_org.business_number == "123-45-67891"
    assert fresh_org.contact_phone == "02-555-0100"

    wrong = client.post("/account/withdraw", data={"password": "not-my-password", "csrf_token": token})
    assert wrong.status_code == 422
    blocked = client.post("/account/withdraw", data={"password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 409 and "예약 1건을 취소" in blocked.text
    series.cancel(session, renter, booking.id, series.Scope.one, "사정")  # type: ignore[arg-type]
    session.commit()
    done = client.post("/account/withdraw", data={"password": PASSWORD, "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"

    session.commit()
    session.expire_all()
    gone = session.get(User, renter.id)
    assert gone is not None and gone.withdrawn_at is not None and not gone.active
    assert gone.email != email and gone.full_name == "탈퇴한 회원"
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code != 303
    # The records the tax law keeps are still there, linked to the anonymised row.
    kept = session.get(Booking, booking.id)
    assert kept is not None and kept.user_id == renter.id
    assert session.exec(select(Payment).where(Payment.invoice_id == invoice.id)).one().amount == invoice.total
    after_org = session.get(Organization, org.id)
    assert after_org is not None and after_org.name == "한빛 문화재단" and after_org.contact_email == ""
    assert after_org.business_number == "123-45-67891"
