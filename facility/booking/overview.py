"""Every room's bookings and blocks over a range: the manager's week and month calendar, the crews'
setup sheet and `GET /api/v1/calendar` read this one service.

One query per table over the range (bookings with their organisation, blocks), filtered by building,
room kind and status; entries are grouped per room and local day in Python. Two entries of one room
that overlap are a clash (a request displaced by a block, or two pending requests for a hall and
its half): both carry the other's id so the page can show them side by side.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from operator import attrgetter
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, cast, literal_column, or_
from sqlmodel import Session, col, select

from facility.booking.models import ACTIVE_STATUSES, LONG_CLAIM, PENDING_STATUSES, Block, Booking, claim_seconds
from facility.booking.pricing import equipment_names
from facility.core.db import rare
from facility.core.errors import InvalidInput, NotFound
from facility.core.i18n import gettext as _
from facility.core.models import Organization
from facility.rooms.models import Building, Room

# The longest range one request may read: a month view shows six weeks.
MAX_DAYS = 62
STATUS_FILTERS = ("active", "pending", "firm")
# Sort keys in C: a week of 250 rooms sorts thousands of entries.
BY_START, BY_START_AND_ROOM = attrgetter("starts_at"), attrgetter("starts_at", "room_id")


@dataclass(frozen=True)
class Entry:
    kind: str  # "booking" or "block"
    id: int
    room_id: int
    starts_at: datetime
    ends_at: datetime
    title: str
    status: str
    organization: str | None = None
    attendees: int | None = None
    layout: str | None = None
    equipment: dict[str, int] = field(default_factory=dict)
    notes: str = ""
    clashes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.id}"


@dataclass
class Overview:
    start: date
    days: list[date]
    rooms: list[Room]
    entries: list[Entry]
    # Korean and English names of every equipment code the entries ask for.
    equipment: dict[str, tuple[str, str]]
    zone: ZoneInfo

    def local_day(self, entry: Entry) -> date:
        return entry.starts_at.astimezone(self.zone).date()

    def by_room_and_day(self) -> dict[tuple[int, date], list[Entry]]:
        """Entries per room and local day; an entry over midnight shows on each day it covers."""
        cells: dict[tuple[int, date], list[Entry]] = defaultdict(list)
        for entry in self.entries:
            first = entry.starts_at.astimezone(self.zone).date()
            last = (entry.ends_at - timedelta(microseconds=1)).astimezone(self.zone).date()
            for offset in range((last - first).days + 1):
                cells[(entry.room_id, first + timedelta(days=offset))].append(entry)
        return cells

    def by_day(self) -> dict[date, list[Entry]]:
        days: dict[date, list[Entry]] = defaultdict(list)
        for (_room, day), entries in self.by_room_and_day().items():
            days[day].extend(entries)
        return {day: sorted(entries, key=lambda e: (e.starts_at, e.room_id)) for day, entries in days.items()}

    def by_room(self) -> list[Entry]:
        """Entries in the rooms' code order, each room's by time: the setup sheet's rows."""
        order = {room.id: i for i, room in enumerate(self.rooms)}
        return sorted(self.entries, key=lambda e: (order.get(e.room_id, 0), e.starts_at))

    @property
    def by_key(self) -> dict[str, Entry]:
        return {e.key: e for e in self.entries}

    @property
    def clash_count(self) -> int:
        return sum(1 for e in self.entries if e.kind == "booking" and e.clashes)


def statuses_for(choice: str) -> frozenset[str]:
    """The booking statuses a filter names: every active one, only pending, or only firm ones."""
    if choice not in STATUS_FILTERS:
        raise InvalidInput(_("Choose one of: {choices}.", choices=", ".join(STATUS_FILTERS)))
    chosen = {"active": ACTIVE_STATUSES, "pending": PENDING_STATUSES}.get(choice, ACTIVE_STATUSES - PENDING_STATUSES)
    return frozenset(s.value for s in chosen)


def overview(
    session: Session,
    first: date,
    days: int,
    zone: ZoneInfo,
    *,
    building_id: int | None = None,
    kind: str | None = None,
    status: str = "active",
) -> Overview:
    """Rooms (of a building and kind, when named) and their entries over `days` local days."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(_("A calendar covers 1 to {n} days.", n=MAX_DAYS))
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(first + timedelta(days=days), time(0), tzinfo=zone).astimezone(UTC)
    rooms_query = select(Room).order_by(col(Room.code))
    if building_id is not None:
        rooms_query = rooms_query.where(Room.building_id == building_id)
    if kind:
        rooms_query = rooms_query.where(Room.kind == kind)
    rooms = list(session.exec(rooms_query))
    room_ids = [r.id for r in rooms]
    entries = _bookings(session, room_ids, start, end, statuses_for(status)) + _blocks(session, room_ids, start, end)
    entries = _with_clashes(entries)
    codes = sorted({code for e in entries for code in e.equipment})
    return Overview(
        start=first,
        days=[first + timedelta(days=i) for i in range(days)],
        rooms=rooms,
        entries=entries,
        equipment=equipment_names(session, codes),
        zone=zone,
    )


def _bookings(
    session: Session, room_ids: list[int | None], start: datetime, end: datetime, statuses: frozenset[str]
) -> list[Entry]:
    """The columns an entry shows, not whole rows: a week of 250 rooms is thousands of bookings, and
    their quotes and ORM identities are not needed here, nor the ORM's handling of each row (read
    through the connection, a third of the time). Equipment comes as text and is parsed only when
    a booking asks for some (most ask for none)."""
    if not room_ids:
        return []
    if session.autoflush:  # as session.exec would; the read below skips the ORM's row handling
        session.flush()
    rows = (
        session.connection()
        .execute(
            select(  # type: ignore[call-overload]
                Booking.id,
                Booking.room_id,
                Booking.starts_at,
                Booking.ends_at,
                Booking.title,
                Booking.status,
                Organization.name,
                Booking.attendees,
                Booking.layout,
                cast(Booking.equipment, String),
                Booking.notes,
            )
            .join(Organization, col(Organization.id) == col(Booking.organization_id), isouter=True)
            .where(col(Booking.room_id).in_(room_ids), col(Booking.status).in_(statuses), in_window(start, end))
        )
        .all()
    )
    return [
        Entry("booking", *row[:9], equipment=_equipment(row[9]), notes=row[10])  # type: ignore[misc]
        for row in rows
    ]


def in_window(start: datetime, end: datetime) -> ColumnElement[bool]:
    """Bookings overlapping [start, end), phrased so no index walks the past (as claims.overlapping):
    one of a day or less starts after `start - LONG_CLAIM` (a narrow range of `ix_booking_room_period`);
    the rare longer ones are found by their length (`ix_booking_long`, migration 0032)."""
    recent_from = start - LONG_CLAIM
    starts, ends = col(Booking.starts_at), col(Booking.ends_at)
    long = rare(claim_seconds() > literal_column(str(int(LONG_CLAIM.total_seconds()) - 60)))
    return or_(
        and_(starts >= recent_from, starts < end, ends > start),
        and_(long, starts < recent_from, ends > start),
    )


def _equipment(text: str | None) -> dict[str, int]:
    return json.loads(text) if text and text != "{}" else {}


def _blocks(session: Session, room_ids: list[int | None], start: datetime, end: datetime) -> list[Entry]:
    if not room_ids:
        return []
    rows = session.exec(
        select(Block)
        .where(
            col(Block.room_id).in_(room_ids),
            col(Block.removed_at).is_(None),
            Block.starts_at < end,
            Block.ends_at > start,
        )
        .order_by(col(Block.starts_at))
    )
    return [
        Entry(
            kind="block",
            id=b.id,  # type: ignore[arg-type]
            room_id=b.room_id,
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            title=b.reason,
            status=b.kind,
        )
        for b in rows
    ]


def _with_clashes(entries: list[Entry]) -> list[Entry]:
    """Each entry with the keys of the entries of its room that overlap it (a sweep per room)."""
    per_room: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        per_room[entry.room_id].append(entry)
    clashes: dict[str, list[str]] = defaultdict(list)
    for room_entries in per_room.values():
        room_entries.sort(key=BY_START)
        for i, entry in enumerate(room_entries):
            for later in room_entries[i + 1 :]:
                if later.starts_at >= entry.ends_at:
                    break
                clashes[entry.key].append(later.key)
                clashes[later.key].append(entry.key)
    if clashes:  # rare: most weeks have none, and each entry's key is then not needed
        entries = [
            Entry(**{**e.__dict__, "clashes": tuple(clashes[e.key])}) if e.key in clashes else e for e in entries
        ]
    return sorted(entries, key=BY_START_AND_ROOM)


def building_id_for(session: Session, code: str) -> int | None:
    """The building a filter names by code (None for every building), or a 404 naming it."""
    if not code:
        return None
    found = session.exec(select(Building.id).where(Building.code == code)).first()
    if found is None:
        raise NotFound(_("No building with code {code}.", code=code))
    return found
