"""The mode table: what each mode sets on each kind of room's actuators, editable by a manager.

Defaults live here as data; a manager's row for (kind, mode, channel) replaces the default's value,
and an empty value removes the channel from that mode. Channels are the command path's names:
`setpoint` (°C), `hvac_mode`, `ventilation`, `lights`.
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

CHANNELS = ("setpoint", "hvac_mode", "ventilation", "lights")
# The values a non-numeric channel may take (a setpoint is a number in SETPOINT_RANGE).
CHANNEL_VALUES = {
    "hvac_mode": ("auto", "heat", "cool", "eco", "off"),
    "ventilation": ("high", "low", "off"),
    "lights": ("on", "off"),
}
SETPOINT_RANGE = (5.0, 30.0)

_BASE: dict[Mode, dict[str, str]] = {
    Mode.comfort: {"setpoint": "22", "hvac_mode": "auto", "ventilation": "high"},
    Mode.pre_comfort: {"setpoint": "20", "hvac_mode": "auto", "ventilation": "low"},
    Mode.economy: {"setpoint": "18", "hvac_mode": "eco", "ventilation": "off", "lights": "off"},
    # Frost and overheat protection only: never "off" for a room's plant.
    Mode.protection: {"setpoint": "12", "hvac_mode": "eco", "ventilation": "off", "lights": "off"},
}
DEFAULTS: dict[EnergyKind, dict[Mode, dict[str, str]]] = {
    EnergyKind.hall: _BASE,
    EnergyKind.lecture: _BASE,
    EnergyKind.studio: {**_BASE, Mode.comfort: {**_BASE[Mode.comfort], "setpoint": "21"}},
    EnergyKind.dormitory: {**_BASE, Mode.economy: {"setpoint": "19", "hvac_mode": "eco"}},
    EnergyKind.always_on: {mode: {"hvac_mode": "auto"} for mode in Mode},
}
EDITABLE_KINDS = tuple(DEFAULTS)


@dataclass(frozen=True)
class Action:
    channel: str
    value: str

    def typed(self) -> float | str | bool:
        """The value as the command path takes it: a number for a setpoint, a bool for on/off."""
        if self.channel == "setpoint":
            return float(self.value)
        if self.value in {"on", "off"}:
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
    """The value cleaned, or InvalidInput naming what the channel takes."""
    value = value.strip().lower()
    if channel not in CHANNELS:
        raise InvalidInput(_("Unknown channel {channel}.", channel=channel[:40]))
    if not value:
        return ""
    if channel == "setpoint":
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        low, high = SETPOINT_RANGE
        if not low <= number <= high:
            raise InvalidInput(_("A setpoint is a temperature from {low} to {high} °C.", low=low, high=high))
        return f"{number:g}"
    if value not in CHANNEL_VALUES[channel]:
        raise InvalidInput(
            _("{channel} takes one of: {values}.", channel=channel, values=", ".join(CHANNEL_VALUES[channel]))
        )
    return value


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
