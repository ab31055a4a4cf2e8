"""Which room each energy meter serves: a meter in a plant room or a sub-distribution board often
measures another room's load, so a manager maps it (`energy_meter`); unmapped meters count for the
room they are placed in (accounting.meter_codes)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.errors import InvalidInput, NotFound
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, STAFF_ROLES, User
from facility.energy.models import EnergyMeter
from facility.rooms.models import Room
from facility.sensors.models import Device


@dataclass(frozen=True)
class MeterRow:
    device: Device
    placed_in: Room | None
    serves: Room | None

    @property
    def counted_for(self) -> Room | None:
        """The room whose report the meter's kWh go to."""
        return self.serves or self.placed_in


def _is_meter(device: Device) -> bool:
    return "energy" in device.metrics.split(",")


def meter_rows(session: Session, viewer: User) -> list[MeterRow]:
    """Every device that reports the `energy` metric, with where it is placed and whom it serves."""
    ensure_role(viewer, *STAFF_ROLES)
    devices = [d for d in session.exec(select(Device).where(col(Device.metrics).contains("energy"))) if _is_meter(d)]
    mapped = {m.device_id: m.room_id for m in session.exec(select(EnergyMeter))}
    wanted = {d.room_id for d in devices} | set(mapped.values())
    rooms = {r.id: r for r in session.exec(select(Room).where(col(Room.id).in_([i for i in wanted if i])))}
    rows = [MeterRow(d, rooms.get(d.room_id), rooms.get(mapped.get(d.id or 0))) for d in devices]
    return sorted(rows, key=lambda r: r.device.code)


def set_meter_room(session: Session, actor: User, device_id: int, room_id: int | None) -> EnergyMeter | None:
    """A manager maps a meter to the room it serves (None: back to the room it is placed in); audited."""
    ensure_role(actor, *MANAGING_ROLES)
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound(_("No such meter."))
    if not _is_meter(device):
        raise InvalidInput(_("This device does not report energy (kWh)."))
    if room_id is not None and session.get(Room, room_id) is None:
        raise InvalidInput(_("No such room."))
    row = session.get(EnergyMeter, device_id, with_for_update=True)
    before = audit.snapshot(row) if row is not None else None
    if room_id is None:
        if row is not None:
            session.delete(row)
            session.flush()
            audit.record(session, actor, "energy.meter", "energy_meter", device_id, before=before, after=None)
        return None
    if row is None:
        row = EnergyMeter(device_id=device_id, room_id=room_id)
    elif row.room_id == room_id:
        return row
    row.room_id = room_id
    session.add(row)
    session.flush()
    audit.record(session, actor, "energy.meter", "energy_meter", device_id, before=before, after=row)
    return row
