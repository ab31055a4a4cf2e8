"""API shapes of the sensors domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class LatestValue(BaseModel):
    value: float
    unit: str
    ts: datetime


class SeriesPoint(BaseModel):
    ts: datetime
    value: float


class Series(BaseModel):
    metric: str
    unit: str
    every_seconds: int | None
    points: list[SeriesPoint]


class DevicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    profile: str
    room_id: int | None
    reported_building: str
    reported_room: str
    label: str
    metrics: list[str]
    # Fields of its last message no profile reads (name -> value), e.g. a decoder nobody mapped.
    raw_fields: dict[str, Any] = {}
    online: bool
    first_seen_at: datetime
    last_seen_at: datetime
    placed_at: datetime | None


class RoomSuggestion(BaseModel):
    room_id: int
    code: str
    name_ko: str
    name_en: str
    # 1.0 is an exact match of the device's id or reported room; from 0.55 up is shown.
    score: float
    matched: str


class DevicePlacement(BaseModel):
    room_id: int | None = Field(ge=1, le=2**31 - 1)


class AlertPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rule: str
    room_id: int | None
    device_id: int | None
    metric: str
    severity: str
    state: str
    message: str
    value: float | None
    raised_at: datetime
    cleared_at: datetime | None
    acknowledged_at: datetime | None = None
    acknowledged_by: int | None = None
    acknowledge_note: str = ""
    assignee_id: int | None = None
    snoozed_until: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: int | None = None
    resolve_note: str = ""


class AlertNote(BaseModel):
    note: str = Field(default="", max_length=500)


class AlertAssign(BaseModel):
    assignee_id: int = Field(ge=1, le=2**31 - 1)


class AlertSnooze(BaseModel):
    until: AwareDatetime


class DeadLetterPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    received_at: datetime
    topic: str
    payload: str
    reason: str
    detail: str
    gateway: str


class MetricPublic(BaseModel):
    name: str
    label: str
    unit: str
    low: float
    high: float
    decimals: int
    units: list[str]
    states: list[str]
    # Chart guide lines: the default alert limit's bounds.
    guides: list[float]


class UtilisationPublic(BaseModel):
    room_id: int
    start: datetime
    end: datetime
    slots_measured: int
    slots_occupied: int
    occupied_share: float | None
    peak_people: int | None


class AlertRuleOverride(BaseModel):
    """One rule changed for all rooms (no kind, no room), a room kind or one room; null keeps the
    wider scope's value."""

    model_config = ConfigDict(from_attributes=True, allow_inf_nan=False, extra="forbid")

    rule: str = Field(max_length=64)
    room_kind: str | None = Field(default=None, max_length=40)
    room_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    above: float | None = None
    below: float | None = None
    delay_minutes: float | None = None
    enabled: bool = True


class AlertRuleDefault(BaseModel):
    name: str
    metric: str
    severity: str
    above: float | None
    below: float | None
    hysteresis: float
    delay_minutes: float
    room_kinds: list[str] | None
    only_when_booked: bool


class AlertRulesPublic(BaseModel):
    version: int
    saved_at: datetime | None
    saved_by: int | None
    note: str
    defaults: list[AlertRuleDefault]
    overrides: list[AlertRuleOverride]


class AlertRulesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # The version the change was made on (0 before the first save): a stale one is refused (409).
    version: int = Field(ge=0)
    overrides: list[AlertRuleOverride] = Field(max_length=500)
    note: str = Field(default="", max_length=300)
