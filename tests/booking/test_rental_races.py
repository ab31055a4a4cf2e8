"""Races on the rental rules, as rush hour makes them: three times as many simultaneous requests as
the served app has worker threads at one lottery, deposit, reduction claim or overdue booking, on
PostgreSQL, asserting exactly one effect and a server that still answers. The deadline job has no
route: its runs go in from threads of their own, released at the same moment as the requests."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from facility.booking import deadlines, flows, lottery, notify, pricing, reductions, tasks
from facility.booking.models import BankDeposit, Booking, FeeSchedule, Invoice, Payment
from facility.booking.rental_models import LotteryEntry, ReductionClaim
from facility.core.config import DatabaseLimits, Settings
from facility.core.db import get_engine, session_scope, utcnow
from facility.core.errors import InvalidInput
from facility.core.models import AuditEntry, Role, User
from facility.core.outbox import OutboxMessage
from facility.core.security import issue_token
from tests.booking.helpers import next_weekday, seoul
from tests.booking.test_races import RACERS, Call, _booking, race, won
from tests.concurrent import fire_together, status_codes
from tests.factories import make_room, make_user
from tests.keys import TEST_SECRET_KEY

pytestmark = pytest.mark.slow

SQLITE_SKIP = "races are PostgreSQL's to prove; SQLite serialises every write"


@pytest.fixture
def job_engine(settings: Settings) -> Engine:
    """The scheduler's own pool, as its process has one: a connection for every racing run."""
    if settings.database_url.startswith("sqlite"):
        pytest.skip(SQLITE_SKIP)
    return get_engine(settings.database_url, DatabaseLimits(pool_size=RACERS))


def together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run every call at the same moment on a thread of its own; each result or raised error."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [TimeoutError("no answer")] * len(calls)

    def one(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except BaseException as error:  # noqa: BLE001 - returned to the test
            results[i] = error

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _http(url: str, method: str, path: str, body: dict[str, Any] | None, user: User) -> Callable[[], httpx.Response]:
    headers = {"Authorization": f"Bearer {issue_token(TEST_SECRET_KEY, user.id)}"}  # type: ignore[arg-type]

    def send() -> httpx.Response:
        with httpx.Client(base_url=url, timeout=60) as client:
            return client.request(method, path, json=body, headers=headers)

    return send


def _answers(url: str) -> None:
    assert httpx.get(f"{url}/healthz", timeout=30).status_code == 200


def _count(session: Session, action: str, entity_id: object | None = None) -> int:
    query = select(func.count()).where(col(AuditEntry.action) == action)
    if entity_id is not None:
        query = query.where(col(AuditEntry.entity_id) == str(entity_id))
    return int(session.exec(query).one())


# --- lotteries ---------------------------------------------------------------------------------


def _lottery(session: Session, manager: User, slots: int = 1) -> lottery.Lottery:
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=50_000))
    day, now = next_weekday(10), datetime.now(UTC)
    created = lottery.create_lottery(
        session,
        manager,
        lottery.LotteryCreate(
            room_id=room.id,  # type: ignore[arg-type]
            title="추첨 강당",
            slots=[lottery.LotterySlot(start=seoul(day, 9 + 5 * i), end=seoul(day, 11 + 5 * i)) for i in range(slots)],
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=1),
        ),
    )
    session.commit()
    return created


def test_one_renter_entering_a_lottery_at_once_enters_once(session: Session, raced: str) -> None:
    drawn, renter = _lottery(session, make_user(session, role=Role.manager)), make_user(session)
    body = {"slot_index": 0, "title": "주민 설명회"}
    calls: list[Call] = [("POST", f"/api/v1/lotteries/{drawn.id}/entries", body, renter)] * RACERS
    responses = race(raced, calls)
    assert won(responses, 201) == 1
    refused = {r.json()["code"] for r in responses if r.status_code == 409}
    assert refused <= {"already_applied"}, refused
    session.expire_all()
    assert session.exec(select(func.count()).select_from(LotteryEntry)).one() == 1
    assert _count(session, "lottery.apply") == 1


def test_concurrent_draws_draw_once_book_winners_once_and_tell_everyone_once(session: Session, raced: str) -> None:
    manager = make_user(session, role=Role.manager)
    drawn = _lottery(session, manager, slots=2)
    renters = [make_user(session) for _ in range(4)]
    inside = drawn.opens_at + timedelta(minutes=1)
    for renter in renters:
        for slot in (0, 1):
            entry = lottery.EntryCreate(slot_index=slot, title=f"행사 {renter.id}")
            lottery.apply(session, renter, drawn.id, entry, now=inside)  # type: ignore[arg-type]
    drawn.closes_at = utcnow() - timedelta(minutes=1)
    session.add(drawn)
    session.commit()
    path = f"/api/v1/lotteries/{drawn.id}/draw"
    responses = race(raced, [("POST", path, None, manager)] * RACERS)
    assert won(responses) == 1
    refused = {r.json()["code"] for r in responses if r.status_code == 409}
    assert refused <= {"lottery_drawn"}, refused
    session.expire_all()
    entries = session.exec(select(LotteryEntry).where(LotteryEntry.lottery_id == drawn.id)).all()
    winners = [e for e in entries if e.outcome == "won"]
    # Two slots, one win per organisation and room a month: two winners, the rest told they lost.
    assert sorted(e.slot_index for e in winners) == [0, 1]
    assert {e.outcome for e in entries} - {"won"} <= {"lost", "capped"}
    bookings = session.exec(select(Booking)).all()
    assert {b.id for b in bookings} == {e.booking_id for e in winners}
    assert all(b.status == "approved" for b in bookings)
    rental = select(func.count()).select_from(Invoice).where(Invoice.kind == "rental")
    assert session.exec(rental).one() == 2
    told = session.exec(select(OutboxMessage.to).where(col(OutboxMessage.subject).contains(drawn.title))).all()
    assert Counter(told) == {r.email: 2 for r in renters}, Counter(told)
    assert _count(session, "lottery.draw", drawn.id) == 1


# --- bank deposits -----------------------------------------------------------------------------


def _owing(session: Session, manager: User) -> tuple[Invoice, Booking]:
    booking = _booking(session, make_user(session))
    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    session.commit()
    invoice = session.exec(select(Invoice).where(Invoice.booking_id == booking.id)).one()
    return invoice, booking


def _deposit(session: Session, amount: int, depositor: str) -> BankDeposit:
    deposit = BankDeposit(
        fingerprint=f"{depositor}-{amount}".ljust(64, "0")[:64],
        deposited_at=utcnow() - timedelta(hours=1),
        amount=amount,
        depositor=depositor,
    )
    session.add(deposit)
    session.commit()
    return deposit


def _confirmations(session: Session, booking: Booking) -> int:
    subject = col(OutboxMessage.subject).contains("대관 확정")
    return int(session.exec(select(func.count()).where(subject, col(OutboxMessage.body).contains(booking.title))).one())


def test_one_deposit_matched_at_once_pays_once(session: Session, raced: str) -> None:
    manager = make_user(session, role=Role.manager)
    invoice, booking = _owing(session, manager)
    deposit = _deposit(session, invoice.total, "홍길동")
    body = {"invoice_id": invoice.id}
    responses = race(raced, [("POST", f"/api/v1/bank-deposits/{deposit.id}/match", body, manager)] * RACERS)
    assert won(responses) == 1
    session.expire_all()
    payments = session.exec(select(Payment).where(Payment.invoice_id == invoice.id)).all()
    assert [p.amount for p in payments] == [invoice.total]
    paid = session.get(Invoice, invoice.id)
    assert paid is not None and paid.status == "paid" and paid.paid == invoice.total
    matched = session.get(BankDeposit, deposit.id)
    assert matched is not None and matched.status == "matched" and matched.payment_id == payments[0].id
    assert session.get(Booking, booking.id).status == "confirmed"  # type: ignore[union-attr]
    # The renter's receipt of the payment, the confirmation, goes out once.
    assert _confirmations(session, booking) == 1
    assert _count(session, "bank_deposit.match", deposit.id) == 1
    assert _count(session, "invoice.payment", invoice.id) == 1


def test_two_deposits_racing_for_one_invoice_pay_it_once(session: Session, raced: str) -> None:
    manager = make_user(session, role=Role.manager)
    invoice, booking = _owing(session, manager)
    first, second = _deposit(session, invoice.total, "홍길동"), _deposit(session, invoice.total, "김철수")
    body = {"invoice_id": invoice.id}
    calls: list[Call] = [
        ("POST", f"/api/v1/bank-deposits/{(first, second)[i % 2].id}/match", body, manager) for i in range(RACERS)
    ]
    assert won(race(raced, calls)) == 1
    session.expire_all()
    payments = session.exec(select(Payment).where(Payment.invoice_id == invoice.id)).all()
    assert [p.amount for p in payments] == [invoice.total]
    statuses = sorted(d.status for d in session.exec(select(BankDeposit)).all())
    assert statuses == ["matched", "unmatched"]
    assert _confirmations(session, booking) == 1


def test_one_statement_uploaded_at_once_pays_each_deposit_once(session: Session, raced: str) -> None:
    """Every officer uploads the same statement, whose two deposits both fit one invoice: two
    deposits stored, the invoice paid by one of them, the other left for the officer."""
    manager = make_user(session, role=Role.manager)
    invoice, booking = _owing(session, manager)
    statement = "\r\n".join(
        [
            "거래일시,적요,입금액,출금액,잔액,입금자명",
            f"2026.12.01 10:15:02,{invoice.number},{invoice.total},0,{invoice.total},홍길동",
            f"2026.12.01 10:20:00,{invoice.number},{invoice.total},0,{2 * invoice.total},홍길동",
        ]
    ).encode("cp949")

    headers = {"Authorization": f"Bearer {issue_token(TEST_SECRET_KEY, manager.id)}"}  # type: ignore[arg-type]

    def upload(http: httpx.Client, _i: int) -> httpx.Response:
        return http.post("/api/v1/bank-statements", files={"file": ("s.csv", statement, "text/csv")}, headers=headers)

    results = fire_together(raced, RACERS, upload)
    codes = status_codes(results)
    assert set(codes) <= {200, 409, 503}, codes
    reports = [r.json() for r in results if isinstance(r, httpx.Response) and r.status_code == 200]
    assert sum(r["deposits"] for r in reports) == 2 and sum(len(r["matched"]) for r in reports) == 1
    session.expire_all()
    assert sorted(d.status for d in session.exec(select(BankDeposit)).all()) == ["matched", "unmatched"]
    payments = session.exec(select(Payment).where(Payment.invoice_id == invoice.id)).all()
    assert [p.amount for p in payments] == [invoice.total]
    assert session.get(Booking, booking.id).status == "confirmed"  # type: ignore[union-attr]
    assert _confirmations(session, booking) == 1
    _answers(raced)


# --- reductions --------------------------------------------------------------------------------


def test_concurrent_verdicts_on_one_reduction_decide_once(session: Session, raced: str) -> None:
    renter, manager = make_user(session), make_user(session, role=Role.manager)
    booking = _booking(session, renter)
    full, reduced = booking.price_total, pricing.with_reduction(booking.quote, 50, "disabled")["total"]
    proof = {"proof_name": "p.pdf", "proof_type": "application/pdf", "proof": b"%PDF"}
    claim = reductions.claim_reduction(session, renter, booking.id, category="disabled", **proof)  # type: ignore[arg-type]
    session.commit()
    path = f"/api/v1/reductions/{claim.id}/decision"
    verdicts: list[dict[str, Any]] = [{"verified": True}, {"verified": False, "note": "증빙 불충분"}]
    responses = race(raced, [("POST", path, verdicts[i % 2], manager) for i in range(RACERS)])
    assert won(responses) == 1
    session.expire_all()
    decided = session.get(ReductionClaim, claim.id)
    assert decided is not None and decided.status in {"verified", "rejected"}
    assert _count(session, "reduction.verified") + _count(session, "reduction.rejected") == 1
    repriced = session.get(Booking, booking.id)
    assert repriced is not None
    if decided.status == "verified":
        assert repriced.price_total == reduced < full, (full, reduced, repriced.price_total)
        assert _count(session, "booking.reprice", booking.id) == 1
    else:
        assert repriced.price_total == full and _count(session, "booking.reprice", booking.id) == 0


# --- the deadline job --------------------------------------------------------------------------

ADVANCE = 10_000


def _overdue(session: Session, manager: User) -> tuple[Invoice, Booking]:
    """An approved booking whose invoice was due two days ago, with a first part paid."""
    invoice, booking = _owing(session, manager)
    flows.record_payment(session, manager, invoice.id, amount=ADVANCE, paid_on=date.today())  # type: ignore[arg-type]
    session.commit()
    session.refresh(invoice)
    invoice.due_on = date.today() - timedelta(days=2)
    booking.decided_at = utcnow() - timedelta(days=30)
    session.add_all([invoice, booking])
    session.commit()
    return invoice, booking


def _job(engine: Engine, settings: Settings) -> Callable[[], int]:
    return lambda: tasks.cancel_unpaid(engine, settings, utcnow())


def _refunds(session: Session, booking: Booking) -> list[Invoice]:
    return list(session.exec(select(Invoice).where(Invoice.booking_id == booking.id, Invoice.kind == "refund")))


def test_the_deadline_job_racing_a_late_payment_leaves_paid_or_cancelled(
    session: Session, raced: str, job_engine: Engine, settings: Settings
) -> None:
    manager = make_user(session, role=Role.manager)
    invoice, booking = _overdue(session, manager)
    rest = {"amount": invoice.total - ADVANCE, "paid_on": date.today().isoformat()}
    path = f"/api/v1/invoices/{invoice.id}/payments"
    half = RACERS // 2
    calls: list[Callable[[], Any]] = [_job(job_engine, settings) for _ in range(half)]
    calls += [_http(raced, "POST", path, rest, manager) for _ in range(RACERS - half)]
    results = together(calls)
    runs, responses = results[:half], results[half:]
    assert all(isinstance(r, int) for r in runs), [r for r in runs if not isinstance(r, int)]
    assert all(isinstance(r, httpx.Response) for r in responses), responses
    paid_now = won(responses, 201)
    session.expire_all()
    final, billed = session.get(Booking, booking.id), session.get(Invoice, invoice.id)
    assert final is not None and billed is not None
    payments = [p.amount for p in session.exec(select(Payment).where(Payment.invoice_id == invoice.id))]
    if final.status == "cancelled":
        assert sum(runs) == 1 and paid_now == 0 and payments == [ADVANCE] and billed.status == "void"
        assert [r.total for r in _refunds(session, booking)] == [-ADVANCE]
    else:
        assert final.status == "confirmed" and sum(runs) == 0 and paid_now == 1, (final.status, runs, paid_now)
        assert sorted(payments) == sorted([ADVANCE, invoice.total - ADVANCE]) and billed.status == "paid"
        assert _refunds(session, booking) == []
    _answers(raced)


def test_the_deadline_job_racing_itself_cancels_once(
    session: Session, raced: str, job_engine: Engine, settings: Settings
) -> None:
    invoice, booking = _overdue(session, make_user(session, role=Role.manager))
    runs = together([_job(job_engine, settings) for _ in range(RACERS)])
    assert all(isinstance(r, int) for r in runs), [r for r in runs if not isinstance(r, int)]
    assert sum(runs) == 1
    session.expire_all()
    assert session.get(Booking, booking.id).status == "cancelled"  # type: ignore[union-attr]
    assert session.get(Invoice, invoice.id).status == "void"  # type: ignore[union-attr]
    assert [r.total for r in _refunds(session, booking)] == [-ADVANCE]
    assert _count(session, "booking.payment_lapsed", booking.id) == 1
    lapsed = select(func.count()).where(col(OutboxMessage.subject).contains("납부 기한 경과"))
    assert session.exec(lapsed).one() == len(notify.recipients(session, booking))
    _answers(raced)


def _waiting_on_a_lock(session: Session) -> bool:
    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    return bool(session.execute(text(query)).scalar_one())


def test_a_late_payment_meeting_the_deadline_job_mid_cancel_waits_for_it(
    session: Session, job_engine: Engine, settings: Settings
) -> None:
    """The interleaving the race above may or may not hit, made certain: the job holds the booking
    when the payment arrives. The payment waits for the booking before it locks the invoice (the
    job's next row), so no deadlock: the job cancels, the payment meets a void invoice."""
    manager = make_user(session, role=Role.manager)
    invoice, booking = _overdue(session, manager)
    outcome: list[object] = []

    def pay() -> None:
        with Session(job_engine, expire_on_commit=False) as late:
            try:
                rest = invoice.total - ADVANCE
                outcome.append(flows.record_payment(late, manager, invoice.id, amount=rest, paid_on=date.today()))  # type: ignore[arg-type]
                late.commit()
            except Exception as error:  # noqa: BLE001 - asserted below
                outcome.append(error)

    with Session(job_engine, expire_on_commit=False) as job, session_scope(job_engine, write=False) as watch:
        job.get(Booking, booking.id, with_for_update=True)  # where deadlines.cancel_unpaid locks it
        paying = threading.Thread(target=pay)
        paying.start()
        for _ in range(600):
            if _waiting_on_a_lock(watch):
                break
            threading.Event().wait(0.05)
        else:
            pytest.fail("the payment never waited for the job")
        cancelled = deadlines.cancel_unpaid(job, utcnow())
        job.commit()
        paying.join(timeout=60)
    assert cancelled == 1
    (refused,) = outcome
    assert isinstance(refused, InvalidInput), refused
    session.expire_all()
    assert session.get(Booking, booking.id).status == "cancelled"  # type: ignore[union-attr]
    assert [p.amount for p in session.exec(select(Payment).where(Payment.invoice_id == invoice.id))] == [ADVANCE]
    assert [r.total for r in _refunds(session, booking)] == [-ADVANCE]
