"""Actuator channels: what can be told to a device, and the one canonical text of each value.

A channel is named `<kind>` or `<kind>:<n>`, `n` the ecosystem's own index (Tasmota `POWER2` is
`relay:2`, Shelly `switch:1` is `relay:1`). Values are kept as canonical text (`on`, `42`, `21.5`,
`heat`) so a desired and a reported value compare as strings, whatever the device sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from facility.core.i18n import gettext as _
from facility.core.i18n import gettext_noop as N_
from facility.sensors.exceptions import InvalidChannel, InvalidDesiredValue

Value = float | str | bool
ON_WORDS = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False}
MODES = ("off", "heat", "cool", "auto")


@dataclass(frozen=True)
class ChannelKind:
    name: str
    label: str  # a sentence id of the catalogue
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    # Reported values this close to the desired one confirm it (a thermostat rounds to 0.5 °C).
    tolerance: float = 0.0


KINDS: dict[str, ChannelKind] = {
    "relay": ChannelKind("relay", N_("Relay")),
    "dimmer": ChannelKind("dimmer", N_("Dimmer"), 0, 100, "%", tolerance=1.0),
    # Room thermostats take 5-35 °C; anything else is a typo, not a wish.
    "setpoint": ChannelKind("setpoint", N_("Setpoint"), 5, 35, "°C", tolerance=0.25),
    "mode": ChannelKind("mode", N_("Thermostat mode")),
}
CHANNEL_MAX = 40


def kind_of(channel: str) -> ChannelKind:
    """The kind a channel name starts with; an unknown one is a 422 naming the known kinds."""
    name, _sep, index = channel.partition(":")
    kind = KINDS.get(name)
    if kind is None or len(channel) > CHANNEL_MAX or (index and not index.isdigit()):
        raise InvalidChannel(channel, ", ".join(KINDS))
    return kind


def index_of(channel: str) -> int | None:
    """The ecosystem's index in `relay:2`; None for a bare kind."""
    _name, _sep, index = channel.partition(":")
    return int(index) if index else None


def canonical(channel: str, value: Value) -> str:
    """The value as the one text stored and compared; a bad value is a 422 saying what fits."""
    kind = kind_of(channel)
    if kind.name == "relay":
        word = str(value).strip().lower() if not isinstance(value, bool) else ("on" if value else "off")
        if word not in ON_WORDS:
            raise InvalidDesiredValue(_("A relay is on or off."))
        return "on" if ON_WORDS[word] else "off"
    if kind.name == "mode":
        word = str(value).strip().lower()
        if word not in MODES:
            raise InvalidDesiredValue(_("A thermostat mode is one of {modes}.", modes=", ".join(MODES)))
        return word
    if isinstance(value, bool):
        raise InvalidDesiredValue(_("A number is needed."))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidDesiredValue(_("A number is needed.")) from None
    assert kind.minimum is not None and kind.maximum is not None
    if not kind.minimum <= number <= kind.maximum or number != number:
        raise InvalidDesiredValue(
            _("Between {low} and {high} {unit}.", low=f"{kind.minimum:g}", high=f"{kind.maximum:g}", unit=kind.unit)
        )
    return f"{round(number, 1):g}"


def agrees(channel: str, desired: str, reported: str) -> bool:
    """Whether a reported value confirms the desired one (within the kind's tolerance)."""
    tolerance = kind_of(channel).tolerance
    if not tolerance:
        return desired == reported
    try:
        return abs(float(desired) - float(reported)) <= tolerance
    except ValueError:
        return False


def as_number(value: str) -> float:
    return float(value)


def is_on(value: str) -> bool:
    return value == "on"
