"""Slots a lottery gives out cannot be taken first come: a renter's direct request for one is
refused with the way to apply. (The draw books its winners as staff, past this guard.)"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from facility.booking.rental_models import Lottery, LotteryStatus
from facility.core.errors import Conflict
from facility.core.i18n import gettext as _


def drawn_slot_lottery(session: Session, room_id: int, starts_at: datetime, ends_at: datetime) -> Lottery | None:
    """The open lottery of this room with a slot overlapping the range, if any."""
    for lottery in session.exec(
        select(Lottery).where(Lottery.room_id == room_id, Lottery.status == LotteryStatus.open.value)
    ):
        for slot in lottery.slots:
            if (
                datetime.fromisoformat(slot["starts_at"]) < ends_at
                and datetime.fromisoformat(slot["ends_at"]) > starts_at
            ):
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
