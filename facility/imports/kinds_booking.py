"""Fee schedules (per room or room kind), blackouts and the Institute's training timetable.

Blackouts and timetable courses become booking blocks through booking's block service, so they
take precedence over rentals the way a manager's block does: requests in the way are displaced
(and told), approved bookings in the way are listed as problems to settle first.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlmodel import col, select

from facility.booking import blocks
from facility.booking.exceptions import BookingConflict
from facility.booking.models import Block, BlockKind, FeeSchedule
from facility.core.config import active_settings
from facility.core.i18n import gettext as _
from facility.imports.base import Importer, fmt_pairs, parse_pairs
from facility.imports.rows import Column, Row, codes, rows_by, upsert
from facility.rooms.kinds import RoomKind
from facility.rooms.models import Room

WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
KOREAN_WEEKDAYS = {"월": 0, "화": 1, "수": 2, "목": 3, "금": 4, "토": 5, "일": 6}
# A timetable row spans at most a school year and a bit.
MAX_COURSE_DAYS = 400
BLACKOUT_PREFIX, COURSE_PREFIX = "blackout:", "course:"


class FeeImporter(Importer):
    kind = "fees"
    key_column = "room_kind"
    error_column = "room_kind"
    columns = (
        Column("room_kind", help="the kind every room of which this schedule prices (or use room)"),
        Column("room", help="one room's code: its own schedule wins over its kind's"),
        Column("hourly", True, "KRW per hour before VAT (10 % is added on the quote)"),
        Column("half_day", help="KRW up to 4 hours; 0 = hourly"),
        Column("full_day", help="KRW up to 9 hours; 0 = hourly"),
        Column("weekend_percent", help="percent of the rate on weekends (default 120)", maximum=1000),
        Column("evening_percent", help="percent for hours from 18:00 (default 130)", maximum=1000),
        Column("deposit", help="KRW"),
        Column("equipment", help="code:KRW; ... e.g. projector:10000; wireless_mic:5000"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.rooms = codes(self.session, Room)
        self.schedules = {
            "room_id": rows_by(self.session, FeeSchedule, "room_id"),
            "room_kind": rows_by(self.session, FeeSchedule, "room_kind"),
        }

    def key(self, row: Row) -> str:
        room, kind = row.values.get("room", "").strip(), row.values.get("room_kind", "").strip()
        return f"room:{room}" if room else f"kind:{kind}" if kind else ""

    def apply(self, row: Row) -> str:
        room_id = row.lookup("room", self.rooms, "room")
        kind = row.choice("room_kind", RoomKind, labels="kind.")
        if bool(row.text("room")) == bool(row.text("room_kind")):
            row.problem("room_kind", _("Give either a room or a room kind."))
        values = {
            "hourly": row.integer("hourly", required=True),
            "half_day": row.integer("half_day"),
            "full_day": row.integer("full_day"),
            "weekend_percent": row.integer("weekend_percent", default=120),
            "evening_percent": row.integer("evening_percent", default=130),
            "deposit": row.integer("deposit"),
            "equipment_fees": parse_pairs(row, "equipment"),
        }
        if not row.ok:
            return ""
        key = {"room_id": room_id} if room_id is not None else {"room_kind": kind}
        _schedule, outcome = upsert(
            self.session, FeeSchedule, key, values, known=self.schedules[next(iter(key))], flush=False
        )
        return outcome

    def export_rows(self) -> list[dict[str, str]]:
        rooms = {id_: code for code, id_ in self.rooms.items()}
        schedules = {s.id: s for found in self.schedules.values() for s in found.values()}.values()
        return [
            {
                "room_kind": s.room_kind or "",
                "room": rooms.get(s.room_id, "") if s.room_id else "",
                "hourly": str(s.hourly),
                "half_day": str(s.half_day),
                "full_day": str(s.full_day),
                "weekend_percent": str(s.weekend_percent),
                "evening_percent": str(s.evening_percent),
                "deposit": str(s.deposit),
                "equipment": fmt_pairs(s.equipment_fees, always_amount=True),
            }
            for s in sorted(schedules, key=lambda s: (s.room_id is not None, s.room_kind or "", s.room_id or 0))
        ]


class _BlockImporter(Importer):
    """Shared by blackouts and courses: a row stands for a set of blocks with one source_ref."""

    error_column = "room"
    prefix = ""
    # A clash found while placing a row's blocks comes after some of them are written.
    row_savepoints = True

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.rooms = codes(self.session, Room)
        self.zone = active_settings().zone

    def existing(self, ref: str) -> list[Block]:
        return list(
            self.session.exec(
                select(Block)
                .where(Block.source_ref == self.prefix + ref)
                .where(col(Block.removed_at).is_(None))
                .order_by(col(Block.starts_at))
            )
        )

    def sync(
        self, row: Row, ref: str, room_id: int, kind: str, reason: str, spans: list[tuple[datetime, datetime]]
    ) -> str:
        """Make the ref's blocks exactly these spans; clashes with firm bookings become problems."""
        have = {(b.room_id, b.starts_at, b.ends_at, b.kind, b.reason): b for b in self.existing(ref)}
        wanted = {(room_id, s, e, kind, reason) for s, e in spans}
        for key, block in have.items():
            if key not in wanted:
                blocks.remove_block(self.session, self.actor, int(block.id))  # type: ignore[arg-type]
        for room, starts_at, ends_at, kind_, reason_ in sorted(wanted - set(have)):
            self._place(row, room, starts_at, ends_at, kind_, reason_, ref)
        if not have:
            return "created"
        return "unchanged" if set(have) == wanted else "updated"

    def _place(
        self, row: Row, room_id: int, starts_at: datetime, ends_at: datetime, kind: str, reason: str, ref: str
    ) -> None:
        try:
            with self.session.begin_nested():
                _block, displaced = blocks.place_block(
                    self.session,
                    self.actor,
                    room_id=room_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    reason=reason,
                    kind=kind,
                    source_ref=self.prefix + ref,
                )
        except BookingConflict as conflict:
            for clash in conflict.extra.get("conflicts", []):
                row.problem(
                    "room",
                    _(
                        "Clashes on {start} with booking #{id} '{title}' ({status}); move or cancel it first.",
                        start=self._local(starts_at),
                        id=clash["booking_id"],
                        title=clash["title"],
                        status=clash["status"],
                    ),
                )
            if not conflict.extra.get("conflicts"):
                row.problem("room", conflict.message)
            return
        for booking in displaced:
            self.notes.append(
                _(
                    "{ref} on {start} displaces request #{id} '{title}' (its renter is told).",
                    ref=ref,
                    start=self._local(starts_at),
                    id=booking.id,
                    title=booking.title,
                )
            )

    def _local(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.zone):%Y-%m-%d %H:%M}"

    def refs(self) -> list[tuple[str, list[Block]]]:
        grouped: dict[str, list[Block]] = {}
        query = (
            select(Block)
            .where(col(Block.source_ref).startswith(self.prefix))
            .where(col(Block.removed_at).is_(None))
            .order_by(col(Block.source_ref), col(Block.starts_at))
        )
        for block in self.session.exec(query):
            grouped.setdefault(block.source_ref.removeprefix(self.prefix), []).append(block)
        return sorted(grouped.items())


class BlackoutImporter(_BlockImporter):
    kind = "blackouts"
    key_column = "ref"
    prefix = BLACKOUT_PREFIX
    columns = (
        Column("ref", True, "your reference; a row with the same ref replaces the earlier blackout"),
        Column("room", True, "room code"),
        Column("starts", True, "local YYYY-MM-DD HH:MM"),
        Column("ends", True, "local YYYY-MM-DD HH:MM"),
        Column("kind", help="training (default), closure or maintenance"),
        Column("reason"),
    )

    def apply(self, row: Row) -> str:
        ref = row.text("ref", required=True, max_length=80)
        room_id = row.lookup("room", self.rooms, "room", required=True)
        starts_at = row.moment("starts", self.zone, required=True)
        ends_at = row.moment("ends", self.zone, required=True)
        kind = row.choice("kind", BlockKind, default=BlockKind.training.value)
        reason = row.text("reason", max_length=500)
        if starts_at and ends_at and ends_at <= starts_at:
            row.problem("ends", _("The end must be after the start."))
        if not row.ok or room_id is None or starts_at is None or ends_at is None:
            return ""
        return self.sync(row, ref, room_id, kind, reason, [(starts_at, ends_at)])

    def export_rows(self) -> list[dict[str, str]]:
        rooms = {id_: code for code, id_ in self.rooms.items()}
        return [
            {
                "ref": ref,
                "room": rooms[b.room_id],
                "starts": self._local(b.starts_at),
                "ends": self._local(b.ends_at),
                "kind": b.kind,
                "reason": b.reason,
            }
            for ref, found in self.refs()
            for b in found[:1]
        ]


def parse_weekdays(row: Row, column: str) -> set[int]:
    """`MO;WE`, `월,수` or `월수`: the weekdays a course meets."""
    value = row.text(column, required=True).upper().replace(",", ";").replace(" ", ";")
    days: set[int] = set()
    for part in filter(None, value.split(";")):
        if part in WEEKDAYS:
            days.add(WEEKDAYS[part])
        elif all(ch in KOREAN_WEEKDAYS for ch in part):
            days.update(KOREAN_WEEKDAYS[ch] for ch in part)
        else:
            row.problem(column, _("'{value}' is not a weekday (MO TU WE TH FR SA SU or 월~일).", value=part))
    return days


class TimetableImporter(_BlockImporter):
    kind = "timetable"
    key_column = "course"
    prefix = COURSE_PREFIX
    columns = (
        Column("course", True, "the course code in the learning platform"),
        Column("title", True),
        Column("room", True, "room code"),
        Column("first_day", True, "YYYY-MM-DD"),
        Column("last_day", True, "YYYY-MM-DD"),
        Column("weekdays", True, "MO;WE or 월;수"),
        Column("starts", True, "HH:MM local"),
        Column("ends", True, "HH:MM local"),
    )

    def apply(self, row: Row) -> str:
        course = row.text("course", required=True, max_length=80)
        title = row.text("title", required=True, max_length=500)
        room_id = row.lookup("room", self.rooms, "room", required=True)
        first, last = row.day("first_day", required=True), row.day("last_day", required=True)
        weekdays = parse_weekdays(row, "weekdays")
        starts, ends = row.clock("starts", required=True), row.clock("ends", required=True)
        if first and last and not 0 <= (last - first).days <= MAX_COURSE_DAYS:
            row.problem(
                "last_day", _("The last day must be on or after the first, within {n} days.", n=MAX_COURSE_DAYS)
            )
        if starts and ends and ends <= starts:
            row.problem("ends", _("The end must be after the start."))
        if not row.ok or room_id is None or not (first and last and starts and ends):
            return ""
        spans = self._spans(first, last, weekdays, starts, ends)
        if not spans:
            row.problem("weekdays", _("No meeting day falls between the first and the last day."))
            return ""
        return self.sync(row, course, room_id, BlockKind.training.value, title, spans)

    def _spans(
        self, first: date, last: date, weekdays: set[int], starts: time, ends: time
    ) -> list[tuple[datetime, datetime]]:
        days = (first + timedelta(days=n) for n in range((last - first).days + 1))
        return [
            (datetime.combine(d, starts, tzinfo=self.zone), datetime.combine(d, ends, tzinfo=self.zone))
            for d in days
            if d.weekday() in weekdays
        ]

    def export_rows(self) -> list[dict[str, str]]:
        rooms = {id_: code for code, id_ in self.rooms.items()}
        names = {v: k for k, v in WEEKDAYS.items()}
        rows = []
        for course, found in self.refs():
            local = [(b.starts_at.astimezone(self.zone), b.ends_at.astimezone(self.zone)) for b in found]
            first = local[0]
            rows.append(
                {
                    "course": course,
                    "title": found[0].reason,
                    "room": rooms[found[0].room_id],
                    "first_day": first[0].date().isoformat(),
                    "last_day": local[-1][0].date().isoformat(),
                    "weekdays": ";".join(names[d] for d in sorted({s.weekday() for s, _e in local})),
                    "starts": f"{first[0]:%H:%M}",
                    "ends": f"{first[1]:%H:%M}",
                }
            )
        return rows
