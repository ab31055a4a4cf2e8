"""The mode table: what each mode sets on each kind of room's actuators, editable by a manager.

Defaults live here as data; a manager's row for (kind, mode, channel) replaces the default's value,
and an empty value takes the channel out of that mode. Channels and values are the command path's
(facility/sensors/channels.py): `setpoint` (°C), `mode` (auto, heat, cool, off), and by campus
convention `relay:1` for ventilation and `relay:2` for lights. The defaults are the heating
season's; for summer a manager sets, say, economy to `cool` at 28 °C.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User
from facility.energy.kinds import EnergyKind, Mode
from facility.energy.models import ModeAction
from facility.sensors import channels as sensor_channels

CHANNELS = ("setpoint", "mode", "relay:1", "relay:2")
# The values a pick list offers (a setpoint is a number the command path bounds).
CHANNEL_VALUES = {"mode": sensor_channels.MODES, "relay:1": ("on", "off"), "relay:2": ("on", "off")}

_BASE: dict[Mode, dict[str, str]] = {
    # Lights are never switched on by automation: people do that.
    Mode.comfort: {"setpoint": "22", "mode": "auto", "relay:1": "on"},
    Mode.pre_comfort: {"setpoint": "20", "mode": "auto", "relay:1": "on"},
    Mode.economy: {"setpoint": "18", "mode": "heat", "relay:1": "off", "relay:2": "off"},
    # Frost protection only: the plant is never simply off.
    Mode.protection: {"setpoint": "12", "mode": "heat", "relay:1": "off", "relay:2": "off"},
}
DEFAULTS: dict[EnergyKind, dict[Mode, dict[str, str]]] = {
    EnergyKind.hall: _BASE,
    EnergyKind.lecture: _BASE,
    EnergyKind.studio: {**_BASE, Mode.comfort: {**_BASE[Mode.comfort], "setpoint": "21"}},
    EnergyKind.dormitory: {**_BASE, Mode.economy: {"setpoint": "19", "mode": "heat"}},
    EnergyKind.always_on: {mode: {"mode": "auto"} for mode in Mode},
}
EDITABLE_KINDS = tuple(DEFAULTS)


@dataclass(frozen=True)
class Action:
    channel: str
    value: str

    def typed(self) -> float | str | bool:
        """The value as the command path takes it: a number for a setpoint, a bool for a relay."""
        if self.channel == "setpoint":
            return float(self.value)
        if self.channel.startswith("relay"):
            return self.value == "on"
        return self.value


def mode_table(session: Session) -> dict[EnergyKind, dict[Mode, dict[str, str]]]:
    """The defaults with the manager's rows applied."""
    table = {kind: {mode: dict(DEFAULTS[kind].get(mode, {})) for mode in Mode} for kind in EDITABLE_KINDS}
    for row in session.exec(select(ModeAction)):
        if row.energy_kind in table and row.mode in Mode.__members__:
            channels = table[EnergyKind(row.energy_kind)][Mode(row.mode)]
            if row.value:
                channels[row.channel] = row.value
            else:
                channels.pop(row.channel, None)
    return table


def actions_for(table: dict[EnergyKind, dict[Mode, dict[str, str]]], kind: EnergyKind, mode: Mode) -> list[Action]:
    return [Action(channel, value) for channel, value in sorted(table.get(kind, {}).get(mode, {}).items())]


def check_value(channel: str, value: str) -> str:
    """The value as the command path will store it, or a 422 saying what the channel takes."""
    if channel not in CHANNELS:
        raise InvalidInput(_("Unknown channel {channel}.", channel=channel[:40]))
    value = value.strip().lower()
    return sensor_channels.canonical(channel, value) if value else ""


def set_action(session: Session, actor: User, kind: str, mode: str, channel: str, value: str) -> ModeAction:
    """A manager sets one cell of the mode table (an empty value takes the channel out of the mode)."""
    ensure_role(actor, *MANAGING_ROLES)
    if kind not in {k.value for k in EDITABLE_KINDS}:
        raise InvalidInput(_("Unknown room kind {kind}.", kind=kind[:40]))
    if mode not in Mode.__members__:
        raise InvalidInput(_("Unknown mode {mode}.", mode=mode[:40]))
    cleaned = check_value(channel, value)
    row = session.exec(
        select(ModeAction).where(ModeAction.energy_kind == kind, ModeAction.mode == mode, ModeAction.channel == channel)
    ).first()
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = ModeAction(energy_kind=kind, mode=mode, channel=channel, value=cleaned)
    else:
        row.value = cleaned
    session.add(row)
    session.flush()
    audit.record(session, actor, "energy.mode_action", "energy_mode_action", row.id, before=before, after=row)
    return row
