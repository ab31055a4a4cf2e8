"""The one place energy hands desired states to the command path.

`sensors` owns devices and their desired and reported state; energy only says what it wants. Until
the command path's `set_desired` is on main, this returns the plan (device, channel, value) so the
drive step is one thin call either way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

ACTOR = "system:energy"
SOURCE = "automation"


@dataclass(frozen=True)
class DesiredCommand:
    room_id: int
    device_id: int
    channel: str
    value: float | str | bool


def deliver(
    session: Session, commands: Sequence[DesiredCommand], *, expires_at: datetime | None = None
) -> list[DesiredCommand]:
    """Set each desired state through the command path; returns what was asked for."""
    del session, expires_at
    return list(commands)
