"""Slots a lottery gives out cannot be taken first come: a renter's direct request for one is
refused with the way to apply. (The draw books its winners as staff, past this guard.) A series
lottery guards every occurrence of each slot's series."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType

from sqlmodel import Session, select

from facility.booking.common import local_zone
from facility.booking.recurrence import expand
from facility.booking.rental_models import Lottery, LotteryStatus
from facility.core import memo
from facility.core.errors import Conflict
from facility.core.i18n import gettext as _


def slot_ranges(lottery: Lottery) -> Iterator[tuple[int, datetime, datetime]]:
    """(slot index, start, end) in UTC of every range the lottery gives out: each slot, or for a
    series lottery each occurrence of each slot's series."""
    for index, slot in enumerate(lottery.slots):
        start, end = datetime.fromisoformat(slot["starts_at"]), datetime.fromisoformat(slot["ends_at"])
        if not lottery.rrule:
            yield index, start, end
            continue
        length = end - start
        for local_start in expand(lottery.rrule, start.astimezone(local_zone())):
            yield index, local_start.astimezone(UTC), (local_start + length).astimezone(UTC)


# (lottery id, start, end) of every range an open lottery gives out, by room.
OpenRanges = Mapping[int, tuple[tuple[int, datetime, datetime], ...]]


def _read_open_ranges(session: Session) -> OpenRanges:
    by_room: dict[int, list[tuple[int, datetime, datetime]]] = {}
    for lottery in session.exec(select(Lottery).where(Lottery.status == LotteryStatus.open.value)):
        by_room.setdefault(lottery.room_id, []).extend(
            (lottery.id, start, end)  # type: ignore[misc]
            for _index, start, end in slot_ranges(lottery)
        )
    return MappingProxyType({room_id: tuple(ranges) for room_id, ranges in by_room.items()})


def open_ranges(session: Session) -> OpenRanges:
    """Every open lottery's ranges by room, from the read model: each renter's request asks, and
    lotteries are written a few times a term (0036 counts their writes in the version)."""
    return memo.remembered(session, "booking.open_lottery_ranges", ("lottery",), _read_open_ranges)


def drawn_slot_lottery(session: Session, room_id: int, starts_at: datetime, ends_at: datetime) -> int | None:
    """The id of the open lottery of this room with a slot overlapping the range, if any."""
    for lottery_id, start, end in open_ranges(session).get(room_id, ()):
        if start < ends_at and end > starts_at:
            return lottery_id
    return None


def refuse_drawn_slot(session: Session, room_id: int, starts_at: datetime, ends_at: datetime) -> None:
    """Conflict (409, code `lottery_slot`) when the range is drawn by lot."""
    lottery_id = drawn_slot_lottery(session, room_id, starts_at, ends_at)
    if lottery_id is not None:
        raise Conflict(
            _("This time is allocated by lottery: apply at /lotteries/{id} before the draw.", id=lottery_id),
            code="lottery_slot",
        )
