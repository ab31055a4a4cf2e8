"""Tables of the energy domain: per-room window settings, the mode table, meters, each room's mode."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from facility.core.db import utc_field, utcnow


class RoomEnergySetting(SQLModel, table=True):
    """A room's own lead, hold and always-on flag (None: its kind's default), and the learned lead."""

    __tablename__ = "energy_room_setting"

    room_id: int = Field(foreign_key="room.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    lead_minutes: int | None = Field(default=None, ge=0, le=600)
    hold_minutes: int | None = Field(default=None, ge=0, le=600)
    always_on: bool | None = Field(default=None)
    learned_lead_minutes: int | None = Field(default=None, ge=0)
    learned_at: datetime | None = utc_field(default=None, nullable=True)
    updated_at: datetime = utc_field(default_factory=utcnow, nullable=False)


class ModeAction(SQLModel, table=True):
    """One row of the manager's mode table: in `mode`, rooms of `energy_kind` set `channel` to `value`."""

    __tablename__ = "energy_mode_action"
    __table_args__ = (UniqueConstraint("energy_kind", "mode", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    energy_kind: str = Field(sa_type=String(20))
    mode: str = Field(sa_type=String(20))
    channel: str = Field(max_length=40)
    value: str = Field(max_length=40)


class EnergyMeter(SQLModel, table=True):
    """An energy meter (a device reporting the `energy` metric) and the room whose load it measures."""

    __tablename__ = "energy_meter"

    device_id: int = Field(foreign_key="device.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    room_id: int = Field(foreign_key="room.id", index=True)


class RoomModeState(SQLModel, table=True):
    """The mode each room was last driven to, and a manager's override with its expiry."""

    __tablename__ = "energy_room_state"

    room_id: int = Field(foreign_key="room.id", primary_key=True, sa_column_kwargs={"autoincrement": False})
    mode: str = Field(sa_type=String(20))
    since: datetime = utc_field(nullable=False)
    reason: str = Field(default="", max_length=40)
    override_mode: str | None = Field(default=None, sa_type=String(20))
    override_until: datetime | None = utc_field(default=None, nullable=True)
    override_by: int | None = Field(default=None, foreign_key="user_account.id")
