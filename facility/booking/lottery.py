"""Lotteries (추첨) for contested slots: a manager opens one for a room's slots with an application
window; renters apply for a slot; the draw orders every entry by SHA-256(seed:slot:organisation),
so anyone holding the published seed and the entrant list can redo it; winners within the monthly
caps are booked (approved and invoiced), the rest are told they lost; a winner who does not pay in
time forfeits and the next in order is promoted (`promote_runner_up`, called by deadlines.py).
A lottery with an RRULE gives out whole recurring series instead (lottery_series.py)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field, model_validator
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from facility.booking import invoices, lottery_series, purposes, service
from facility.booking.claims import buffered_range
from facility.booking.common import local_zone
from facility.booking.models import ACTIVE_STATUSES, Booking
from facility.booking.recurrence import expand
from facility.booking.rental_models import EntryOutcome, Lottery, LotteryEntry, LotteryStatus
from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.channels import enqueue_text
from facility.core.config import absolute_url
from facility.core.db import utcnow
from facility.core.errors import Conflict, FacilityError, InvalidInput, NotFound
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, Organization, Role, User
from facility.core.outbox import enqueue_email
from facility.rooms.models import Room

WINNING = (EntryOutcome.won.value, EntryOutcome.promoted.value)


class LotterySlot(BaseModel):
    start: AwareDatetime
    end: AwareDatetime


class LotteryCreate(BaseModel):
    room_id: int = Field(ge=1, le=2**31 - 1)
    title: str = Field(min_length=1, max_length=200)
    slots: list[LotterySlot] = Field(min_length=1, max_length=200)
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    cap_per_org_month: int = Field(default=0, ge=0, le=1000)
    cap_per_room_month: int = Field(default=1, ge=0, le=1000)
    # The caps also count the organisation's ordinary bookings (Seoul: one use per facility a month).
    caps_count_bookings: bool = False
    # Empty: single slots; an RRULE in local time (FREQ=WEEKLY;COUNT=15): a winner gets the series.
    rrule: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _ordered(self) -> LotteryCreate:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        for slot in self.slots:
            if slot.end <= slot.start or slot.start <= self.closes_at:
                raise ValueError("every slot must end after it starts and start after the window closes")
        return self


class EntryCreate(BaseModel):
    slot_index: int = Field(ge=0, le=1000)
    title: str = Field(min_length=1, max_length=200)
    attendees: int = Field(default=1, ge=1, le=10_000)
    purpose: str = Field(default="general", max_length=30)


def seed_digest(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def draw_key(seed: str, slot_index: int, organization_id: int) -> str:
    """An entry's place in the draw: the same seed and entrants give the same order, anywhere."""
    return hashlib.sha256(f"{seed}:{slot_index}:{organization_id}".encode()).hexdigest()


def _slot_range(lottery: Lottery, index: int) -> tuple[datetime, datetime]:
    slot = lottery.slots[index]
    return datetime.fromisoformat(slot["starts_at"]), datetime.fromisoformat(slot["ends_at"])


def get_lottery(session: Session, lottery_id: int, *, lock: bool = False) -> Lottery:
    lottery = session.get(Lottery, lottery_id, with_for_update=lock, populate_existing=lock)
    if lottery is None:
        raise NotFound(_("No such lottery."))
    return lottery


def _check_slots_apart(room: Room, slots: list[LotterySlot]) -> None:
    """Slots closer than the room's turnaround (its kind's buffers) could never both be booked:
    the second slot's winner would be refused at the draw, so the manager hears it now."""
    ordered = sorted(slots, key=lambda slot: slot.start)
    for first, second in zip(ordered, ordered[1:], strict=False):
        earliest, _end = buffered_range(room, second.start, second.end)
        _start, latest = buffered_range(room, first.start, first.end)
        if latest > earliest:
            gap = int((latest - earliest).total_seconds() // 60)
            raise InvalidInput(
                _(
                    "Slots at {first} and {second} overlap or are closer than the room's turnaround time "
                    "(another {minutes} min needed between them).",
                    first=first.start.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M"),
                    second=second.start.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M"),
                    minutes=gap,
                )
            )


def create_lottery(session: Session, actor: User, data: LotteryCreate) -> Lottery:
    """A manager marks a room's slots as drawn; the seed is fixed now and its digest published."""
    ensure_role(actor, *MANAGING_ROLES)
    room = session.get(Room, data.room_id)
    if room is None:
        raise InvalidInput(_("Room {id} does not exist.", id=data.room_id))
    _check_slots_apart(room, data.slots)
    rrule = data.rrule.strip().removeprefix("RRULE:")
    if rrule:
        expand(rrule, data.slots[0].start.astimezone(local_zone()))  # a bad rule is a 422 now, not at the draw
    lottery = Lottery(
        room_id=data.room_id,
        title=data.title.strip(),
        slots=[
            {"starts_at": s.start.astimezone(UTC).isoformat(), "ends_at": s.end.astimezone(UTC).isoformat()}
            for s in data.slots
        ],
        opens_at=data.opens_at.astimezone(UTC),
        closes_at=data.closes_at.astimezone(UTC),
        cap_per_org_month=data.cap_per_org_month,
        cap_per_room_month=data.cap_per_room_month,
        caps_count_bookings=data.caps_count_bookings,
        rrule=rrule,
        seed=secrets.token_hex(32),
        created_by_id=actor.id,
    )
    session.add(lottery)
    session.flush()
    after = audit.snapshot(lottery, exclude={"seed"}) | {"seed_sha256": seed_digest(lottery.seed)}
    audit.record(session, actor, "lottery.create", "lottery", lottery.id, after=after)
    return lottery


def apply(
    session: Session, actor: User, lottery_id: int, data: EntryCreate, *, now: datetime | None = None
) -> LotteryEntry:
    """A renter applies for one slot for their organisation, within the window, once per slot."""
    ensure_role(actor, Role.renter)
    now = now or utcnow()
    lottery = get_lottery(session, lottery_id)
    if lottery.status != LotteryStatus.open.value or not lottery.opens_at <= now < lottery.closes_at:
        raise Conflict(_("Applications for this lottery are not open."), code="lottery_closed")
    if data.slot_index >= len(lottery.slots):
        raise InvalidInput(_("No such slot in this lottery."))
    purposes.check_purpose(data.purpose)
    org = session.get(Organization, actor.organization_id) if actor.organization_id else None
    if org is None or org.status != "approved":
        raise Conflict(_("Your organisation must be approved before it can apply."), code="org_not_approved")
    entry = LotteryEntry(
        lottery_id=lottery_id,
        slot_index=data.slot_index,
        starts_at=_slot_range(lottery, data.slot_index)[0],
        organization_id=org.id,  # type: ignore[arg-type]
        user_id=actor.id,  # type: ignore[arg-type]
        title=data.title.strip(),
        attendees=data.attendees,
        purpose=data.purpose,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_("Your organisation has already applied for this slot."), code="already_applied") from error
    audit.record(session, actor, "lottery.apply", "lottery_entry", entry.id, after=entry)
    return entry


def _month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    local = moment.astimezone(local_zone())
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (first + timedelta(days=32)).replace(day=1)
    return first.astimezone(UTC), following.astimezone(UTC)


def _wins(session: Session, organization_id: int, starts_at: datetime, room_id: int | None) -> int:
    """Slots won (or promoted to) by the organisation in that local month: in one room, or anywhere."""
    first, following = _month_bounds(starts_at)
    query = (
        select(func.count())
        .select_from(LotteryEntry)
        .where(
            LotteryEntry.organization_id == organization_id,
            col(LotteryEntry.outcome).in_(WINNING),
            LotteryEntry.starts_at >= first,
            LotteryEntry.starts_at < following,
        )
    )
    if room_id is not None:
        query = query.join(Lottery, col(Lottery.id) == LotteryEntry.lottery_id).where(Lottery.room_id == room_id)
    return int(session.exec(query).one())


def _ordinary_bookings(session: Session, organization_id: int, starts_at: datetime, room_id: int | None) -> int:
    """Active bookings of the organisation in that local month that no lottery gave it."""
    first, following = _month_bounds(starts_at)
    drawn = select(LotteryEntry.booking_id).where(col(LotteryEntry.booking_id).is_not(None))
    drawn_series = select(LotteryEntry.series_id).where(col(LotteryEntry.series_id).is_not(None))
    query = (
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.organization_id == organization_id,
            col(Booking.status).in_([s.value for s in ACTIVE_STATUSES]),
            Booking.starts_at >= first,
            Booking.starts_at < following,
            col(Booking.id).not_in(drawn),
            or_(col(Booking.series_id).is_(None), col(Booking.series_id).not_in(drawn_series)),
        )
    )
    if room_id is not None:
        query = query.where(Booking.room_id == room_id)
    return int(session.exec(query).one())


def _uses(session: Session, lottery: Lottery, organization_id: int, starts_at: datetime, room_id: int | None) -> int:
    used = _wins(session, organization_id, starts_at, room_id)
    if lottery.caps_count_bookings:
        used += _ordinary_bookings(session, organization_id, starts_at, room_id)
    return used


def within_caps(session: Session, lottery: Lottery, entry: LotteryEntry) -> bool:
    """Whether one more win keeps the organisation within both monthly caps (a series counts in
    the month of its first occurrence; with `caps_count_bookings` ordinary bookings count too)."""
    if lottery.cap_per_room_month and (
        _uses(session, lottery, entry.organization_id, entry.starts_at, lottery.room_id) >= lottery.cap_per_room_month
    ):
        return False
    return not (
        lottery.cap_per_org_month
        and _uses(session, lottery, entry.organization_id, entry.starts_at, None) >= lottery.cap_per_org_month
    )


def _book(session: Session, actor: User, lottery: Lottery, entry: LotteryEntry, now: datetime) -> Booking | None:
    """Book the slot for the entry's organisation (approved and invoiced, like a staff booking);
    None when a rule or a clash refuses it."""
    start, end = _slot_range(lottery, entry.slot_index)
    if lottery.rrule:
        return lottery_series.book_series(session, actor, lottery, entry, start, end, now)
    try:
        with session.begin_nested():
            booking = service.request_booking(
                session,
                actor,
                {
                    "room_id": lottery.room_id,
                    "start": start,
                    "end": end,
                    "title": entry.title,
                    "attendees": entry.attendees,
                    "purpose": entry.purpose,
                    "organization_id": entry.organization_id,
                },
                now=now,
                notify_people=False,
            )
            booking.user_id = entry.user_id
            session.add(booking)
            session.flush()
    except FacilityError:
        return None
    return booking


def draw(session: Session, actor: User, lottery_id: int, *, now: datetime | None = None) -> Lottery:
    """Draw once the window has closed: order, allocate within caps, book, tell everyone, audit."""
    ensure_role(actor, *MANAGING_ROLES)
    now = now or utcnow()
    lottery = get_lottery(session, lottery_id, lock=True)
    if lottery.status != LotteryStatus.open.value:
        raise Conflict(_("This lottery has already been drawn."), code="lottery_drawn")
    if now < lottery.closes_at:
        raise Conflict(_("Applications are still open; draw after the window closes."), code="lottery_open")
    entries = list(session.exec(select(LotteryEntry).where(LotteryEntry.lottery_id == lottery.id)))
    entries.sort(key=lambda e: (draw_key(lottery.seed, e.slot_index, e.organization_id), e.id or 0))
    lottery.status = LotteryStatus.drawn.value
    lottery.drawn_at = now
    session.add(lottery)
    session.flush()
    filled: set[int] = set()
    ranks: dict[int, int] = {}
    order: list[dict[str, Any]] = []
    for entry in entries:
        ranks[entry.slot_index] = ranks.get(entry.slot_index, 0) + 1
        entry.rank = ranks[entry.slot_index]
        if entry.slot_index in filled:
            entry.outcome = EntryOutcome.lost.value
        elif not within_caps(session, lottery, entry):
            entry.outcome = EntryOutcome.capped.value
        else:
            booking = _book(session, actor, lottery, entry, now)
            entry.outcome = EntryOutcome.won.value if booking else EntryOutcome.lost.value
            entry.booking_id = booking.id if booking else None
            if booking:
                filled.add(entry.slot_index)
        session.add(entry)
        session.flush()
        order.append(_entry_row(lottery, entry))
    lottery.draw_order = order
    session.add(lottery)
    session.flush()
    for entry in entries:
        _tell(session, lottery, entry)
    audit.record(
        session,
        actor,
        "lottery.draw",
        "lottery",
        lottery.id,
        after={"seed": lottery.seed, "seed_sha256": seed_digest(lottery.seed), "order": order},
    )
    return lottery


def _entry_row(lottery: Lottery, entry: LotteryEntry) -> dict[str, Any]:
    return {
        "entry_id": entry.id,
        "series_id": entry.series_id,
        "slot_index": entry.slot_index,
        "organization_id": entry.organization_id,
        "key": draw_key(lottery.seed, entry.slot_index, entry.organization_id),
        "rank": entry.rank,
        "outcome": entry.outcome,
        "booking_id": entry.booking_id,
    }


# Result messages per outcome, Korean first, then English.
RESULT_TEXT: dict[str, tuple[str, str]] = {
    EntryOutcome.won.value: (
        "추첨 당첨: 기한 내 사용료를 납부해 주세요",
        "You won the draw: please pay by the deadline",
    ),
    EntryOutcome.promoted.value: (
        "예비 순번 당첨: 기한 내 사용료를 납부해 주세요",
        "A place came free for you: please pay by the deadline",
    ),
    EntryOutcome.lost.value: ("추첨 결과: 미당첨 (예비 순번 {rank})", "Draw result: not drawn (reserve place {rank})"),
    EntryOutcome.capped.value: ("추첨 결과: 월 이용 한도 초과로 제외", "Draw result: left out, monthly limit reached"),
}


# A winner of a free slot has nothing to pay: the booking is confirmed at once.
FREE_WIN_TEXT = ("추첨 당첨: 대관이 확정되었습니다", "You won the draw: your booking is confirmed")


def _tell(session: Session, lottery: Lottery, entry: LotteryEntry) -> None:
    """E-mail the applicant and text their organisation's phone (when a gateway is set)."""
    ko, en = RESULT_TEXT.get(entry.outcome, (entry.outcome, entry.outcome))
    ko, en = ko.format(rank=entry.rank), en.format(rank=entry.rank)
    booking = session.get(Booking, entry.booking_id) if entry.booking_id else None
    invoice = invoices.live_rental_invoice(session, booking.id) if booking is not None else None  # type: ignore[arg-type]
    if booking is not None and invoice is None:
        ko, en = FREE_WIN_TEXT
    start, end = _slot_range(lottery, entry.slot_index)
    zone = local_zone()
    user = session.get(User, entry.user_id)
    korean = user is None or user.locale != "en"
    days = "월화수목금토일" if korean else ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    begins = start.astimezone(zone)
    when = f"{begins:%Y-%m-%d}({days[begins.weekday()]}) {begins:%H:%M}–{end.astimezone(zone):%H:%M}"
    link = absolute_url(f"/lotteries/{lottery.id}")
    if korean:
        lines = [f"[{ko}] {lottery.title}", f"일시: {when} (한국 시간)"]
        lines += [f"반복: {lottery.rrule} (전체 회차)"] if lottery.rrule else []
        lines += [f"납부 기한: {invoice.due_on} ({invoice.total:,}원)"] if invoice is not None else []
        lines += [f"추첨 시드: {lottery.seed}", f"결과 보기: {link}"]
    else:
        lines = [f"[{en}] {lottery.title}", f"When: {when} (Korea time)"]
        lines += [f"Repeats: {lottery.rrule} (every occurrence)"] if lottery.rrule else []
        lines += [f"Pay by: {invoice.due_on} (KRW {invoice.total:,})"] if invoice is not None else []
        lines += [f"Draw seed: {lottery.seed}", f"Results: {link}"]
    body = "\n".join(lines)
    if user is not None:
        subject = f"[연수원 대관] {ko}: {lottery.title}" if korean else f"[Facility booking] {en}: {lottery.title}"
        enqueue_email(session, to=user.email, subject=subject, body=body)
    org = session.get(Organization, entry.organization_id)
    if org is not None and org.contact_phone:
        enqueue_text(session, phone=org.contact_phone, body=f"[연수원] {ko} {lottery.title} {when}")


def promote_runner_up(session: Session, booking: Booking, now: datetime) -> LotteryEntry | None:
    """The booking of a winner lapsed unpaid: forfeit it and book the next in order within caps."""
    lost = session.exec(select(LotteryEntry).where(LotteryEntry.booking_id == booking.id)).first()
    if lost is None or lost.outcome not in WINNING:
        return None
    lottery = get_lottery(session, lost.lottery_id)
    if lottery.rrule:
        return None  # a series is forfeited occurrence by occurrence; no runner-up takes half a term
    lost.outcome = EntryOutcome.forfeited.value
    session.add(lost)
    session.flush()
    audit.record(session, None, "lottery.forfeit", "lottery_entry", lost.id, after=lost)
    runners = session.exec(
        select(LotteryEntry)
        .where(
            LotteryEntry.lottery_id == lottery.id,
            LotteryEntry.slot_index == lost.slot_index,
            LotteryEntry.outcome == EntryOutcome.lost.value,
        )
        .order_by(col(LotteryEntry.rank))
    ).all()
    creator = session.get(User, lottery.created_by_id) if lottery.created_by_id else None
    if creator is None or not creator.active:
        return None
    for entry in runners:
        if not within_caps(session, lottery, entry):
            continue
        booked = _book(session, creator, lottery, entry, now)
        if booked is None:
            continue
        entry.outcome, entry.booking_id = EntryOutcome.promoted.value, booked.id
        session.add(entry)
        session.flush()
        audit.record(session, None, "lottery.promote", "lottery_entry", entry.id, after=entry)
        _tell(session, lottery, entry)
        return entry
    return None


def lottery_public(session: Session, lottery: Lottery, viewer: User | None) -> dict[str, Any]:
    """A lottery as anyone may read it: the seed's digest until the draw, then the seed and the
    order of every entrant (organisations by id; a renter's own entries are marked)."""
    entries = list(
        session.exec(
            select(LotteryEntry)
            .where(LotteryEntry.lottery_id == lottery.id)
            .order_by(col(LotteryEntry.slot_index), col(LotteryEntry.rank), col(LotteryEntry.id))
        )
    )
    own_org = viewer.organization_id if viewer is not None and not viewer.is_staff else None
    return {
        "id": lottery.id,
        "room_id": lottery.room_id,
        "title": lottery.title,
        "slots": lottery.slots,
        "opens_at": lottery.opens_at,
        "closes_at": lottery.closes_at,
        "cap_per_org_month": lottery.cap_per_org_month,
        "cap_per_room_month": lottery.cap_per_room_month,
        "caps_count_bookings": lottery.caps_count_bookings,
        "rrule": lottery.rrule,
        "status": lottery.status,
        "seed_sha256": seed_digest(lottery.seed),
        "seed": lottery.seed if lottery.status == LotteryStatus.drawn.value else None,
        "drawn_at": lottery.drawn_at,
        "entries": [
            {
                "slot_index": e.slot_index,
                "organization_id": e.organization_id,
                "rank": e.rank,
                "outcome": e.outcome,
                "mine": own_org is not None and e.organization_id == own_org,
            }
            for e in entries
        ],
        "winners": [
            {
                "slot_index": e.slot_index,
                "organization_id": e.organization_id,
                "booking_id": e.booking_id,
                "series_id": e.series_id,
            }
            for e in entries
            if e.outcome in WINNING
        ],
    }


def list_lotteries(session: Session) -> list[Lottery]:
    return list(session.exec(select(Lottery).order_by(col(Lottery.closes_at).desc()).limit(100)))
