"""Room modes and the energy kinds: how each kind of room follows its bookings by default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from enum import StrEnum

from facility.rooms.kinds import RoomKind


class Mode(StrEnum):
    """Desigo's four room operating modes, most conditioned first."""

    comfort = "comfort"
    pre_comfort = "pre_comfort"
    economy = "economy"
    protection = "protection"


class EnergyKind(StrEnum):
    """Rooms that share a conditioning pattern (the room kinds are finer than the plant is)."""

    hall = "hall"
    lecture = "lecture"
    studio = "studio"
    dormitory = "dormitory"
    always_on = "always_on"
    # Lobbies, offices, kitchens...: left to the building's own schedule, never commanded.
    uncontrolled = "uncontrolled"


K = RoomKind
ENERGY_KIND: dict[str, EnergyKind] = {
    **{
        k.value: EnergyKind.hall
        for k in (K.auditorium, K.convention_hall, K.multipurpose_hall, K.hybrid_lecture_hall, K.gym)
    },
    **{
        k.value: EnergyKind.lecture
        for k in (
            K.lecture_room,
            K.hybrid_classroom,
            K.smart_classroom,
            K.seminar_room,
            K.computer_lab,
            K.vr_room,
            K.workshop,
            K.gallery,
        )
    },
    K.studio.value: EnergyKind.studio,
    K.dorm_room.value: EnergyKind.dormitory,
    # A pool's water and air, plant and server rooms: never switched off by a booking's absence.
    **{k.value: EnergyKind.always_on for k in (K.pool, K.plant_room, K.server_room)},
}


def energy_kind(room_kind: str) -> EnergyKind:
    return ENERGY_KIND.get(room_kind, EnergyKind.uncontrolled)


@dataclass(frozen=True)
class WindowRules:
    """How a room's bookings become comfort windows."""

    lead: timedelta
    hold: timedelta
    # Two windows closer than this become one (switching off for a short gap costs more than it saves).
    merge_gap: timedelta
    # A longer gap, but shorter than this, idles in pre-comfort rather than economy.
    pre_comfort_gap: timedelta
    always_on: bool = False
    # An all-day booking (local midnight to midnight, or 20 hours and more) is used in these hours;
    # a dormitory's is not clipped (people sleep there).
    day_start: time = time(7)
    day_end: time = time(22)
    clip_all_day: bool = True


def _minutes(
    lead: int, hold: int, merge: int, pre: int, *, always_on: bool = False, clip_all_day: bool = True
) -> WindowRules:
    return WindowRules(
        timedelta(minutes=lead),
        timedelta(minutes=hold),
        timedelta(minutes=merge),
        timedelta(minutes=pre),
        always_on=always_on,
        clip_all_day=clip_all_day,
    )


# Defaults per energy kind (minutes): lead, hold, merge gap, pre-comfort gap. A hall's volume
# takes longest to bring to temperature; a studio's lights and equipment need a longer hold.
KIND_RULES: dict[EnergyKind, WindowRules] = {
    EnergyKind.hall: _minutes(90, 15, 60, 180),
    EnergyKind.lecture: _minutes(30, 15, 45, 120),
    EnergyKind.studio: _minutes(45, 30, 60, 120),
    EnergyKind.dormitory: _minutes(60, 30, 240, 480, clip_all_day=False),
    EnergyKind.always_on: _minutes(0, 0, 0, 0, always_on=True),
    EnergyKind.uncontrolled: _minutes(0, 0, 0, 0),
}
