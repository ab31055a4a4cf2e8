"""The durable half of commands: per device and channel, what is desired and what was reported."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from facility.core.db import utc_field, utcnow

# idle: only reported (nothing asked); pending: to be sent; sent: waiting for the device to
# report it; confirmed: reported as desired; failed: unconfirmed after the last attempt (alerted).
STATES = ("idle", "pending", "sent", "confirmed", "failed")
OPEN_STATES = ("pending", "sent")


class DesiredState(SQLModel, table=True):
    """One actuator channel of one device; the gateway sends rows that are pending or overdue."""

    __tablename__ = "desired_state"
    __table_args__ = (
        UniqueConstraint("device_id", "channel"),
        # The gateway's claim looks only at open rows: a short index however many devices.
        Index("ix_desired_state_open", "state", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    device_id: int = Field(foreign_key="device.id", index=True)
    channel: str = Field(max_length=40)
    kind: str = Field(sa_type=String(16))
    # Canonical text (facility/sensors/channels.py): `on`, `42`, `21.5`, `heat`.
    desired_value: str | None = Field(default=None, max_length=40)
    reported_value: str | None = Field(default=None, max_length=40)
    reported_at: datetime | None = utc_field(default=None, nullable=True)
    state: str = Field(default="idle", sa_type=String(10))
    attempts: int = Field(default=0)
    sent_at: datetime | None = utc_field(default=None, nullable=True)
    confirmed_at: datetime | None = utc_field(default=None, nullable=True)
    # A gateway claimed the row until then (it publishes outside the transaction); after it, the
    # row is free again, so a gateway that died between claim and publish delays nothing for long.
    lease_until: datetime | None = utc_field(default=None, nullable=True)
    # A manual value set with an expiry holds against automation until then.
    override_until: datetime | None = utc_field(default=None, nullable=True)
    actor: str = Field(default="", max_length=200)
    source: str = Field(default="manual", sa_type=String(16))
    updated_at: datetime = utc_field(default_factory=utcnow, nullable=False)
    alert_id: int | None = Field(default=None, foreign_key="alert.id")
