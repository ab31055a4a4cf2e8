"""Tables of the public-rental rules: lotteries for contested slots and their entries, and
reduction (감면) claims with their proof and the officer's decision."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from facility.core.db import utc_field, utcnow


class LotteryStatus(StrEnum):
    open = "open"
    drawn = "drawn"


class Lottery(SQLModel, table=True):
    """Slots of one room given out by a draw instead of first come: renters apply within the
    window; the draw orders them by a hash of the published seed."""

    __tablename__ = "lottery"

    id: int | None = Field(default=None, primary_key=True)
    room_id: int = Field(foreign_key="room.id", index=True)
    title: str = Field(max_length=200)
    # [{"starts_at": iso, "ends_at": iso}, ...] in UTC; an entry names its slot by index.
    slots: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    opens_at: datetime = utc_field(nullable=False)
    closes_at: datetime = utc_field(nullable=False)
    # Wins (and active bookings) an organisation may hold per local month: anywhere, and in this room.
    cap_per_org_month: int = Field(default=0, ge=0, description="0 = no cap")
    cap_per_room_month: int = Field(default=1, ge=0, description="0 = no cap")
    # Whether the caps also count the organisation's ordinary (first-come) bookings in the month.
    caps_count_bookings: bool = Field(default=False)
    # Empty: single slots. An RRULE (local time): each slot is the first occurrence of a series
    # (e.g. every Tuesday 19-21 for a term) and a winner gets the whole series.
    rrule: str = Field(default="", max_length=200)
    # Its SHA-256 is published while applications are open; the seed itself once drawn.
    seed: str = Field(max_length=64)
    status: str = Field(default=LotteryStatus.open.value, sa_type=String(10), index=True)
    # The audit of the draw: every entry in drawn order with its outcome.
    draw_order: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    drawn_at: datetime | None = utc_field(default=None, nullable=True)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class EntryOutcome(StrEnum):
    pending = "pending"
    won = "won"
    lost = "lost"
    capped = "capped"
    promoted = "promoted"
    forfeited = "forfeited"


class LotteryEntry(SQLModel, table=True):
    """One organisation's application for one slot of a lottery (one per slot and organisation)."""

    __tablename__ = "lottery_entry"
    __table_args__ = (UniqueConstraint("lottery_id", "slot_index", "organization_id"),)

    id: int | None = Field(default=None, primary_key=True)
    lottery_id: int = Field(foreign_key="lottery.id", index=True)
    slot_index: int = Field(ge=0)
    # The slot's start, copied: monthly caps count wins across lotteries by it.
    starts_at: datetime = utc_field(nullable=False, index=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    user_id: int = Field(foreign_key="user_account.id")
    title: str = Field(max_length=200)
    attendees: int = Field(default=1, ge=1)
    purpose: str = Field(default="general", max_length=30)
    rank: int | None = Field(default=None)
    outcome: str = Field(default=EntryOutcome.pending.value, sa_type=String(12))
    booking_id: int | None = Field(default=None, foreign_key="booking.id")
    # A series lottery's win: the series booked (booking_id is its first occurrence).
    series_id: int | None = Field(default=None, foreign_key="booking_series.id")
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class ClaimStatus(StrEnum):
    pending = "pending"
    verified = "verified"
    rejected = "rejected"


class ReductionClaim(SQLModel, table=True):
    """A renter's claim to a reduction category for one booking, with its proof; only a verified
    claim lowers the price (booking/reductions.py)."""

    __tablename__ = "reduction_claim"

    id: int | None = Field(default=None, primary_key=True)
    booking_id: int = Field(foreign_key="booking.id", index=True)
    category: str = Field(max_length=30)
    percent: int = Field(ge=0, le=100)
    proof_name: str = Field(default="", max_length=200)
    proof_type: str = Field(default="", max_length=100)
    proof: bytes = Field(default=b"", sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default=ClaimStatus.pending.value, sa_type=String(10), index=True)
    note: str = Field(default="", max_length=500)
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    decided_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    decided_at: datetime | None = utc_field(default=None, nullable=True)
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class ReductionCategory(SQLModel, table=True):
    """One version of a reduction category as an admin set it; the highest version of a code is
    the one in force (no row: the built-in default in reductions.DEFAULTS). Rows are never edited,
    so the history of every rate stays readable."""

    __tablename__ = "reduction_category"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=30, index=True)
    version: int = Field(ge=1)
    percent: int = Field(ge=0, le=100)
    proof_required: bool = Field(default=True)
    name_ko: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    proof_hint: str = Field(default="", max_length=300)
    active: bool = Field(default=True)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)
