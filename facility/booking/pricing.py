"""Rental fees the way Korean public institutions charge them: hourly, half-day and day rates,
weekend and evening surcharges, equipment add-ons, discounts for public and education bodies,
10% VAT, a deposit where set, and cancellation fees by days before the start. Amounts in KRW."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from facility.booking.models import FeeSchedule
from facility.core import memo
from facility.core.models import Organization, OrgKind
from facility.rooms.models import Equipment, Room

VAT_PERCENT = 10
HALF_DAY_HOURS = 4
FULL_DAY_HOURS = 9
EVENING_FROM = time(18, 0)
# Reductions (감면) for bodies the Institute serves; on the rental before VAT.
DISCOUNT_PERCENT = {
    OrgKind.public.value: 50,
    OrgKind.education.value: 30,
    OrgKind.nonprofit.value: 20,
    OrgKind.private.value: 0,
}
# (days before the start at least, percent of the total kept); the first that applies wins.
CANCELLATION_SCHEDULE: tuple[tuple[int, int], ...] = ((7, 0), (3, 20), (1, 50), (0, 100))


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
) -> dict[str, Any]:
    """The itemised quote for one booking, as frozen on it."""
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
        }
    base = base_charge(schedule, hours)
    lines.append(_line("base", f"시설 사용료 {hours:g}시간", f"Room hire, {hours:g} h", base))
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
    percent = DISCOUNT_PERCENT.get(organization.kind if organization else "", 0)
    discount = subtotal * percent // 100
    net = subtotal - discount
    vat = net * VAT_PERCENT // 100
    return {
        "currency": "KRW",
        "hours": hours,
        "lines": lines,
        "subtotal": subtotal,
        "discount_percent": percent,
        "discount": discount,
        "net": net,
        "vat": vat,
        "total": net + vat,
        "deposit": schedule.deposit,
        "schedule": schedule.id,
    }


def cancellation_percent(starts_at: datetime, cancelled_at: datetime, zone: ZoneInfo) -> int:
    """Percent of the total kept when a confirmed booking is cancelled at this moment."""
    days = (starts_at.astimezone(zone).date() - cancelled_at.astimezone(zone).date()).days
    for at_least, percent in CANCELLATION_SCHEDULE:
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
