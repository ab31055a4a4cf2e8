"""Fee schedules as managers keep them: one per room kind, or a room's own (KRW before VAT)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import Session, col, select

from facility.booking import purposes
from facility.booking.models import FeeSchedule
from facility.core.auth import ensure_role
from facility.core.editing import create_row, get_row, update_row
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User
from facility.rooms.kinds import RoomKind
from facility.rooms.models import Room

Amount = Annotated[int, Field(ge=0, le=1_000_000_000)]
Percent = Annotated[int, Field(ge=0, le=1000)]
RefundRow = Annotated[list[Annotated[int, Field(ge=0, le=1000)]], Field(min_length=2, max_length=2)]


class FeeRates(BaseModel):
    hourly: Amount | None = None
    half_day: Amount | None = None
    full_day: Amount | None = None
    weekend_percent: Percent | None = None
    evening_percent: Percent | None = None
    deposit: Amount | None = None
    equipment_fees: dict[Annotated[str, Field(max_length=40)], Amount] | None = Field(default=None, max_length=100)
    # Percent of the rate per purpose (booking/purposes.py), e.g. {"exam": 150, "resident_welfare": 50}.
    purpose_percent: dict[Annotated[str, Field(max_length=30)], Percent] | None = Field(default=None, max_length=20)
    # [[days before the start at least, percent kept], ...], e.g. [[7, 0], [3, 10], [1, 30], [0, 100]].
    refund_table: (
        list[Annotated[list[Annotated[int, Field(ge=0, le=1000)]], Field(min_length=2, max_length=2)]] | None
    ) = Field(default=None, max_length=20)
    advance_percent: Annotated[int, Field(ge=0, le=100)] | None = None
    payment_days: Annotated[int, Field(ge=0, le=365)] | None = None
    balance_days_before: Annotated[int, Field(ge=0, le=365)] | None = None

    @model_validator(mode="after")
    def _known_purposes(self) -> FeeRates:
        unknown = set(self.purpose_percent or {}) - set(purposes.ALLOWED)
        if unknown:
            raise ValueError(f"unknown or refused purposes: {sorted(unknown)}")
        if any(percent > 100 for _days, percent in self.refund_table or []):
            raise ValueError("a refund table keeps at most 100 percent")
        return self


class FeeScheduleCreate(FeeRates):
    """Either `room_kind` (every room of the kind) or `room_id` (that room's own schedule)."""

    room_kind: RoomKind | None = None
    room_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    hourly: Amount = 0

    @model_validator(mode="after")
    def _one_target(self) -> FeeScheduleCreate:
        if (self.room_kind is None) == (self.room_id is None):
            raise ValueError("give either room_kind or room_id")
        return self


class FeeSchedulePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    room_kind: str | None
    room_id: int | None
    hourly: int
    half_day: int
    full_day: int
    weekend_percent: int
    evening_percent: int
    deposit: int
    equipment_fees: dict[str, int]
    purpose_percent: dict[str, int]
    refund_table: list[list[int]]
    advance_percent: int
    payment_days: int
    balance_days_before: int


def list_schedules(session: Session) -> list[FeeSchedule]:
    return list(session.exec(select(FeeSchedule).order_by(col(FeeSchedule.room_kind), col(FeeSchedule.room_id))))


def create_schedule(session: Session, actor: User, data: FeeScheduleCreate) -> FeeSchedule:
    """A schedule for a kind or a room that has none yet (a second one is a 409)."""
    ensure_role(actor, *MANAGING_ROLES)
    if data.room_id is not None and session.get(Room, data.room_id) is None:
        raise InvalidInput(_("Room {id} does not exist.", id=data.room_id))
    values = data.model_dump(exclude_none=True, mode="json")
    return create_row(session, actor, FeeSchedule(**values), entity="fee_schedule")


def update_schedule(session: Session, actor: User, schedule_id: int, changes: FeeRates) -> FeeSchedule:
    """Change rates; quotes already given keep the amounts they froze."""
    ensure_role(actor, *MANAGING_ROLES)
    schedule = get_row(session, FeeSchedule, schedule_id, "Fee schedule")
    return update_row(session, actor, schedule, changes.model_dump(exclude_none=True), entity="fee_schedule")
