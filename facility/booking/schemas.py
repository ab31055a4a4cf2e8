"""API shapes of the booking domain, and `booking_public`, which turns a booking into its shape."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from facility.booking.common import local_zone
from facility.booking.models import Booking
from facility.core.models import User
from facility.rooms.kinds import Layout
from facility.rooms.schemas import RoomPublic


class BookingCreate(BaseModel):
    room_id: int
    start: AwareDatetime
    end: AwareDatetime
    title: str = Field(min_length=1, max_length=200)
    attendees: int = Field(default=1, ge=1, le=10_000)
    layout: Layout | None = None
    equipment: dict[str, int] = Field(default_factory=dict)
    notes: str = Field(default="", max_length=2000)
    # Hold the slot first (it expires unless submitted); otherwise submit the request at once.
    hold: bool = False
    # Staff booking on behalf of an organisation; renters always book for their own.
    organization_id: int | None = None
    # What the room is for (booking/purposes.py): political, religious and commercial use is refused.
    purpose: str = Field(default="general", max_length=30)


class BookingPublic(BaseModel):
    """A booking as every role that may read it sees it: crew included, so without its money."""

    id: int
    room_id: int
    organization_id: int | None
    user_id: int | None
    series_id: int | None
    title: str
    attendees: int
    layout: str | None
    notes: str
    start: datetime
    end: datetime
    status: str
    status_reason: str
    hold_expires_at: datetime | None
    displaced_by_block_id: int | None
    checked_in_at: datetime | None
    created_at: datetime


class BookingPriced(BookingPublic):
    """A booking with its price, quote and cancellation fee: for its renters and managers."""

    price: int
    quote: dict[str, Any]
    cancellation_fee: int


# What a booking endpoint answers: the priced shape first, so a priced booking keeps its money.
BookingShown = BookingPriced | BookingPublic


class BookingList(BaseModel):
    items: list[BookingShown]
    total: int


class Reason(BaseModel):
    reason: str = Field(default="", max_length=500)


class BookingMove(BaseModel):
    start: AwareDatetime
    end: AwareDatetime
    # Another room (managers, one occurrence at a time); absent keeps the booking's room.
    room_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class Slot(BaseModel):
    start: datetime
    end: datetime


class RoomAvailability(BaseModel):
    room: RoomPublic
    free: list[Slot]


class RoomSummary(BaseModel):
    """The room as the availability search lists it (GET /rooms/{id} has the full detail)."""

    id: int
    code: str
    name_ko: str
    name_en: str
    kind: str
    capacity: int
    building: str
    status: str
    bookable_external: bool
    parent_id: int | None


class RoomFreeSlots(BaseModel):
    room: RoomSummary
    free: list[Slot]


class AvailabilityList(BaseModel):
    items: list[RoomFreeSlots]


class BlockCreate(BaseModel):
    room_id: int
    start: AwareDatetime
    end: AwareDatetime
    reason: str = Field(min_length=1, max_length=500)
    kind: str = Field(default="training", pattern="^(training|maintenance|closure)$")
    source_ref: str = Field(default="", max_length=100)


class BlockPublic(BaseModel):
    id: int
    room_id: int
    kind: str
    reason: str
    source_ref: str
    start: datetime
    end: datetime
    removed_at: datetime | None


class BlockPlaced(BaseModel):
    block: BlockPublic
    displaced: list[BookingShown]


class QuoteRequest(BaseModel):
    room_id: int
    start: AwareDatetime
    end: AwareDatetime
    equipment: dict[str, int] = Field(default_factory=dict)
    purpose: str = Field(default="general", max_length=30)


class PaymentCreate(BaseModel):
    amount: int = Field(gt=0)
    paid_on: date
    method: str = Field(default="bank_transfer", pattern="^(bank_transfer|card|cash|other)$")
    reference: str = Field(default="", max_length=100)


class InvoicePublic(BaseModel):
    id: int
    number: str
    booking_id: int
    organization_id: int | None
    kind: str
    lines: list[dict[str, Any]]
    net: int
    vat: int
    total: int
    paid: int
    status: str
    issued_at: datetime
    due_on: date
    taxable: bool = False


class SeriesCreate(BaseModel):
    room_id: int
    start: AwareDatetime
    end: AwareDatetime
    rrule: str = Field(min_length=5, max_length=500)
    exdates: list[date] = Field(default_factory=list)
    title: str = Field(min_length=1, max_length=200)
    attendees: int = Field(default=1, ge=1, le=10_000)
    # Preview returns the per-occurrence report without booking anything.
    preview: bool = False
    # Book the free occurrences and skip the conflicting ones (otherwise any conflict refuses all).
    skip_conflicts: bool = False


class WaitlistCreate(BaseModel):
    room_id: int
    start: AwareDatetime
    end: AwareDatetime
    title: str = Field(min_length=1, max_length=200)
    attendees: int = Field(default=1, ge=1, le=10_000)


def sees_prices(viewer: User) -> bool:
    """Renters (of their own organisation's bookings) and managers see prices; crew do not."""
    return not viewer.is_staff or viewer.is_manager


def booking_public(booking: Booking, viewer: User) -> BookingPublic:
    """A booking as the API shows it to `viewer`: times in the campus zone, and (unless the viewer
    is crew) its price, quote and cancellation fee."""
    zone = local_zone()
    shown = BookingPublic(
        **booking.model_dump(exclude={"starts_at", "ends_at", "price_total", "quote", "cancellation_fee"}),
        start=booking.starts_at.astimezone(zone),
        end=booking.ends_at.astimezone(zone),
    )
    if not sees_prices(viewer):
        return shown
    return BookingPriced(
        **shown.model_dump(),
        price=booking.price_total,
        quote=booking.quote,
        cancellation_fee=booking.cancellation_fee,
    )
