"""Slots a lottery gives out cannot be taken first come: a renter's direct request for one is
refused with the way to apply. (The draw books its winners as staff, past this guard.) A series
lottery guards every occurrence of each slot's series."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from sqlmodel import Session, select

from facility.booking.common import local_zone
from facility.booking.recurrence import expand
from facility.booking.rental_models import Lottery, LotteryStatus
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


def drawn_slot_lottery(session: Session, room_id: int, starts_at: datetime, ends_at: datetime) -> Lottery | None:
    """The open lottery of this room with a slot overlapping the range, if any."""
    for lottery in session.exec(
        select(Lottery).where(Lottery.room_id == room_id, Lottery.status == LotteryStatus.open.value)
    ):
        if any(start < ends_at and end > starts_at for _index, start, end in slot_ranges(lottery)):
            return lottery
    return None


def refuse_drawn_slot(session: Session, room_id: int, starts_at: datetime, ends_at: datetime) -> None:
    """Conflict (409, code `lottery_slot`) when the range is drawn by lot."""
    lottery = drawn_slot_lottery(session, room_id, starts_at, ends_at)
    if lottery is not None:
        raise Conflict(
            _("This time is allocated by lottery: apply at /lotteries/{id} before the draw.", id=lottery.id),
            code="lottery_slot",
        )
