"""API shapes of commands: an actuator channel's desired and reported state."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class DesiredStatePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    device_id: int
    channel: str
    kind: str
    desired_value: str | None = None
    reported_value: str | None = None
    reported_at: datetime | None = None
    # idle (only reported), pending, sent, confirmed, failed
    state: str = "idle"
    attempts: int = 0
    sent_at: datetime | None = None
    confirmed_at: datetime | None = None
    override_until: datetime | None = None
    actor: str = ""
    source: str = ""
    alert_id: int | None = None


class DesiredStateUpdate(BaseModel):
    """A manager's value for the channel: on/off (or true/false) for a relay, 0-100 for a dimmer,
    5-35 °C for a setpoint, off/heat/cool/auto for a mode; `expires_at` makes it an override that
    automation cannot change until then."""

    value: bool | float | str = Field(examples=[21.5, "on", "heat"])
    expires_at: AwareDatetime | None = None
