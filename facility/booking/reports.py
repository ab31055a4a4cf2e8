"""Utilisation, no-show and revenue reports by room, kind or building for a local month."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from facility.booking import rules
from facility.booking.models import Booking, BookingStatus
from facility.booking.queries import USED_STATUSES
from facility.core.models import Organization
from facility.rooms.models import Building, Room
from facility.rooms.plan import CampusPlan


@dataclass
class UsageRow:
    key: str
    open_hours: float = 0.0
    booked_hours: float = 0.0
    bookings: int = 0
    no_shows: int = 0
    # KRW of the bookings held (their frozen quote's total) and of the discounts they were given.
    revenue: int = 0
    reductions: int = 0

    @property
    def percent(self) -> float:
        return 100 * self.booked_hours / self.open_hours if self.open_hours else 0.0

    @property
    def no_show_percent(self) -> float:
        """No-shows among the bookings that were due to be used."""
        due = self.bookings + self.no_shows
        return 100 * self.no_shows / due if due else 0.0


def _month_bounds(first: date, zone: ZoneInfo) -> tuple[datetime, datetime, date]:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(following, time(0), tzinfo=zone).astimezone(UTC)
    return start, end, following


# What utilisation can be grouped by; the first is the default.
GROUPINGS = ("room", "building", "kind")


def utilisation(session: Session, first: date, zone: ZoneInfo, *, by: str = "room") -> list[UsageRow]:
    """Open hours (opening hours less holidays and closures), booked hours and no-shows."""
    start, end, following = _month_bounds(first, zone)
    rooms = list(session.exec(select(Room).where(col(Room.bookable_external).is_(True)).order_by(Room.code)))
    buildings = {b.id: b.code for b in session.exec(select(Building))}
    campus = CampusPlan.load(session)
    closed = rules.closed_days(session, first, following - timedelta(days=1))

    def key_of(room: Room) -> str:
        if by == "kind":
            return room.kind
        if by == "building":
            return buildings.get(room.building_id, "?")
        return room.code

    rows: dict[str, UsageRow] = {}
    for room in rooms:
        row = rows.setdefault(key_of(room), UsageRow(key_of(room)))
        day = first
        while day < following:
            hours = campus.hours(room, day.weekday())
            if hours and day not in closed:
                opens, closes = (datetime.combine(day, t) for t in hours)
                row.open_hours += (closes - opens).total_seconds() / 3600
            day += timedelta(days=1)
    by_room = {room.id: key_of(room) for room in rooms}
    bookings = session.exec(
        select(Booking).where(
            col(Booking.room_id).in_(list(by_room)),
            Booking.starts_at >= start,
            Booking.starts_at < end,
            col(Booking.status).in_([s.value for s in USED_STATUSES | {BookingStatus.no_show}]),
        )
    )
    for booking in bookings:
        row = rows[by_room[booking.room_id]]
        if booking.status == BookingStatus.no_show.value:
            row.no_shows += 1
            continue
        row.bookings += 1
        row.booked_hours += (booking.ends_at - booking.starts_at).total_seconds() / 3600
        row.revenue += booking.price_total
        row.reductions += int((booking.quote or {}).get("discount", 0) or 0)
    return sorted(rows.values(), key=lambda r: r.key)


def percent_bars(rows: list[UsageRow], labels: list[str], *, title: str) -> str:
    """Booked share of open hours per row as horizontal SVG bars (the table is its text form)."""
    from markupsafe import escape

    height = 28 * len(rows) + 8
    parts = [f'<svg class="bars" viewBox="0 0 640 {height}" role="img" aria-label="{escape(title)}">']
    for index, (row, name) in enumerate(zip(rows, labels, strict=True)):
        y = 8 + 28 * index
        width = 4.2 * min(row.percent, 100)
        parts.append(
            f'<text x="150" y="{y + 15}" text-anchor="end" class="bar-label">{escape(name[:18])}</text>'
            f'<rect x="160" y="{y}" width="{width:.1f}" height="20" class="bar"/>'
            f'<text x="{166 + width:.1f}" y="{y + 15}" class="bar-value">{row.percent:.1f}%</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def no_shows_by_organization(session: Session, first: date, zone: ZoneInfo) -> list[tuple[str, int, int]]:
    """(organisation, no-shows this month, no-shows ever), most this month first."""
    start, end, _ = _month_bounds(first, zone)
    month: dict[int, int] = defaultdict(int)
    for org_id, count in session.exec(
        select(Booking.organization_id, func.count())
        .where(
            Booking.status == BookingStatus.no_show.value,
            Booking.starts_at >= start,
            Booking.starts_at < end,
        )
        .group_by(col(Booking.organization_id))
    ):
        month[org_id] = count  # type: ignore[index]
    ever = dict(
        session.exec(
            select(Booking.organization_id, func.count())
            .where(Booking.status == BookingStatus.no_show.value)
            .group_by(col(Booking.organization_id))
        ).all()
    )
    names = {o.id: o.name for o in session.exec(select(Organization).where(col(Organization.id).in_(list(ever))))}
    rows = [(names.get(org_id, "—"), month.get(org_id, 0), total) for org_id, total in ever.items()]  # type: ignore[arg-type]
    return sorted(rows, key=lambda r: (-r[1], -r[2], r[0]))
