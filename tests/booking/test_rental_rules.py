"""Public-rental rules (issue 29): lotteries with caps, purposes, verified reductions, refund tables,
payment deadlines that feed the waitlist, and the Institute's own-use cancellation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from facility.booking import deadlines, flows, lottery, reductions, service, waitlist
from facility.booking.exceptions import InvalidTransition
from facility.booking.models import Booking, FeeSchedule, Invoice, WaitlistEntry
from facility.booking.rental_models import EntryOutcome, Lottery, LotteryEntry
from facility.core.db import utcnow
from facility.core.errors import Conflict, InvalidInput
from facility.core.models import Organization, Role, User
from facility.core.outbox import OutboxMessage
from facility.rooms.models import Room
from tests.booking.helpers import next_weekday, seoul
from tests.factories import make_room, make_user

PDF = b"%PDF-1.4 proof"


def _renters(session: Session, count: int) -> list[User]:
    """Many renters of their own approved organisations, without hashing a password for each."""
    users = []
    for n in range(count):
        org = Organization(name=f"Lottery org {n}", status="approved", kind="private", contact_phone="010-1234-5678")
        session.add(org)
        session.flush()
        user = User(email=f"lot{n}@example.kr", password_hash="-", role="renter", full_name="R", organization_id=org.id)
        session.add(user)
        users.append(user)
    session.commit()
    return users


def _open_lottery(session: Session, manager: User, room: Room, now: datetime, *, slots: int) -> Lottery:
    day = next_weekday(14)
    starts = [seoul(day, 9 + 3 * k) for k in range(slots)]  # 9, 12, 15, 18: apart by the buffers
    data = lottery.LotteryCreate(
        room_id=room.id,  # type: ignore[arg-type]
        title="주말 강당 추첨",
        slots=[lottery.LotterySlot(start=s, end=s + timedelta(hours=2)) for s in starts],
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1),
        cap_per_room_month=1,
    )
    return lottery.create_lottery(session, manager, data)


def _outcomes(session: Session, lottery_id: int) -> dict[tuple[int, int], str]:
    rows = session.exec(select(LotteryEntry).where(LotteryEntry.lottery_id == lottery_id))
    return {(e.slot_index, e.organization_id): e.outcome for e in rows}


def test_lottery_of_fifty_is_capped_and_reproducible(session: Session) -> None:
    room = make_room(session)
    manager = make_user(session, role=Role.manager)
    renters = _renters(session, 25)
    now = datetime.now(UTC)
    first = _open_lottery(session, manager, room, now, slots=4)
    # 25 organisations, two applications each over 4 slots: 50 entries.
    for n, renter in enumerate(renters):
        for slot_index in (n % 4, (n + 1) % 4):
            lottery.apply(
                session, renter, first.id, lottery.EntryCreate(slot_index=slot_index, title=f"행사 {n}"), now=now
            )  # type: ignore[arg-type]
    session.commit()
    with pytest.raises(Conflict):
        lottery.draw(session, manager, first.id, now=now)  # type: ignore[arg-type]
    session.rollback()
    drawn = lottery.draw(session, manager, first.id, now=now + timedelta(days=2))  # type: ignore[arg-type]
    session.commit()

    outcomes = _outcomes(session, first.id)  # type: ignore[arg-type]
    assert len(outcomes) == 50
    winners = [org for (_slot, org), outcome in outcomes.items() if outcome == EntryOutcome.won.value]
    assert len(winners) == 4 and len(set(winners)) == 4  # every slot filled, one per organisation (cap 1)
    # The order is the published recipe: SHA-256(seed:slot:organisation), ascending.
    keys = [row["key"] for row in drawn.draw_order]
    assert keys == sorted(keys)
    assert all(
        row["key"] == lottery.draw_key(drawn.seed, row["slot_index"], row["organization_id"])
        for row in drawn.draw_order
    )
    booked = session.exec(select(Booking).where(Booking.room_id == room.id)).all()
    assert sorted(b.organization_id for b in booked) == sorted(winners)  # type: ignore[type-var]
    # A free room: each winner is confirmed at once (a priced one is approved and invoiced, below).
    assert {b.status for b in booked} == {"confirmed"} and all(b.user_id != manager.id for b in booked)
    public = lottery.lottery_public(session, drawn, None)
    assert public["seed"] == drawn.seed and len(public["winners"]) == 4
    mails = session.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()
    assert sum("추첨" in m.subject for m in mails) == 50
    assert sum("대관이 확정되었습니다" in m.subject for m in mails) == 4  # a free room: nothing to pay

    # The same seed and entrants in another room give the same winners.
    other = make_room(session)
    again = _open_lottery(session, manager, other, now, slots=4)
    again.seed = drawn.seed
    session.add(again)
    for entry in session.exec(select(LotteryEntry).where(LotteryEntry.lottery_id == first.id)).all():
        session.add(
            LotteryEntry(
                lottery_id=again.id,  # type: ignore[arg-type]
                slot_index=entry.slot_index,
                starts_at=entry.starts_at,
                organization_id=entry.organization_id,
                user_id=entry.user_id,
                title=entry.title,
            )
        )
    session.commit()
    lottery.draw(session, manager, again.id, now=now + timedelta(days=2))  # type: ignore[arg-type]
    session.commit()
    assert _outcomes(session, again.id) == outcomes  # type: ignore[arg-type]


def test_unpaid_winner_forfeits_to_the_runner_up(session: Session) -> None:
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=10_000, payment_days=2))
    manager = make_user(session, role=Role.manager)
    renters = _renters(session, 3)
    now = datetime.now(UTC)
    drawn_lottery = _open_lottery(session, manager, room, now, slots=1)
    for renter in renters:
        lottery.apply(session, renter, drawn_lottery.id, lottery.EntryCreate(slot_index=0, title="t"), now=now)  # type: ignore[arg-type]
    lottery.draw(session, manager, drawn_lottery.id, now=now + timedelta(days=2))  # type: ignore[arg-type]
    session.commit()
    entries = session.exec(select(LotteryEntry).order_by(LotteryEntry.rank)).all()  # type: ignore[arg-type]
    assert [e.outcome for e in entries] == ["won", "lost", "lost"]
    won_mail = session.exec(select(OutboxMessage).where(col(OutboxMessage.subject).contains("추첨 당첨"))).one()
    assert (
        "납부 기한: " in won_mail.body and "Pay by" not in won_mail.body and "22,000원" in won_mail.body
    )  # 2 h at 10,000 plus VAT
    assert deadlines.cancel_unpaid(session, now + timedelta(days=4)) == 1
    session.commit()
    entries = session.exec(select(LotteryEntry).order_by(LotteryEntry.rank)).all()  # type: ignore[arg-type]
    assert [e.outcome for e in entries] == ["forfeited", "promoted", "lost"]
    promoted = session.get(Booking, entries[1].booking_id)
    assert (
        promoted is not None
        and promoted.status == "approved"
        and promoted.organization_id == entries[1].organization_id
    )


def test_purposes_are_refused_by_rule_and_priced_by_tier(session: Session) -> None:
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=50_000, purpose_percent={"exam": 150}))
    session.commit()
    renter = make_user(session)
    day = next_weekday(5)
    body = {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "t"}
    with pytest.raises(InvalidInput) as refused:
        service.request_booking(session, renter, {**body, "purpose": "political"})
    assert refused.value.code == "purpose_excluded" and "제1조(정치 중립)" in refused.value.message  # the rule, named
    session.rollback()
    booking = service.request_booking(session, renter, {**body, "purpose": "exam"})
    assert booking.purpose == "exam" and booking.quote["subtotal"] == 150_000  # 100,000 x 150 %


def test_reduction_without_verified_proof_never_reaches_the_invoice(session: Session) -> None:
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=50_000))
    session.commit()
    renter = make_user(session)
    officer = make_user(session, role=Role.manager)
    day = next_weekday(5)

    def request(hour: int) -> Booking:
        return service.request_booking(
            session, renter, {"room_id": room.id, "start": seoul(day, hour), "end": seoul(day, hour + 2), "title": "t"}
        )

    def claim(booking: Booking, category: str, proof: bytes = PDF) -> int:
        made = reductions.claim_reduction(
            session,
            renter,
            booking.id,
            category=category,
            proof_name="p.pdf",
            proof_type="application/pdf",
            proof=proof,  # type: ignore[arg-type]
        )
        return made.id  # type: ignore[return-value]

    rejected = request(9)
    with pytest.raises(InvalidInput):
        claim(rejected, "disabled", b"")
    pending = claim(rejected, "disabled")
    with pytest.raises(InvalidTransition):
        flows.approve_booking(session, officer, rejected.id)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        reductions.decide_claim(session, officer, pending, verified=False)  # a rejection needs its reason
    reductions.decide_claim(session, officer, pending, verified=False, note="증빙 기간 만료")
    flows.approve_booking(session, officer, rejected.id)  # type: ignore[arg-type]

    verified = request(13)
    for category in ("lifelong_education", "national_merit"):
        reductions.decide_claim(session, officer, claim(verified, category), verified=True)
    flows.approve_booking(session, officer, verified.id)  # type: ignore[arg-type]
    session.commit()

    bills = {i.booking_id: i for i in session.exec(select(Invoice))}
    assert bills[rejected.id].total == 110_000  # type: ignore[index]
    assert all(line["key"] != "discount" for line in bills[rejected.id].lines)  # type: ignore[index]
    # Only the highest verified rate (50 %, not 30 % on top).
    assert bills[verified.id].net == 50_000 and bills[verified.id].total == 55_000  # type: ignore[index]
    assert [line["label_ko"] for line in bills[verified.id].lines if line["key"] == "discount"] == ["감면 50%"]  # type: ignore[index]


def test_refund_by_days_before_the_start(session: Session) -> None:
    room = make_room(session)
    table = [[7, 0], [3, 10], [1, 30], [0, 100]]
    session.add(FeeSchedule(room_id=room.id, hourly=50_000, refund_table=table))
    session.commit()
    renter = make_user(session)
    manager = make_user(session, role=Role.manager)
    day = next_weekday(9)
    booking = service.request_booking(
        session, renter, {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "t"}
    )
    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    fees = {
        days: flows.cancellation_fee(booking, renter, seoul(day - timedelta(days=days), 9).astimezone(UTC))
        for days in (8, 7, 6, 3, 2, 1, 0)
    }
    assert fees == {8: 0, 7: 0, 6: 11_000, 3: 11_000, 2: 33_000, 1: 33_000, 0: 110_000}


def test_unpaid_booking_is_cancelled_at_its_deadline_and_offered_to_the_waitlist(session: Session) -> None:
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=50_000, payment_days=3))
    session.commit()
    first, second = make_user(session), make_user(session)
    manager = make_user(session, role=Role.manager)
    day = next_weekday(10)
    start, end = seoul(day, 10), seoul(day, 12)
    booking = service.request_booking(session, first, {"room_id": room.id, "start": start, "end": end, "title": "t"})
    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    waitlist.join_waitlist(session, second, room_id=room.id, starts_at=start, ends_at=end, title="w", attendees=5)  # type: ignore[arg-type]
    session.commit()
    now = datetime.now(UTC)
    assert deadlines.cancel_unpaid(session, now + timedelta(days=3)) == 0  # on the due day: still in time
    assert deadlines.cancel_unpaid(session, now + timedelta(days=4)) == 1
    session.commit()
    session.refresh(booking)
    assert booking.status == "cancelled" and booking.cancellation_fee == 0
    assert waitlist.offer_freed_slots(session, now + timedelta(days=4)) == 1
    session.commit()
    entry = session.exec(select(WaitlistEntry)).one()
    offered = session.get(Booking, entry.booking_id)
    assert entry.status == "offered" and offered is not None and offered.user_id == second.id


def test_institution_cancels_for_its_own_use_with_full_refund_and_apology(session: Session) -> None:
    room = make_room(session)
    session.add(FeeSchedule(room_id=room.id, hourly=50_000))
    session.commit()
    renter = make_user(session)
    manager = make_user(session, role=Role.manager)
    day = next_weekday(5)
    booking = service.request_booking(
        session, renter, {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "t"}
    )
    flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    invoice = session.exec(select(Invoice)).one()
    flows.record_payment(session, manager, invoice.id, amount=110_000, paid_on=day - timedelta(days=4))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        flows.cancel_for_institution(session, manager, booking.id, " ")  # type: ignore[arg-type]
    flows.cancel_for_institution(session, manager, booking.id, "연수원 교육과정 / Institute course")  # type: ignore[arg-type]
    session.commit()
    assert booking.status == "cancelled" and booking.cancellation_fee == 0
    notice = session.exec(select(OutboxMessage).where(OutboxMessage.to == renter.email)).all()[-1]
    assert "죄송" in notice.subject and "110,000" in notice.body


def test_a_lottery_with_slots_closer_than_the_rooms_turnaround_is_refused_when_created(session: Session) -> None:
    """Back-to-back slots (10-12, 12-14) in a room with buffers: the second slot's winner could never
    be booked, so the manager is told at creation instead of the draw leaving the slot empty."""
    room = make_room(session)
    manager = make_user(session, role=Role.manager)
    now = utcnow()
    day = next_weekday(14)
    data = lottery.LotteryCreate(
        room_id=room.id,  # type: ignore[arg-type]
        title="연속 시간대",
        slots=[
            lottery.LotterySlot(start=seoul(day, 12), end=seoul(day, 14)),
            lottery.LotterySlot(start=seoul(day, 10), end=seoul(day, 12)),
        ],
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=1),
    )
    with pytest.raises(InvalidInput, match="정리 시간") as refused:
        lottery.create_lottery(session, manager, data)
    assert f"{day.isoformat()} 10:00" in refused.value.message and f"{day.isoformat()} 12:00" in refused.value.message
    assert session.exec(select(Lottery)).first() is None
