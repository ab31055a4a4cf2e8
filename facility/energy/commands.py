"""The one place energy hands desired states to the command path (`sensors.desired.set_desired`).

`sensors` owns devices and each channel's desired and reported state; the gateway publishes and
confirms. Energy asks as the system actor with source "automation", so a manager's manual value
with an expiry holds against it until it expires.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from facility.core.errors import FacilityError
from facility.sensors import desired

log = logging.getLogger(__name__)
ACTOR = "system:energy"
SOURCE = "automation"


@dataclass(frozen=True)
class DesiredCommand:
    room_id: int
    device_id: int
    channel: str
    value: float | str | bool


def deliver(session: Session, commands: Sequence[DesiredCommand]) -> list[DesiredCommand]:
    """Every room's desired states in one go (`set_desired_many`: one locked read, one write);
    returns those the command path took. One a device cannot take (its ecosystem has no such
    channel kind) is logged and skipped, never the whole room's."""
    wishes = [desired.Wish(c.device_id, c.channel, c.value) for c in commands]
    _, refused = desired.set_desired_many(session, wishes, actor=ACTOR)
    skipped = {(w.device_id, w.channel) for w, _ in refused}
    for wish, reason in refused:
        log.warning("device %s: %s %s refused: %s", wish.device_id, wish.channel, wish.value, reason)
    return [c for c in commands if (c.device_id, c.channel) not in skipped]


def deliver_each(session: Session, commands: Sequence[DesiredCommand]) -> list[DesiredCommand]:
    """The same through one `set_desired` call a channel (the path before the bulk one; the
    benchmark compares the two)."""
    taken = []
    for command in commands:
        try:
            desired.set_desired(
                session,
                device_id=command.device_id,
                channel=command.channel,
                value=command.value,
                actor=ACTOR,
                source=SOURCE,
            )
        except FacilityError as error:
            log.warning("room %s: %s %s refused: %s", command.room_id, command.channel, command.value, error)
            continue
        taken.append(command)
    return taken
