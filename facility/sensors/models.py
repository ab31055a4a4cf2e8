"""Tables of the sensors domain: devices, alerts, alert watches and rule versions, dead letters, embedded
readings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, String, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from facility.core.db import utc_field, utcnow


class Device(SQLModel, table=True):
    """Every device the gateway has seen; room_id None means unassigned (a manager places it)."""

    id: int | None = Field(default=None, primary_key=True)
    # `<profile>:<the device's own id>` (friendly name, Tasmota topic, DevEUI...); bare for `facility`.
    code: str = Field(max_length=64, unique=True, index=True)
    # The device profile that first read it (facility, zigbee2mqtt, tasmota, shelly, ...).
    profile: str = Field(default="facility", max_length=32)
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True)
    # Where the device says it is (its topic); a hint for the manager placing it.
    reported_building: str = Field(default="", max_length=64)
    reported_room: str = Field(default="", max_length=64)
    label: str = Field(default="", max_length=200)
    metrics: str = Field(default="", max_length=500)
    # JSON of the fields its last message carried that no profile reads (name -> value): shown on
    # the devices page, so a device nobody mapped is seen with what it says.
    raw_fields: str = Field(default="", max_length=1000)
    online: bool = Field(default=True)
    first_seen_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    last_seen_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    placed_at: datetime | None = utc_field(default=None, nullable=True)


UNHANDLED_ALERT = text("work_order_handled_at IS NULL")


class Alert(SQLModel, table=True):
    __table_args__ = (
        Index("ix_alert_state_rule", "state", "rule"),
        # The alerts maintenance's job has still to look at: a short index however long the history.
        Index("ix_alert_unhandled", "id", postgresql_where=UNHANDLED_ALERT, sqlite_where=UNHANDLED_ALERT),
    )

    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(max_length=64)
    room_id: int | None = Field(default=None, foreign_key="room.id", index=True)
    device_id: int | None = Field(default=None, foreign_key="device.id", index=True)
    metric: str = Field(max_length=40)
    severity: str = Field(sa_type=String(10))
    state: str = Field(default="active", sa_type=String(10))
    message: str = Field(max_length=500)
    value: float | None = Field(default=None)
    raised_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    cleared_at: datetime | None = utc_field(default=None, nullable=True)
    # Staff work an alert: who saw it, who owns it, until when it waits, who closed it and how.
    acknowledged_at: datetime | None = utc_field(default=None, nullable=True)
    acknowledged_by: int | None = Field(default=None, foreign_key="user_account.id")
    acknowledge_note: str = Field(default="", max_length=500)
    assignee_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    snoozed_until: datetime | None = utc_field(default=None, nullable=True)
    resolved_at: datetime | None = utc_field(default=None, nullable=True)
    resolved_by: int | None = Field(default=None, foreign_key="user_account.id")
    resolve_note: str = Field(default="", max_length=500)
    # When the job that turns alerts into work (maintenance, registered by the app) took this one:
    # a mark on the row, not a cursor by id, because alerts commit out of id order.
    work_order_handled_at: datetime | None = utc_field(default=None, nullable=True)


class AlertWatch(SQLModel, table=True):
    """Per rule and device: since when the condition has held, so minimum durations survive restarts."""

    __tablename__ = "alert_watch"
    __table_args__ = (UniqueConstraint("rule", "device_id", "metric"),)

    id: int | None = Field(default=None, primary_key=True)
    rule: str = Field(max_length=64)
    device_id: int = Field(foreign_key="device.id", index=True)
    metric: str = Field(max_length=40)
    breached_since: datetime | None = utc_field(default=None, nullable=True)
    alert_id: int | None = Field(default=None, foreign_key="alert.id")
    last_ts: datetime | None = utc_field(default=None, nullable=True)


class DeadLetter(SQLModel, table=True):
    __tablename__ = "dead_letter"

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = utc_field(default_factory=utcnow, nullable=False, index=True)
    topic: str = Field(max_length=300)
    payload: str = Field(max_length=2000)
    reason: str = Field(max_length=40, index=True)
    detail: str = Field(default="", max_length=300)
    gateway: str = Field(default="", max_length=100)
    # The profile whose topic it was ("" when no profile's filter matched).
    profile: str = Field(default="", max_length=32)


class SensorReading(SQLModel, table=True):
    """The embedded reading store (when no InfluxDB is configured): one row per point."""

    __tablename__ = "sensor_reading"
    __table_args__ = (UniqueConstraint("device", "metric", "ts"),)

    id: int | None = Field(default=None, primary_key=True)
    device: str = Field(max_length=64)
    metric: str = Field(max_length=40)
    building: str = Field(default="", max_length=64)
    room: str = Field(default="", max_length=64)
    value: float
    ts: datetime = utc_field(nullable=False, index=True)


class SensorLatest(SQLModel, table=True):
    """Newest value per device and metric of the embedded store, so the board reads one row each."""

    __tablename__ = "sensor_latest"

    device: str = Field(max_length=64, primary_key=True)
    metric: str = Field(max_length=40, primary_key=True)
    value: float
    ts: datetime = utc_field(nullable=False)


class AlertRuleVersion(SQLModel, table=True):
    """Every saved set of alert-rule changes, newest wins: the history is the table, nothing is
    overwritten, so a manager can see what the limits were when an alert was (or was not) raised."""

    __tablename__ = "alert_rule_version"

    id: int | None = Field(default=None, primary_key=True)
    # The overrides as saved (facility/sensors/rule_settings.py): rule, scope, limits, delay, on/off.
    overrides: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    note: str = Field(default="", max_length=300)
    created_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")


class FloorDrawing(SQLModel, table=True):
    """A floor's uploaded SVG plan, stored only after sanitising (plan_drawings.clean_svg): the
    plan page colours its elements whose id is a room code; without one the grid is generated."""

    __tablename__ = "floor_drawing"

    id: int | None = Field(default=None, primary_key=True)
    floor_id: int = Field(foreign_key="floor.id", unique=True)
    svg: str = Field(sa_column=Column(Text, nullable=False))
    uploaded_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    uploaded_by: int | None = Field(default=None, foreign_key="user_account.id")
