"""Desired state: the one way anything (a manager, an automation) asks an actuator for a value.

The row is durable: the gateway sends what is desired and not yet confirmed, the device's report
confirms it, and a gateway restart loses nothing. A manual value set with an expiry holds against
automation until then; automations act as a named system actor (`source="automation"`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import FacilityError, InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User
from facility.sensors.channels import KINDS, ChannelKind, Value, canonical, kind_of
from facility.sensors.command_models import DesiredState
from facility.sensors.exceptions import DeviceNotFound
from facility.sensors.models import Device

SOURCES = ("manual", "automation")
# What each ecosystem can be told (facility/sensors/encoders); a device reporting a channel has it.
PROFILE_KINDS: dict[str, frozenset[str]] = {
    "facility": frozenset(KINDS),
    "zigbee2mqtt": frozenset(KINDS),
    "homeassistant": frozenset(KINDS),
    "tasmota": frozenset({"relay", "dimmer"}),
    "shelly": frozenset({"relay"}),
    # Plant points that name a channel in the mapping file (gateway/plant/senders.py).
    "modbus": frozenset({"relay", "dimmer", "setpoint"}),
    "bacnet": frozenset({"relay", "dimmer", "setpoint"}),
}


@dataclass(frozen=True)
class ActuatorChannel:
    channel: str
    kind: ChannelKind
    state: DesiredState | None


def _device(session: Session, device_id: int) -> Device:
    device = session.get(Device, device_id)
    if device is None:
        raise DeviceNotFound(device_id)
    return device


def _row(session: Session, device_id: int, channel: str, *, lock: bool = False) -> DesiredState | None:
    query = select(DesiredState).where(DesiredState.device_id == device_id, DesiredState.channel == channel)
    return session.exec(query.with_for_update() if lock else query).first()


def set_desired(
    session: Session,
    *,
    device_id: int,
    channel: str,
    value: Value,
    actor: str,
    source: str = "manual",
    expires_at: datetime | None = None,
    user: User | None = None,
) -> DesiredState:
    """Ask a device's channel for `value`; the gateway sends it. A manual override with an
    expiry wins over automation until it expires (the automation's wish is then ignored)."""
    if source not in SOURCES:
        raise InvalidInput(_("Unknown source {source}.", source=repr(source)[:40]))
    now = utcnow()
    if expires_at is not None and (source != "manual" or expires_at <= now):
        raise InvalidInput(_("An override expiry is a manual value's, and in the future."))
    kind = kind_of(channel)
    text = canonical(channel, value)
    device = _device(session, device_id)
    if kind.name not in PROFILE_KINDS.get(device.profile, frozenset()):
        raise InvalidInput(_("A {profile} device cannot be told a {kind}.", profile=device.profile, kind=_(kind.label)))
    row = _row(session, device_id, channel, lock=True)
    if row is None:
        row = DesiredState(device_id=device_id, channel=channel, kind=kind.name)
    elif source == "automation" and row.source == "manual" and row.override_until and row.override_until > now:
        return row  # the manager's override holds
    before = audit.snapshot(row) if row.id else None
    unchanged = row.desired_value == text and row.state in ("pending", "sent", "confirmed")
    if not unchanged:
        row.desired_value = text
        row.state, row.attempts, row.sent_at, row.confirmed_at, row.lease_until = "pending", 0, None, None, None
    if unchanged and row.source == source and row.override_until == expires_at:
        return row
    row.actor, row.source, row.override_until, row.updated_at = actor[:200], source, expires_at, now
    session.add(row)
    session.flush()
    entry = audit.record(session, user, "desired.set", "desired_state", row.id, before=before, after=row)
    entry.actor_label = actor[:200] if user is None else entry.actor_label
    return row


@dataclass(frozen=True)
class Wish:
    """One automation value for one device channel (`set_desired_many`)."""

    device_id: int
    channel: str
    value: Value


def _refusal(device: Device | None, wish: Wish) -> str | None:
    """Why a device cannot take a wish (no such device, its ecosystem lacks the kind), else None."""
    if device is None:
        return f"device {wish.device_id} not found"
    kind = kind_of(wish.channel)
    if kind.name not in PROFILE_KINDS.get(device.profile, frozenset()):
        return f"a {device.profile} device cannot be told a {kind.name}"
    return None


def set_desired_many(
    session: Session, wishes: Sequence[Wish], *, actor: str
) -> tuple[list[DesiredState], list[tuple[Wish, str]]]:
    """Many automation values at once (a campus-wide mode change): one locked read of the rows,
    one flush, the audit entries added together. The rules are `set_desired`'s: a manager's manual
    value with an expiry holds, an unchanged value is not sent again. Returns the rows taken (held
    ones included, as `set_desired` returns them) and the wishes refused with why."""
    if not wishes:
        return [], []
    now = utcnow()
    device_ids = sorted({w.device_id for w in wishes})
    devices = {d.id: d for d in session.exec(select(Device).where(col(Device.id).in_(device_ids)))}
    # Locked in device order, as every other writer of these rows would meet them.
    query = (
        select(DesiredState)
        .where(col(DesiredState.device_id).in_(device_ids))
        .order_by(col(DesiredState.id))
        .with_for_update()
    )
    rows = {(r.device_id, r.channel): r for r in session.exec(query)}
    taken: list[DesiredState] = []
    refused: list[tuple[Wish, str]] = []
    changed: list[tuple[DesiredState, object]] = []
    for wish in wishes:
        try:
            kind, text = kind_of(wish.channel), canonical(wish.channel, wish.value)
        except FacilityError as error:
            refused.append((wish, str(error)))
            continue
        reason = _refusal(devices.get(wish.device_id), wish)
        if reason is not None:
            refused.append((wish, reason))
            continue
        row = rows.get((wish.device_id, wish.channel))
        if row is None:
            row = rows[(wish.device_id, wish.channel)] = DesiredState(
                device_id=wish.device_id, channel=wish.channel, kind=kind.name
            )
        elif row.source == "manual" and row.override_until and row.override_until > now:
            taken.append(row)  # the manager's override holds
            continue
        before = audit.snapshot(row) if row.id else None
        unchanged = row.desired_value == text and row.state in ("pending", "sent", "confirmed")
        if unchanged and row.source == "automation" and row.override_until is None:
            taken.append(row)
            continue
        if not unchanged:
            row.desired_value = text
            row.state, row.attempts, row.sent_at, row.confirmed_at, row.lease_until = "pending", 0, None, None, None
        row.actor, row.source, row.override_until, row.updated_at = actor[:200], "automation", None, now
        session.add(row)
        changed.append((row, before))
        taken.append(row)
    session.flush()  # one batched write of every changed row; new rows get their ids
    for row, before in changed:
        entry = audit.record(session, None, "desired.set", "desired_state", row.id, before=before, after=row)
        entry.actor_label = actor[:200]
    return taken, refused


def set_desired_by(
    session: Session,
    user: User | None,
    *,
    device_id: int,
    channel: str,
    value: Value,
    expires_at: datetime | None = None,
) -> DesiredState:
    """A person's manual value (managers and admins only), for the API and the control page."""
    actor = ensure_role(user, *MANAGING_ROLES)
    return set_desired(
        session,
        device_id=device_id,
        channel=channel,
        value=value,
        actor=actor.email,
        expires_at=expires_at,
        user=actor,
    )


def desired_states(session: Session, device_id: int) -> list[DesiredState]:
    """Every channel row of a device (desired or only reported), by channel."""
    query = select(DesiredState).where(DesiredState.device_id == device_id).order_by(col(DesiredState.channel))
    return list(session.exec(query))


def desired_state(session: Session, device_id: int, channel: str) -> DesiredState | None:
    kind_of(channel)
    _device(session, device_id)
    return _row(session, device_id, channel)


def actuator_channels(session: Session, device_id: int) -> list[ActuatorChannel]:
    """The channels a device is known to have: those it reported or was asked for."""
    _device(session, device_id)
    return [ActuatorChannel(row.channel, KINDS[row.kind], row) for row in desired_states(session, device_id)]


def room_actuators(session: Session, room_id: int, kind: str | None = None) -> list[tuple[Device, DesiredState]]:
    """The actuator channels of the devices placed in a room (an automation's targets)."""
    query = (
        select(Device, DesiredState)
        .join(DesiredState, col(DesiredState.device_id) == col(Device.id))
        .where(Device.room_id == room_id)
        .order_by(col(Device.id), col(DesiredState.channel))
    )
    if kind is not None:
        query = query.where(DesiredState.kind == kind)
    return [(device, row) for device, row in session.exec(query)]


def note_channel(session: Session, device_id: int, channels: Sequence[str]) -> None:
    """Make a device's actuator channels known before it reports them (a mapping, the demo)."""
    known = {row.channel for row in desired_states(session, device_id)}
    for channel in channels:
        if channel not in known:
            session.add(DesiredState(device_id=device_id, channel=channel, kind=kind_of(channel).name))
    session.flush()


def note_channels_of(session: Session, code: str, channels: Sequence[str]) -> bool:
    """`note_channel` by device code (a plant point's mapping); False while it is not registered yet."""
    device = session.exec(select(Device).where(Device.code == code)).first()
    if device is None or device.id is None:
        return False
    note_channel(session, device.id, channels)
    return True
