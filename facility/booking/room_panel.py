"""What a renter needs on a room's page before the form: the price, the equipment this room has
(each charged once per booking), the rules (minimum and maximum length, lead time, closed days),
the next free times and a book button. The rooms page calls `panel` through the hook
`rooms.views.register_room_panel` (wired in domains.py), so rooms never imports booking."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from facility.booking import availability, pricing, rules
from facility.booking.common import local_zone
from facility.core.db import utcnow
from facility.core.models import User
from facility.rooms import service as rooms_service
from facility.rooms.models import Equipment, Room, RoomEquipment

# The free times shown: the first few, within the next two weeks past the lead time.
FREE_TIMES_SHOWN = 6
FREE_TIMES_WINDOW = timedelta(days=14)
CLOSED_DAYS_SHOWN = 5


def offered_equipment(session: Session, room: Room) -> list[dict[str, Any]]:
    """The equipment this room really has, with its fee per booking (0: included)."""
    schedule = pricing.schedule_for(session, room)
    fees = schedule.equipment_fees if schedule else {}
    query = (
        select(Equipment, RoomEquipment.quantity)
        .join(RoomEquipment, RoomEquipment.equipment_id == Equipment.id)  # type: ignore[arg-type]
        .where(RoomEquipment.room_id == room.id)
        .order_by(Equipment.code)
    )
    return [
        {"code": e.code, "name_ko": e.name_ko, "name_en": e.name_en, "quantity": quantity, "fee": fees.get(e.code, 0)}
        for e, quantity in session.exec(query)
    ]


def _with_vat(amount: int) -> int:
    return amount + amount * pricing.VAT_PERCENT // 100


def panel(session: Session, room: Room, viewer: User | None) -> dict[str, Any] | None:
    """The booking panel of a room page; None for a room outsiders cannot book."""
    if not room.bookable_external and (viewer is None or not viewer.is_staff):
        return None
    zone = local_zone()
    schedule = pricing.schedule_for(session, room)
    limits = rules.rules_for(room.kind)
    now = utcnow()
    first = (now + rules.MIN_LEAD).astimezone(zone).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    slots = availability.free_slots_many(
        session, [room], first, first + FREE_TIMES_WINDOW, zone, min_length=limits.min_duration
    ).get(room.id or 0, [])  # type: ignore[arg-type]
    # The book link proposes the minimum length (two hours at least) from the start of each free time.
    proposed = max(limits.min_duration, timedelta(hours=2))
    free: list[dict[str, datetime]] = [
        {"start": lo.astimezone(zone), "end": hi.astimezone(zone), "book_end": min(hi, lo + proposed).astimezone(zone)}
        for lo, hi in slots
    ]
    closed_weekdays = [day for day in range(7) if rooms_service.opening_hours(session, room, day) is None]
    today = now.astimezone(zone).date()
    closed = sorted(rules.closed_days(session, today, today + timedelta(days=60)).items())[:CLOSED_DAYS_SHOWN]
    return {
        "template": "booking/_room_panel.html",
        "fees": schedule,
        "hourly_with_vat": _with_vat(schedule.hourly) if schedule else None,
        "half_day_with_vat": _with_vat(schedule.half_day) if schedule and schedule.half_day else None,
        "full_day_with_vat": _with_vat(schedule.full_day) if schedule and schedule.full_day else None,
        "equipment": offered_equipment(session, room),
        "min_hours": limits.min_duration / timedelta(hours=1),
        "max_hours": limits.max_duration / timedelta(hours=1),
        "lead_days": rules.MIN_LEAD.days,
        "closed_weekdays": closed_weekdays,
        "closed_days": closed,
        "free": free[:FREE_TIMES_SHOWN],
        "cancellation": pricing.CANCELLATION_SCHEDULE,
    }
