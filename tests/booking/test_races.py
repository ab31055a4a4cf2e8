"""Races as rush hour makes them: each case fires three times as many simultaneous requests as the
served app has worker threads at one booking, invoice, series, waitlist entry or work order, and
asserts exactly one effect, no 5xx but 503, and a server that still answers within a second."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, func, select

from facility.booking import flows, series, service
from facility.booking.models import Block, Booking, FeeSchedule, Invoice, Payment, SpaceClaim, WaitlistEntry
from facility.booking.schemas import SeriesCreate
from facility.core.config import Settings
from facility.core.models import AuditEntry, Role, User
from facility.core.security import issue_token
from facility.maintenance import service as work_orders
from facility.maintenance.models import WorkOrder
from facility.maintenance.schemas import WorkOrderCreate
from tests.booking.helpers import next_weekday, seoul
from tests.concurrent import RACERS, THREADS
from tests.conftest import serve_app
from tests.factories import make_organization, make_room, make_user
from tests.keys import TEST_SECRET_KEY

pytestmark = pytest.mark.slow

# The served app's worker threads; every race fires three times as many requests at once.


# SQLite has one writer at a time (SQLiteWriteGate): races there cannot interleave, so two cases
# show it; the row locks and conditional updates are PostgreSQL's to prove.
BOTH_DATABASES = {"test_booking_requests_for_one_slot", "test_full_payments_are_recorded_once"}


@pytest.fixture
def served(request: pytest.FixtureRequest, settings: Settings) -> Iterator[str]:
    if settings.database_url.startswith("sqlite") and request.function.__name__ not in BOTH_DATABASES:
        pytest.skip("races are PostgreSQL's to prove; SQLite serialises every write")
    limits = {"worker_threads": THREADS, "max_concurrent_requests": THREADS - 2}
    with serve_app(settings.model_copy(update=limits)) as url:
        yield url


Call = tuple[str, str, dict[str, Any] | None, User]


def race(url: str, calls: list[Call], *, headers: dict[str, str] | None = None) -> list[httpx.Response]:
    """Fire every call at the same moment (each with `headers` too); each must get an answer, none
    a 5xx other than 503."""
    barrier = threading.Barrier(len(calls))
    results: list[httpx.Response | BaseException | None] = [None] * len(calls)
    extra = headers or {}

    def fire(i: int) -> None:
        method, path, body, user = calls[i]
        headers = {"Authorization": f"Bearer {issue_token(TEST_SECRET_KEY, user.id)}", **extra}  # type: ignore[arg-type]
        with httpx.Client(base_url=url, timeout=60) as client:
            barrier.wait()
            try:
                results[i] = client.request(method, path, json=body, headers=headers)
            except BaseException as error:  # noqa: BLE001 - reported below
                results[i] = error

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    responses = [r for r in results if isinstance(r, httpx.Response)]
    assert len(responses) == len(calls), [r for r in results if not isinstance(r, httpx.Response)]
    faults = [(r.status_code, r.text[:200]) for r in responses if r.status_code >= 500 and r.status_code != 503]
    assert not faults, faults
    for response in responses:
        if response.status_code == 503:
            assert response.headers.get("Retry-After"), response.headers
    started = time.monotonic()
    assert httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    assert time.monotonic() - started < 1
    return responses


def codes(responses: list[httpx.Response]) -> list[int]:
    return sorted(r.status_code for r in responses)


def won(responses: list[httpx.Response], status: int = 200) -> int:
    """How many racers won; every loser lost cleanly (409 or 422, or 503 when shed)."""
    found = codes(responses)
    assert set(found) <= {status, 409, 422, 503}, found
    return found.count(status)


def _booking(session: Session, renter: User, *, day: date | None = None, **extra: Any) -> Booking:
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=50_000))
    session.commit()
    day = day or next_weekday()
    body = {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "행사", "attendees": 5}
    booking = service.request_booking(session, renter, {**body, **extra})
    session.commit()
    return booking


def _managers(session: Session, count: int = RACERS) -> list[User]:
    return [make_user(session, role=Role.manager) for _ in range(count)]


def test_booking_requests_for_one_slot(session: Session, served: str) -> None:
    room = make_room(session)
    orgs = [make_organization(session), make_organization(session)]
    renters = [make_user(session, organization=orgs[i % 2]) for i in range(RACERS)]
    day = next_weekday()
    body = {"room_id": room.id, "start": seoul(day, 10).isoformat(), "end": seoul(day, 12).isoformat()}
    responses = race(served, [("POST", "/api/v1/bookings", {**body, "title": "t"}, r) for r in renters])
    assert won(responses, 201) == 1
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Booking)).one() == 1
    # Every loser is told what won, also those that met the winner only at the commit (screened
    # again in core/one_hop.py), not the database's bare refusal.
    (winner,) = [r.json()["id"] for r in responses if r.status_code == 201]
    refused = [r.json() for r in responses if r.status_code == 409]
    assert refused and all(r["conflicts"] and r["slot"]["room_id"] == room.id for r in refused), refused
    assert all(c["kind"] == "booking" for r in refused for c in r["conflicts"])
    assert winner


def test_one_keyed_booking_request_sent_at_once_books_once(session: Session, served: str) -> None:
    """A tablet's retries of one request, all at the same moment: the key is claimed inside the
    request's one-hop unit of work (core/one_hop.py), so one booking, and every 201 is that one."""
    room, renter = make_room(session), make_user(session)
    day = next_weekday()
    body = {"room_id": room.id, "start": seoul(day, 10).isoformat(), "end": seoul(day, 12).isoformat(), "title": "t"}
    calls: list[Call] = [("POST", "/api/v1/bookings", body, renter)] * RACERS
    responses = race(served, calls, headers={"Idempotency-Key": "tablet-retry-1"})
    assert won(responses, 201) >= 1
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1, created
    # The others waited on the key, never reached the slot: told "in progress", not "taken".
    refused = {r.json()["code"] for r in responses if r.status_code == 409}
    assert refused <= {"idempotency_in_progress"}, refused
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Booking)).one() == 1


def test_approvals_issue_one_invoice(session: Session, served: str) -> None:
    booking = _booking(session, make_user(session))
    assert booking.price_total > 0
    path = f"/api/v1/bookings/{booking.id}/approve"
    assert won(race(served, [("POST", path, None, m) for m in _managers(session)])) == 1
    session.expire_all()
    assert session.get(Booking, booking.id).status == "approved"  # type: ignore[union-attr]
    assert len(session.exec(select(Invoice).where(Invoice.booking_id == booking.id)).all()) == 1


def test_rejections_reject_once(session: Session, served: str) -> None:
    booking = _booking(session, make_user(session))
    path = f"/api/v1/bookings/{booking.id}/reject"
    assert won(race(served, [("POST", path, {"reason": "겹침"}, m) for m in _managers(session)])) == 1
    session.expire_all()
    assert session.get(Booking, booking.id).status == "rejected"  # type: ignore[union-attr]


def test_approvals_racing_cancellations_leave_one_consistent_outcome(session: Session, served: str) -> None:
    renter = make_user(session)
    booking = _booking(session, renter)
    approve, cancel = f"/api/v1/bookings/{booking.id}/approve", f"/api/v1/bookings/{booking.id}/cancel"
    managers = _managers(session, RACERS // 2)
    calls: list[Call] = [("POST", approve, None, m) for m in managers]
    calls += [("POST", cancel, {"reason": ""}, renter) for _ in range(RACERS - len(managers))]
    responses = race(served, calls)
    approvals, cancels = responses[: len(managers)], responses[len(managers) :]
    assert won(approvals) <= 1 and won(cancels) == 1
    session.expire_all()
    final = session.get(Booking, booking.id)
    assert final is not None and final.status == "cancelled"
    invoices = session.exec(select(Invoice).where(Invoice.booking_id == booking.id, Invoice.kind == "rental")).all()
    assert len(invoices) == won(approvals)
    assert all(invoice.status == "void" for invoice in invoices)


def test_confirmations_confirm_once(session: Session, served: str) -> None:
    manager = make_user(session, role=Role.manager)
    booking = _booking(session, make_user(session))
    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    session.commit()
    path = f"/api/v1/bookings/{booking.id}/confirm"
    assert won(race(served, [("POST", path, None, m) for m in _managers(session)])) == 1
    session.expire_all()
    audit = session.exec(
        select(func.count()).where(
            col(AuditEntry.action) == "booking.confirmed", col(AuditEntry.entity_id) == str(booking.id)
        )
    ).one()
    assert audit == 1


def test_full_payments_are_recorded_once(session: Session, served: str) -> None:
    manager = make_user(session, role=Role.manager)
    booking = _booking(session, make_user(session))
    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    session.commit()
    invoice = session.exec(select(Invoice).where(Invoice.booking_id == booking.id)).one()
    body = {"amount": invoice.total, "paid_on": date.today().isoformat()}
    path = f"/api/v1/invoices/{invoice.id}/payments"
    assert won(race(served, [("POST", path, body, m) for m in _managers(session)]), 201) == 1
    session.expire_all()
    payments = session.exec(select(Payment).where(Payment.invoice_id == invoice.id)).all()
    assert [p.amount for p in payments] == [invoice.total]
    paid = session.get(Invoice, invoice.id)
    assert paid is not None and paid.paid == invoice.total and paid.status == "paid"
    assert session.get(Booking, booking.id).status == "confirmed"  # type: ignore[union-attr]


def test_partial_payments_add_up_and_never_pass_the_total(session: Session, served: str) -> None:
    manager = make_user(session, role=Role.manager)
    booking = _booking(session, make_user(session))
    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    session.commit()
    invoice = session.exec(select(Invoice).where(Invoice.booking_id == booking.id)).one()
    share = invoice.total // 4 + 1  # four shares pass the total: at most three fit
    body = {"amount": share, "paid_on": date.today().isoformat()}
    path = f"/api/v1/invoices/{invoice.id}/payments"
    assert won(race(served, [("POST", path, body, m) for m in _managers(session)]), 201) == 3
    session.expire_all()
    payments = session.exec(select(Payment).where(Payment.invoice_id == invoice.id)).all()
    final = session.get(Invoice, invoice.id)
    assert final is not None and final.paid == sum(p.amount for p in payments) == 3 * share <= final.total


def test_check_ins_check_in_once(session: Session, served: str) -> None:
    renter = make_user(session)
    room = make_room(session)
    now = datetime.now(UTC)
    booking = Booking(
        room_id=room.id,  # type: ignore[arg-type]
        organization_id=renter.organization_id,
        user_id=renter.id,
        title="오늘",
        starts_at=now + timedelta(minutes=10),
        ends_at=now + timedelta(hours=2),
        status="confirmed",
    )
    session.add(booking)
    session.commit()
    path = f"/api/v1/bookings/{booking.id}/check-in"
    assert won(race(served, [("POST", path, None, renter) for _ in range(RACERS)])) == 1


def test_series_requests_for_the_same_dates(session: Session, served: str) -> None:
    room = make_room(session)
    renters = [make_user(session) for _ in range(RACERS)]
    day = next_weekday(weeks=4)
    body = {
        "room_id": room.id,
        "start": seoul(day, 10).isoformat(),
        "end": seoul(day, 12).isoformat(),
        "rrule": "FREQ=WEEKLY;COUNT=4",
        "title": "정기",
    }
    assert won(race(served, [("POST", "/api/v1/series", body, r) for r in renters]), 201) == 1
    session.expire_all()
    assert session.exec(select(func.count()).select_from(Booking)).one() == 4


def test_bulk_series_approvals_approve_once(session: Session, served: str) -> None:
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=50_000))
    session.commit()
    day = next_weekday(weeks=4)
    body = SeriesCreate(
        room_id=room.id, start=seoul(day, 10), end=seoul(day, 12), rrule="FREQ=WEEKLY;COUNT=3", title="정기"
    )
    created, _bookings, _report = series.create_series(session, make_user(session), body)
    session.commit()
    path = f"/api/v1/series/{created.id}/approve"
    assert won(race(served, [("POST", path, None, m) for m in _managers(session)])) == 1
    session.expire_all()
    rows = session.exec(select(Booking).where(Booking.series_id == created.id)).all()
    assert [b.status for b in rows] == ["approved"] * 3
    assert len(session.exec(select(Invoice).where(col(Invoice.booking_id).in_([b.id for b in rows]))).all()) == 3
    decisions = select(func.count()).where(col(AuditEntry.action) == "series.approve")
    assert session.exec(decisions).one() == 1


def test_a_waitlist_offer_is_taken_once(session: Session, served: str) -> None:
    renter, waiting = make_user(session), make_user(session)
    booking = _booking(session, renter, hold=True)
    entry = WaitlistEntry(
        room_id=booking.room_id,
        organization_id=waiting.organization_id,
        user_id=waiting.id,  # type: ignore[arg-type]
        title="대기",
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
    )
    session.add(entry)
    session.commit()
    # The renter's hold turns into a request while the waiting renter's entry is withdrawn.
    submit, leave = f"/api/v1/bookings/{booking.id}/submit", f"/api/v1/waitlist/{entry.id}"
    calls: list[Call] = [("POST", submit, None, renter) for _ in range(RACERS // 2)]
    calls += [("DELETE", leave, None, waiting) for _ in range(RACERS - RACERS // 2)]
    responses = race(served, calls)
    assert won(responses[: RACERS // 2]) == 1
    session.expire_all()
    assert session.get(Booking, booking.id).status == "requested"  # type: ignore[union-attr]
    assert session.get(WaitlistEntry, entry.id).status == "cancelled"  # type: ignore[union-attr]
    leave_audits = session.exec(select(func.count()).where(col(AuditEntry.action) == "waitlist.leave")).one()
    assert leave_audits == 1


def test_blocks_racing_bookings_never_overlap(session: Session, served: str) -> None:
    room = make_room(session)
    managers = _managers(session, RACERS // 2)
    renters = [make_user(session) for _ in range(RACERS - len(managers))]
    day = next_weekday()
    slot = {"start": seoul(day, 10).isoformat(), "end": seoul(day, 12).isoformat()}
    calls: list[Call] = [
        ("POST", "/api/v1/blocks", {"room_id": room.id, **slot, "reason": "연수", "kind": "training"}, m)
        for m in managers
    ]
    calls += [("POST", "/api/v1/bookings", {"room_id": room.id, **slot, "title": "t"}, r) for r in renters]
    race(served, calls)
    session.expire_all()
    active = session.exec(select(SpaceClaim).where(col(SpaceClaim.active).is_(True))).all()
    booked = [c for c in active if c.booking_id is not None]
    assert len(booked) <= 1
    if booked:  # a booking holds the slot only if no block covers it
        assert not [c for c in active if c.block_id is not None]
    assert session.exec(select(func.count()).select_from(Block)).one() >= (0 if booked else 1)


def test_work_order_changes_happen_once(session: Session, served: str) -> None:
    manager = make_user(session, role=Role.manager)
    crew = make_user(session, role=Role.crew)
    order = work_orders.create_work_order(
        session,
        manager,
        WorkOrderCreate(title="누수", assignee_id=crew.id),  # type: ignore[arg-type]
    )
    session.commit()
    path = f"/api/v1/work-orders/{order.id}/transition"
    assert won(race(served, [("POST", path, {"to": "in_progress"}, crew) for _ in range(RACERS)])) == 1
    body = {"to": "done", "note": "교체", "minutes_spent": 30, "confirm_name": crew.full_name}
    assert won(race(served, [("POST", path, body, crew) for _ in range(RACERS)])) == 1
    session.expire_all()
    final = session.get(WorkOrder, order.id)
    assert final is not None and final.status == "done"
    for action in ("work_order.in_progress", "work_order.done"):
        changes = session.exec(
            select(func.count()).where(col(AuditEntry.action) == action, col(AuditEntry.entity_id) == str(order.id))
        ).one()
        assert changes == 1, action
