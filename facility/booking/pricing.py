"""Rental fees the way Korean public institutions charge them: hourly, half-day and day rates,
weekend and evening surcharges, fee tiers by purpose, equipment add-ons, the one verified reduction
(감면, booking/reductions.py), 10% VAT, a deposit where set, and the refund table by days before the
start. Amounts in KRW."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from facility.booking.models import FeeSchedule
from facility.booking.purposes import purpose_percent
from facility.core import memo
from facility.core.models import Organization
from facility.rooms.models import Equipment, Room

VAT_PERCENT = 10
HALF_DAY_HOURS = 4
FULL_DAY_HOURS = 9
EVENING_FROM = time(18, 0)
# (days before the start at least, percent of the total kept); the first that applies wins. A fee
# schedule's own `refund_table` replaces it (frozen on each quote).
CANCELLATION_SCHEDULE: tuple[tuple[int, int], ...] = ((7, 0), (3, 20), (1, 50), (0, 100))
# Days to pay after approval when no fee schedule says (and in any case before the start).
DEFAULT_PAYMENT_DAYS = 14


def schedule_for(session: Session, room: Room) -> FeeSchedule | None:
    """The room's own fee schedule, else its kind's (memoised, core/memo.py: every booking is
    priced). A detached copy: read-only to callers."""

    def read(s: Session) -> FeeSchedule | None:
        own = s.exec(select(FeeSchedule).where(FeeSchedule.room_id == room.id)).first()
        found = own or s.exec(select(FeeSchedule).where(FeeSchedule.room_kind == room.kind)).first()
        return None if found is None else memo.copy_of(found)

    return memo.remembered(session, f"booking.fee_schedule:{room.id}:{room.kind}", ("fee_schedule",), read)


def _line(key: str, label_ko: str, label_en: str, amount: int) -> dict[str, Any]:
    return {"key": key, "label_ko": label_ko, "label_en": label_en, "amount": amount}


def _evening_hours(start: datetime, end: datetime) -> float:
    """Hours of a same-day booking after EVENING_FROM (local)."""
    evening = datetime.combine(start.date(), EVENING_FROM, tzinfo=start.tzinfo)
    return max((end - max(start, evening)).total_seconds(), 0.0) / 3600


def base_charge(schedule: FeeSchedule, hours: float) -> int:
    """The cheapest of the applicable rates for a stay of this many hours."""
    options = [round(schedule.hourly * hours)]
    if schedule.half_day and hours <= HALF_DAY_HOURS:
        options.append(schedule.half_day)
    if schedule.full_day and hours <= FULL_DAY_HOURS:
        options.append(schedule.full_day)
    if schedule.full_day and hours > FULL_DAY_HOURS:
        options.append(schedule.full_day + round(schedule.hourly * (hours - FULL_DAY_HOURS)))
    positive = [o for o in options if o > 0]
    return min(positive) if positive else 0


def equipment_names(session: Session, codes: list[str]) -> dict[str, tuple[str, str]]:
    """Korean and English names of equipment codes, for forms and quote lines (renters read names,
    not codes); a code the catalogue lacks is left out."""
    if not codes:
        return {}
    rows = session.exec(select(Equipment).where(col(Equipment.code).in_(codes)))
    return {e.code: (e.name_ko, e.name_en) for e in rows}


def compute_quote(
    session: Session,
    room: Room,
    organization: Organization | None,
    starts_at: datetime,
    ends_at: datetime,
    zone: ZoneInfo,
    *,
    equipment: dict[str, int] | None = None,
    is_holiday: bool = False,
    purpose: str = "general",
) -> dict[str, Any]:
    """The itemised quote for one booking, as frozen on it. No reduction: only an officer's
    verification adds one (`with_reduction`). `organization` is kept for callers' symmetry."""
    del organization
    schedule = schedule_for(session, room)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    hours = (end - start) / timedelta(hours=1)
    lines: list[dict[str, Any]] = []
    if schedule is None:
        return {
            "currency": "KRW",
            "hours": hours,
            "lines": [],
            "subtotal": 0,
            "discount_percent": 0,
            "discount": 0,
            "net": 0,
            "vat": 0,
            "total": 0,
            "deposit": 0,
            "schedule": None,
            "purpose": purpose,
            "refund_table": [list(row) for row in CANCELLATION_SCHEDULE],
            "advance_percent": 0,
            "payment_days": DEFAULT_PAYMENT_DAYS,
            "balance_days_before": 0,
        }
    base = base_charge(schedule, hours)
    lines.append(_line("base", f"시설 사용료 {hours:g}시간", f"Room hire, {hours:g} h", base))
    tier = purpose_percent(schedule.purpose_percent, purpose)
    if tier != 100:
        lines.append(
            _line(f"purpose:{purpose}", f"사용 목적 요율 {tier}%", f"Purpose tier {tier}%", base * (tier - 100) // 100)
        )
    if start.weekday() >= 5 or is_holiday:
        extra = base * (schedule.weekend_percent - 100) // 100
        if extra:
            lines.append(_line("weekend", "주말·공휴일 가산", "Weekend / holiday surcharge", extra))
    evening = _evening_hours(start, end)
    if evening and schedule.evening_percent > 100:
        extra = round(schedule.hourly * evening * (schedule.evening_percent - 100) / 100)
        lines.append(_line("evening", f"야간 가산 {evening:g}시간", f"Evening surcharge, {evening:g} h", extra))
    names = equipment_names(session, list(equipment or {}))
    for code, quantity in sorted((equipment or {}).items()):
        fee = schedule.equipment_fees.get(code)
        if fee is not None and quantity > 0:
            name_ko, name_en = names.get(code, (code, code))
            amount = fee * quantity
            lines.append(_line(f"equipment:{code}", f"{name_ko} × {quantity}", f"{name_en} × {quantity}", amount))
    subtotal = sum(line["amount"] for line in lines)
    quote = {
        "currency": "KRW",
        "hours": hours,
        "lines": lines,
        "subtotal": subtotal,
        "deposit": schedule.deposit,
        "schedule": schedule.id,
        "purpose": purpose,
        "refund_table": [list(row) for row in (schedule.refund_table or CANCELLATION_SCHEDULE)],
        "advance_percent": schedule.advance_percent,
        "payment_days": schedule.payment_days,
        "balance_days_before": schedule.balance_days_before,
    }
    return with_reduction(quote, 0, "")


def with_reduction(quote: dict[str, Any], percent: int, category: str) -> dict[str, Any]:
    """The quote with one reduction (감면) on its subtotal, VAT and total recomputed: the one place
    a reduction enters a price (percent 0 removes it)."""
    subtotal = int(quote.get("subtotal", 0))
    discount = subtotal * percent // 100
    net = subtotal - discount
    vat = net * VAT_PERCENT // 100
    return {
        **quote,
        "discount_percent": percent,
        "discount": discount,
        "reduction": category,
        "net": net,
        "vat": vat,
        "total": net + vat,
    }


def refund_rows(table: list[list[int]] | None) -> list[tuple[int, int]]:
    """A refund table as the policy box lists it: most days first (the default when unset)."""
    return sorted((tuple(row) for row in (table or CANCELLATION_SCHEDULE)), reverse=True)  # type: ignore[misc]


def cancellation_percent(
    starts_at: datetime, cancelled_at: datetime, zone: ZoneInfo, table: list[list[int]] | None = None
) -> int:
    """Percent of the total kept (deducted from a refund) when a booking is cancelled at this
    moment, by the quote's refund table (else the default)."""
    days = (starts_at.astimezone(zone).date() - cancelled_at.astimezone(zone).date()).days
    for at_least, percent in refund_rows(table):
        if days >= at_least:
            return percent
    return 100


def hourly_prices(session: Session, rooms: list[Room]) -> dict[int, int]:
    """Each room's hourly rate with VAT (its own schedule, else its kind's), read in one query;
    a room without a schedule is left out (the search card then shows no price)."""
    schedules = session.exec(select(FeeSchedule)).all()
    own: dict[int | None, int] = {s.room_id: s.hourly for s in schedules if s.room_id is not None}
    by_kind: dict[str | None, int] = {s.room_kind: s.hourly for s in schedules if s.room_kind is not None}
    prices: dict[int, int] = {}
    for room in rooms:
        hourly = own.get(room.id, by_kind.get(room.kind))
        if hourly is not None and room.id is not None:
            prices[room.id] = hourly + hourly * VAT_PERCENT // 100
    return prices
