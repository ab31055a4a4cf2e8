"""API shapes of the energy domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, Field

from facility.energy.kinds import EnergyKind, Mode


class SourcePublic(BaseModel):
    source: str
    id: int
    title: str
    start: datetime
    end: datetime
    all_day: bool


class SegmentPublic(BaseModel):
    """One stretch of the day in one mode; a comfort one lists the bookings, series and blocks it serves."""

    mode: Mode
    start: datetime
    end: datetime
    sources: list[SourcePublic]


class ComfortWindowsPublic(BaseModel):
    room_id: int
    date: date
    energy_kind: EnergyKind
    lead_minutes: int
    hold_minutes: int
    always_on: bool
    windows: list[SegmentPublic]


class ReportRowPublic(BaseModel):
    key: str
    kwh: float
    booked_hours: float
    conditioned_hours: float
    kwh_per_booked_hour: float | None
    baseline_kwh: float
    savings_kwh: float
    savings_percent: float | None
    rooms: int


class EnergyReportPublic(BaseModel):
    start: date = Field(serialization_alias="from")
    end: date = Field(serialization_alias="to")
    by: str
    rows: list[ReportRowPublic]
    total: ReportRowPublic
    months: list[ReportRowPublic]


class ModeActionIn(BaseModel):
    """One cell of the mode table; an empty value takes the channel out of the mode."""

    energy_kind: Annotated[str, Field(max_length=20)]
    mode: Annotated[str, Field(max_length=20)]
    channel: Annotated[str, Field(max_length=40)]
    value: Annotated[str, Field(max_length=40)] = ""


class OverrideIn(BaseModel):
    """Hold the room in `mode` until `until`; no mode clears the override."""

    mode: Mode | None = None
    until: datetime | None = None
