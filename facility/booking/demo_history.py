"""The demo campus's rental past and near future, made through the real booking flows.

Each rental is requested, approved (its invoice issued), paid, checked in, completed, cancelled
with the fee the schedule gives or released as a no-show by the same functions a renter, a
manager and the scheduler call, each inside `clock_at` the moment it would have happened. So
invoice numbers, payment dates, statuses, audit rows and the utilisation and revenue reports
agree with each other, as they would on a campus in use. Bookings are placed in start order and
each is taken to its end before the next, so the housekeeping calls only ever find that one.

Deterministic: a fixed seed, and every moment counted from today's local midnight. Only the demo
calls this (`facility demo`, `facility demo-data`), and only once: a database that already has a
booking in the past is left as it is.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from facility.booking import flows, housekeeping, rules, service
from facility.booking.common import local_zone
from facility.booking.models import Booking, Invoice, InvoiceStatus
from facility.core import accounts
from facility.core.accounts import OrgKind
from facility.core.db import clock_at, utcnow
from facility.core.errors import FacilityError
from facility.core.models import Role, User
from facility.rooms.models import Room

SEED = 13
HISTORY_DAYS = 90
AHEAD_DAYS = 14
# Share of weekdays a room is rented, by kind: halls and equipped rooms often, the many lecture and
# seminar rooms (the Institute's own courses fill them) now and then. About two rentals a day:
# the reports keep their shapes, and the whole past takes seconds, not minutes, to make.
HALL_SHARE, ROOM_SHARE, SATURDAY_FACTOR = 0.1, 0.008, 0.4
HALLS = frozenset(
    {"auditorium", "convention_hall", "multipurpose_hall", "hybrid_lecture_hall", "hybrid_classroom",
     "smart_classroom", "computer_lab", "workshop"}
)  # fmt: skip
# Half-day slots two hours apart leave room for the largest halls' set-up buffers.
SLOTS = ((9, 12), (14, 17), (19, 21), (9, 17))
RENTERS = (
    ("서울초등교사연구회", OrgKind.nonprofit, "seoul-elem"),
    ("한빛교육재단", OrgKind.nonprofit, "hanbit"),
    ("미래에듀테크(주)", OrgKind.private, "mirae-edutech"),
    ("강남구청 평생학습과", OrgKind.public, "gangnam-lifelong"),
    ("서울과학교사모임", OrgKind.nonprofit, "seoul-science"),
    ("(주)다온컨설팅", OrgKind.private, "daon"),
)
TITLES = (
    "교사 역량강화 워크숍", "학부모 아카데미", "에듀테크 활용 연수", "진로교육 세미나", "과학 탐구 발표회",
    "독서교육 포럼", "신규 사업 설명회", "평생학습 강좌", "학교폭력 예방 교육", "AI 수업 설계 실습",
)  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """One rental as it will have gone: when it was asked for and how it ended."""

    room: Room
    renter: User
    starts_at: datetime
    ends_at: datetime
    title: str
    attendees: int
    requested_at: datetime
    fate: str


def _renters(session: Session) -> list[User]:
    """The demo's renter organisations, each with one booker (created once)."""
    users = []
    for name, kind, slug in RENTERS:
        email = f"{slug}@renter.demo.facility.kr"
        user = accounts.get_user_by_email(session, email)
        if user is None:
            org = accounts.create_organization(session, None, name=name, kind=kind, contact_email=email, approved=True)
            user = accounts.create_user(
                session,
                None,
                email=email,
                password=secrets.token_urlsafe(12),
                role=Role.renter,
                full_name=f"{name} 담당자",
                organization_id=org.id,
            )
        users.append(user)
    return users


def _fate(rng: random.Random, past: bool) -> str:
    if not past:
        return rng.choices(["requested", "approved", "paid"], [2, 3, 5])[0]
    return rng.choices(
        ["completed", "paid_late", "no_show", "cancelled", "cancelled_late", "rejected"],
        [70, 6, 7, 6, 6, 5],
    )[0]


def _plans(session: Session, today: date, rng: random.Random) -> list[Plan]:
    zone = local_zone()
    rooms = session.exec(
        select(Room).where(col(Room.bookable_external).is_(True), col(Room.parent_id).is_(None)).order_by(Room.code)
    ).all()
    renters = _renters(session)
    closed = rules.closed_days(session, today - timedelta(days=HISTORY_DAYS), today + timedelta(days=AHEAD_DAYS))
    midnight = datetime.combine(today, time(), tzinfo=zone)
    plans: list[Plan] = []
    for offset in [*range(-HISTORY_DAYS, 0), *range(1, AHEAD_DAYS + 1)]:
        day = today + timedelta(days=offset)
        if day.weekday() == 6 or day in closed:
            continue
        factor = SATURDAY_FACTOR if day.weekday() == 5 else 1.0
        for room in rooms:
            busy = (HALL_SHARE if room.kind in HALLS else ROOM_SHARE) * factor
            draw = rng.random()
            if draw >= busy:
                continue
            slots = rng.sample(SLOTS[:3], 2 if draw < busy / 4 else 1)
            if rng.random() < 0.1:
                slots = [SLOTS[3]]
            for start_hour, end_hour in slots:
                starts_at = datetime.combine(day, time(start_hour), tzinfo=zone)
                lead = timedelta(days=rng.randint(3, 40), hours=rng.randint(9, 17))
                # Asked for (and so decided and paid) before today, even for next month's rentals.
                requested_at = min(starts_at - lead, midnight - timedelta(hours=rng.randint(48, 300)))
                plans.append(
                    Plan(
                        room=room,
                        renter=rng.choice(renters),
                        starts_at=starts_at,
                        ends_at=datetime.combine(day, time(end_hour), tzinfo=zone),
                        title=rng.choice(TITLES),
                        attendees=max(1, int(room.capacity * rng.uniform(0.4, 0.95))),
                        requested_at=requested_at,
                        fate=_fate(rng, offset < 0),
                    )
                )
    return sorted(plans, key=lambda p: (p.starts_at, p.room.code))


def _live_invoice(session: Session, booking: Booking, kind: str = "rental") -> Invoice | None:
    return session.exec(
        select(Invoice).where(
            Invoice.booking_id == booking.id, Invoice.kind == kind, Invoice.status != InvoiceStatus.void.value
        )
    ).first()


def _pay(session: Session, manager: User, invoice: Invoice | None, at: datetime) -> None:
    if invoice is None or invoice.status != InvoiceStatus.issued.value:
        return
    with clock_at(at):
        flows.record_payment(
            session,
            manager,
            invoice.id,  # type: ignore[arg-type]
            amount=invoice.total - invoice.paid,
            paid_on=at.astimezone(local_zone()).date(),
            reference=f"이체 {invoice.number}",
        )


def _live_through(session: Session, plan: Plan, manager: User, rng: random.Random, today_start: datetime) -> None:
    """Request the booking as of its request day, then take it to the end its fate names;
    nothing happens after `today_start` (the rest of the future is the demo's to play)."""
    with clock_at(plan.requested_at):
        booking = service.request_booking(
            session,
            plan.renter,
            {
                "room_id": plan.room.id,
                "start": plan.starts_at,
                "end": plan.ends_at,
                "title": plan.title,
                "attendees": plan.attendees,
            },
            now=plan.requested_at,
        )
    if plan.fate == "requested":
        return
    decided = plan.requested_at + timedelta(days=1, hours=rng.randint(0, 6))
    with clock_at(decided):
        if plan.fate == "rejected":
            flows.reject_booking(session, manager, booking.id, "해당 시간에 기관 행사가 예정되어 있습니다.")  # type: ignore[arg-type]
            return
        flows.approve_booking(session, manager, booking.id)  # type: ignore[arg-type]
    if plan.fate == "approved":
        return
    if plan.fate == "paid_late":
        with clock_at(decided + timedelta(hours=2)):
            flows.confirm_booking(session, manager, booking.id)  # type: ignore[arg-type]
    elif not plan.fate.startswith("cancelled"):
        paid_at = min(decided + timedelta(days=rng.randint(1, 9)), plan.starts_at - timedelta(days=1), today_start)
        _pay(session, manager, _live_invoice(session, booking), max(paid_at, decided + timedelta(hours=1)))
    if plan.fate == "paid":
        return
    if plan.fate.startswith("cancelled"):
        days_before = rng.randint(1, 2) if plan.fate == "cancelled_late" else rng.randint(3, 20)
        at = max(plan.starts_at - timedelta(days=days_before), decided + timedelta(hours=3))
        with clock_at(at):
            flows.cancel_booking(session, plan.renter, booking.id, "행사 일정 변경", now=at)  # type: ignore[arg-type]
        _pay(session, manager, _live_invoice(session, booking, "cancellation"), at + timedelta(days=3))
        return
    if plan.fate == "no_show":
        at = plan.starts_at + rules.CHECK_IN_GRACE + timedelta(minutes=1)
        with clock_at(at):
            housekeeping.release_no_shows(session, at)
        return
    checked_in_at = plan.starts_at - timedelta(minutes=rng.randint(0, 25))
    with clock_at(checked_in_at):
        flows.check_in(session, plan.renter, booking.id, now=checked_in_at)  # type: ignore[arg-type]
    with clock_at(plan.ends_at):
        housekeeping.complete_finished(session, plan.ends_at)
    paid_after = plan.ends_at + timedelta(days=rng.randint(2, 12))
    if plan.fate == "paid_late" and rng.random() < 0.6 and paid_after < today_start:
        _pay(session, manager, _live_invoice(session, booking), paid_after)


def load_booking_history(session: Session, manager: User | None) -> int:
    """Three months of rentals and five weeks ahead; returns how many bookings were made (0 when
    the database already has a booking that started in the past, or no manager exists)."""
    now = utcnow()
    if manager is None or session.exec(select(Booking.id).where(Booking.starts_at < now)).first():
        return 0
    zone = local_zone()
    today = now.astimezone(zone).date()
    midnight = datetime.combine(today, time(), tzinfo=zone)
    rng = random.Random(SEED)
    made = 0
    for plan in _plans(session, today, rng):
        try:
            with session.begin_nested():
                _live_through(session, plan, manager, rng, midnight)
            made += 1
        except FacilityError:
            continue
    session.flush()
    return made
