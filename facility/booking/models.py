"""Tables of the booking domain: bookings, the space claims that forbid double booking, blocks,
series, waitlist, fees, invoices and payments (the e-mail outbox is core's)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Float, FunctionElement, Index, String, text
from sqlalchemy import false as sa_false
from sqlalchemy.ext.compiler import compiles
from sqlmodel import Field, SQLModel

from facility.core.db import utc_field, utcnow


class BookingStatus(StrEnum):
    held = "held"
    requested = "requested"
    approved = "approved"
    rejected = "rejected"
    confirmed = "confirmed"
    checked_in = "checked_in"
    completed = "completed"
    cancelled = "cancelled"
    no_show = "no_show"
    expired = "expired"


# A booking in one of these holds its slot; the others have freed it.
ACTIVE_STATUSES = frozenset(
    {
        BookingStatus.held,
        BookingStatus.requested,
        BookingStatus.approved,
        BookingStatus.confirmed,
        BookingStatus.checked_in,
        BookingStatus.completed,
    }
)
# Pending bookings an Institute block may be placed over (the manager then moves them).
PENDING_STATUSES = frozenset({BookingStatus.held, BookingStatus.requested})
# Firm bookings: a block over one of these is refused.
FIRM_STATUSES = ACTIVE_STATUSES - PENDING_STATUSES


class BlockKind(StrEnum):
    training = "training"
    maintenance = "maintenance"
    closure = "closure"


class BookingSeries(SQLModel, table=True):
    """A recurring request: an RRULE in local time; each occurrence is a Booking."""

    __tablename__ = "booking_series"

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    title: str = Field(max_length=200)
    attendees: int = Field(default=1, ge=0)
    rrule: str = Field(max_length=500)
    # The first occurrence's start and the local wall-clock length of every occurrence.
    first_starts_at: datetime = utc_field(nullable=False)
    duration_minutes: int = Field(ge=1)
    # Original local starts (ISO) of occurrences deleted from the series; they stay deleted.
    exdates: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = Field(default=True)
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


LONG_CLAIM = timedelta(days=1)


class claim_seconds(FunctionElement[float]):  # noqa: N801 (an SQL function, named like one)
    """A claim's length in seconds: one spelling for the index `ix_space_claim_long` and the queries
    that must match it (SQLite's julianday keeps milliseconds in a float: compare with slack)."""

    type = Float()
    inherit_cache = True


@compiles(claim_seconds, "postgresql")
def _claim_seconds_postgresql(_element: claim_seconds, _compiler: Any, **_kw: Any) -> str:
    return "extract(epoch from (ends_at - starts_at))"


@compiles(claim_seconds, "sqlite")
def _claim_seconds_sqlite(_element: claim_seconds, _compiler: Any, **_kw: Any) -> str:
    return "((julianday(ends_at) - julianday(starts_at)) * 86400)"


class Booking(SQLModel, table=True):
    __tablename__ = "booking"
    __table_args__ = (
        Index("ix_booking_room_period", "room_id", "starts_at", "ends_at"),
        # Housekeeping reads "approved or confirmed, started before ..." (migration 0007).
        Index("ix_booking_status_start", "status", "starts_at"),
        # Bookings longer than a day, for window reads (overview.in_window, migration 0032).
        Index("ix_booking_long", claim_seconds()),
    )

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    series_id: int | None = Field(default=None, foreign_key="booking_series.id", index=True)
    # The occurrence's original start in its series (stable when the occurrence is moved).
    occurrence_key: str | None = Field(default=None, max_length=40)
    title: str = Field(max_length=200)
    attendees: int = Field(default=1, ge=0)
    layout: str | None = Field(default=None, max_length=20)
    notes: str = Field(default="", max_length=2000)
    starts_at: datetime = utc_field(nullable=False, index=True)
    ends_at: datetime = utc_field(nullable=False, index=True)
    status: str = Field(default=BookingStatus.requested.value, sa_type=String(20))
    status_reason: str = Field(default="", max_length=500)
    hold_expires_at: datetime | None = utc_field(default=None, nullable=True)
    # Set while an Institute block displaced this pending booking (its claim is suspended).
    displaced_by_block_id: int | None = Field(default=None, foreign_key="booking_block.id")
    checked_in_at: datetime | None = utc_field(default=None, nullable=True)
    decided_at: datetime | None = utc_field(default=None, nullable=True)
    cancelled_at: datetime | None = utc_field(default=None, nullable=True)
    reminded_at: datetime | None = utc_field(default=None, nullable=True)
    equipment: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The quote computed at request time, frozen (KRW, integers): lines, net, vat, total, deposit.
    quote: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    price_total: int = Field(default=0)
    cancellation_fee: int = Field(default=0)
    # The declared purpose (booking/purposes.py): refused ones never get here; it picks the fee tier.
    purpose: str = Field(default="general", max_length=30)
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    updated_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class Block(SQLModel, table=True):
    """An Institute block (training course blackout, maintenance, closure) that claims a space."""

    __tablename__ = "booking_block"

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    kind: str = Field(default=BlockKind.maintenance.value, sa_type=String(20), index=True)
    reason: str = Field(default="", max_length=500)
    source_ref: str = Field(default="", max_length=100, index=True)
    starts_at: datetime = utc_field(nullable=False, index=True)
    ends_at: datetime = utc_field(nullable=False)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    removed_at: datetime | None = utc_field(default=None, nullable=True)


# Claims longer than this are "long" (multi-day blocks); every booking's claim is shorter. Window
# reads treat the two apart (claims.overlapping).
class SpaceClaim(SQLModel, table=True):
    """One atomic space held for a buffered time range by a booking or a block.

    On PostgreSQL the exclusion constraint `ex_space_claim_no_overlap` (migration 0002) refuses two
    active claims on the same space whose ranges overlap, unless both belong to blocks
    (`share_key` 0): Institute blocks may overlap each other, nothing else may.
    """

    __tablename__ = "space_claim"
    __table_args__ = (
        Index("ix_space_claim_space_period", "space_id", "starts_at", "ends_at"),
        # Window reads (see claims.overlapping and migration 0006).
        Index("ix_space_claim_period", "starts_at", "ends_at", "space_id", "active"),
        Index("ix_space_claim_long", claim_seconds()),
    )

    id: int | None = Field(default=None, primary_key=True)
    space_id: int = Field(foreign_key="room.id")
    booking_id: int | None = Field(default=None, foreign_key="booking.id", index=True)
    block_id: int | None = Field(default=None, foreign_key="booking_block.id", index=True)
    # The booking's id for a booking, 0 for a block (see the class docstring).
    share_key: int = Field(default=0)
    starts_at: datetime = utc_field(nullable=False)
    ends_at: datetime = utc_field(nullable=False)
    active: bool = Field(default=True)


class WaitlistStatus(StrEnum):
    waiting = "waiting"
    offered = "offered"
    cancelled = "cancelled"
    lapsed = "lapsed"


# One live entry per organisation, room and slot: a renter pressing "join" twice queues once.
LIVE_WAITLIST = text("status IN ('waiting', 'offered')")


class WaitlistEntry(SQLModel, table=True):
    __tablename__ = "waitlist_entry"
    __table_args__ = (
        Index(
            "uq_waitlist_live_slot",
            "organization_id",
            "room_id",
            "starts_at",
            "ends_at",
            unique=True,
            postgresql_where=LIVE_WAITLIST,
            sqlite_where=LIVE_WAITLIST,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    user_id: int = Field(foreign_key="user_account.id")
    title: str = Field(max_length=200)
    attendees: int = Field(default=1, ge=0)
    starts_at: datetime = utc_field(nullable=False, index=True)
    ends_at: datetime = utc_field(nullable=False)
    status: str = Field(default=WaitlistStatus.waiting.value, sa_type=String(20), index=True)
    booking_id: int | None = Field(default=None, foreign_key="booking.id")
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class FeeSchedule(SQLModel, table=True):
    """Rates for one room, or for every room of a kind (a room's own schedule wins). KRW."""

    __tablename__ = "fee_schedule"

    id: int | None = Field(default=None, primary_key=True)
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True, unique=True)
    room_kind: str | None = Field(default=None, max_length=40, index=True, unique=True)
    hourly: int = Field(default=0, ge=0)
    half_day: int = Field(default=0, ge=0, description="up to 4 hours; 0 = charge hourly")
    full_day: int = Field(default=0, ge=0, description="up to 9 hours; 0 = charge hourly")
    weekend_percent: int = Field(default=120, ge=0)
    evening_percent: int = Field(default=130, ge=0, description="hours from 18:00 local")
    deposit: int = Field(default=0, ge=0)
    equipment_fees: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Percent of the rate per purpose (booking/purposes.py), e.g. {"exam": 150}; missing = 100.
    purpose_percent: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # [[days before the start at least, percent deducted], ...]; empty = pricing's default table.
    refund_table: list[list[int]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # 계약금: percent of the total due within `payment_days` of approval; the balance is due
    # `balance_days_before` days before the start. 0 % = the whole total by the first deadline.
    advance_percent: int = Field(default=0, ge=0, le=100)
    payment_days: int = Field(default=14, ge=0)
    balance_days_before: int = Field(default=3, ge=0)


class OrganizationQuota(SQLModel, table=True):
    """Booked hours per month an organisation may hold, overriding the default."""

    __tablename__ = "organization_quota"

    organization_id: int = Field(foreign_key="organization.id", primary_key=True)
    hours_per_month: int = Field(ge=0)


class Closure(SQLModel, table=True):
    """A day the whole Institute is closed, besides the public holidays."""

    __tablename__ = "institute_closure"

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(unique=True, index=True)
    name: str = Field(max_length=200)


class InvoiceStatus(StrEnum):
    issued = "issued"
    paid = "paid"
    void = "void"


class InvoiceCounter(SQLModel, table=True):
    """The last invoice number used per year; its row lock keeps numbers gap-free and unique."""

    __tablename__ = "invoice_counter"

    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = Field(default=0)


# One live (not void) invoice per booking and kind: racing approvals cannot bill twice.
LIVE_INVOICE = text("status <> 'void'")


class Invoice(SQLModel, table=True):
    __tablename__ = "invoice"
    __table_args__ = (
        Index(
            "uq_invoice_live_kind",
            "booking_id",
            "kind",
            unique=True,
            postgresql_where=LIVE_INVOICE,
            sqlite_where=LIVE_INVOICE,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True, index=True)
    booking_id: int = Field(foreign_key="booking.id", index=True)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    kind: str = Field(default="rental", max_length=20)
    lines: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    net: int = Field(default=0)
    vat: int = Field(default=0)
    total: int = Field(default=0)
    paid: int = Field(default=0)
    status: str = Field(default=InvoiceStatus.issued.value, sa_type=String(20), index=True)
    issued_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    due_on: date
    # Charged with VAT, so a 전자세금계산서 is due (booking/tax_invoices.py exports it).
    taxable: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})


class Payment(SQLModel, table=True):
    __tablename__ = "payment"

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    amount: int
    paid_on: date
    method: str = Field(default="bank_transfer", max_length=20)
    reference: str = Field(default="", max_length=100)
    recorded_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class DepositStatus(StrEnum):
    matched = "matched"
    unmatched = "unmatched"


class BankDeposit(SQLModel, table=True):
    """One deposit line of an imported bank statement. `fingerprint` (unique) is the line itself
    hashed, so the same statement imported twice inserts, and pays, each deposit once."""

    __tablename__ = "bank_deposit"

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(max_length=64, unique=True)
    deposited_at: datetime = utc_field(nullable=False)
    amount: int
    depositor: str = Field(default="", max_length=100)
    memo: str = Field(default="", max_length=200)
    balance: int | None = Field(default=None, sa_type=BigInteger)
    status: str = Field(default=DepositStatus.unmatched.value, sa_type=String(20), index=True)
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id")
    payment_id: int | None = Field(default=None, foreign_key="payment.id")
    imported_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)
