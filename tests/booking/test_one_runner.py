"""One way to create a booking: a staff booking passes through the renter's approval (invoice,
e-mail), and the request page and the API run the same runner, leaving the same rows."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from facility.booking import pricing
from facility.booking.models import Booking, FeeSchedule, Invoice
from facility.core.models import AuditEntry, Role, User
from facility.core.outbox import OutboxMessage
from facility.rooms.models import Room
from tests.booking.helpers import next_weekday, slot
from tests.factories import browser_login, csrf_from, make_organization, make_room, make_user, token_headers

# 2 h at 20,000 an hour, plus 10 % VAT.
TWO_HOURS_TOTAL = 44_000


def priced_rooms(session: Session, count: int) -> list[Room]:
    rooms = [make_room(session, kind="lecture_room") for _ in range(count)]
    session.add(FeeSchedule(room_kind="lecture_room", hourly=20_000))
    session.commit()
    return rooms


def last_id(session: Session, table: type[Any]) -> int:
    return session.exec(select(func.coalesce(func.max(table.id), 0))).one()  # type: ignore[no-any-return]


def effects(session: Session, booking_id: int, since: dict[str, int]) -> dict[str, Any]:
    """What a booking request left behind: the row, its invoices, and every audit entry and
    e-mail written since `since`."""
    session.commit()  # a fresh snapshot: the app committed in its own session
    booking = session.get(Booking, booking_id)
    assert booking is not None
    invoices = session.exec(select(Invoice).where(Invoice.booking_id == booking_id)).all()
    audits = session.exec(select(AuditEntry).where(col(AuditEntry.id) > since["audit"]).order_by(col(AuditEntry.id)))
    mails = session.exec(
        select(OutboxMessage).where(col(OutboxMessage.id) > since["outbox"]).order_by(col(OutboxMessage.id))
    )
    return {
        "status": booking.status,
        "price": booking.price_total,
        "quote": booking.quote,
        "decided": booking.decided_at is not None,
        "row": (booking.title, booking.attendees, booking.notes, booking.equipment, booking.organization_id),
        "invoices": [(i.kind, i.total, i.organization_id) for i in invoices],
        "audit": [(a.action, a.entity) for a in audits],
        "mail": [(m.to, m.subject) for m in mails],
    }


def marks(session: Session) -> dict[str, int]:
    return {"audit": last_id(session, AuditEntry), "outbox": last_id(session, OutboxMessage)}


def test_a_managers_direct_booking_for_an_organisation_is_invoiced_and_mailed(
    client: TestClient, session: Session
) -> None:
    (room,) = priced_rooms(session, 1)
    org = make_organization(session, name="바깥 기관")
    org.contact_email = "contact@outside.example.kr"
    session.add(org)
    session.commit()
    manager = make_user(session, role=Role.manager)
    body = {"room_id": room.id, **slot(next_weekday(), 10, 12), "title": "외부 기관 행사", "organization_id": org.id}
    before = marks(session)

    created = client.post("/api/v1/bookings", json=body, headers=token_headers(client, manager))

    assert created.status_code == 201, created.text
    found = effects(session, created.json()["id"], before)
    assert (found["status"], found["price"]) == ("approved", TWO_HOURS_TOTAL)
    assert found["invoices"] == [("rental", found["quote"]["total"], org.id)]
    assert ("contact@outside.example.kr", "[연수원 대관] 대관 승인: 외부 기관 행사") in found["mail"]
    # The same transitions as a renter's approved request, each audited.
    assert [a for a, _entity in found["audit"] if a.startswith("booking.")] == ["booking.requested", "booking.approved"]


@pytest.mark.parametrize("role", [Role.renter, Role.manager])
def test_the_page_and_the_api_leave_the_same_rows(client: TestClient, session: Session, role: Role) -> None:
    by_page, by_api = priced_rooms(session, 2)
    user = make_user(session, role=role)
    day = next_weekday()
    form = {"day": day.isoformat(), "start": "10:00", "end": "12:00", "title": "같은 행사", "attendees": "12"}
    bearer = token_headers(client, user)  # before the browser's cookie, which the token endpoint refuses
    browser_login(client, user)
    before_page = marks(session)
    posted = client.post(
        f"/book/rooms/{by_page.id}/new", data={**form, "csrf_token": csrf_from(client)}, follow_redirects=False
    )
    assert posted.status_code == 303, posted.text
    page_booking = int(posted.headers["location"].split("/my/bookings/", 1)[1].split("?", 1)[0])
    page = effects(session, page_booking, before_page)

    before_api = marks(session)
    body = {"room_id": by_api.id, **slot(day, 10, 12), "title": "같은 행사", "attendees": 12}
    answered = client.post("/api/v1/bookings", json=body, headers=bearer)
    assert answered.status_code == 201, answered.text
    api = effects(session, answered.json()["id"], before_api)

    assert page == api
    assert page["price"] == TWO_HOURS_TOTAL and page["quote"]["total"] == TWO_HOURS_TOTAL
    expected = "requested" if role == Role.renter else "confirmed"  # the Institute's own use bills nobody
    assert page["status"] == expected and page["mail"]


def test_a_form_post_prices_once_and_the_quote_shown_is_the_one_stored(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    (room,) = priced_rooms(session, 1)
    renter = make_user(session)
    browser_login(client, renter)
    token = csrf_from(client)
    form = {"day": next_weekday().isoformat(), "start": "10:00", "end": "12:00", "title": "모임", "attendees": "5"}
    shown = client.post(
        f"/book/rooms/{room.id}/quote", data=form, headers={"HX-Request": "true", "X-CSRF-Token": token}
    )
    assert "44,000원" in shown.text
    priced = 0
    compute_quote = pricing.compute_quote

    def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
        nonlocal priced
        priced += 1
        return compute_quote(*args, **kwargs)

    monkeypatch.setattr(pricing, "compute_quote", counting)
    posted = client.post(f"/book/rooms/{room.id}/new", data={**form, "csrf_token": token}, follow_redirects=False)

    assert posted.status_code == 303, posted.text
    assert priced == 1
    session.commit()
    stored = session.exec(select(Booking).where(Booking.user_id == renter.id)).one()
    assert stored.price_total == TWO_HOURS_TOTAL


def test_a_refused_form_post_shows_the_form_again_and_anonymous_visitors_sign_in(
    client: TestClient, session: Session
) -> None:
    (room,) = priced_rooms(session, 1)
    form = {"day": next_weekday().isoformat(), "start": "10:00", "end": "12:00", "title": "", "attendees": ""}
    anonymous = client.post(
        f"/book/rooms/{room.id}/new", data={**form, "csrf_token": csrf_from(client)}, follow_redirects=False
    )
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    user: User = make_user(session)
    browser_login(client, user)
    missing = client.post(f"/book/rooms/{room.id}/new", data={**form, "csrf_token": csrf_from(client)})
    assert missing.status_code == 422 and "44,000원" in missing.text
    session.commit()
    assert session.exec(select(func.count()).select_from(Booking)).one() == 0
