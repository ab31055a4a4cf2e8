"""Room suggestions for unassigned devices: the device's own id, label and reported place matched
against every room's code and names (a Zigbee friendly name `E-101 air` suggests room E-101)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from sqlmodel import Session

from facility.core.auth import ensure_role
from facility.core.models import STAFF_ROLES, User
from facility.rooms import service as rooms_service
from facility.rooms.models import Room
from facility.sensors.exceptions import DeviceNotFound
from facility.sensors.models import Device

# Below this a "match" is noise (two short codes sharing a digit).
MIN_SCORE = 0.55
# Room texts shorter than this (after normalising) match too much to mean anything.
MIN_ROOM_TEXT = 2


@dataclass(frozen=True)
class Suggestion:
    room: Room
    score: float
    matched: str  # the room's code or name that matched


def normalise(text: str) -> str:
    """Lower case, letters and digits only (Hangul kept): `E-101 air` -> `e101air`."""
    return "".join(c for c in text.lower() if c.isalnum())


def device_texts(device: Device) -> list[str]:
    own_id = device.code.split(":", 1)[1] if ":" in device.code else device.code
    texts = (own_id, device.label, device.reported_room, device.reported_building + device.reported_room)
    return [t for t in dict.fromkeys(normalise(x) for x in texts) if t]


def _score(room_text: str, texts: Sequence[str]) -> float:
    best = 0.0
    for text in texts:
        if room_text == text:
            return 1.0
        if room_text in text:
            # Inside the device's id: the longer the room's part of it, the surer (E-101 over E-1).
            best = max(best, 0.7 + 0.3 * len(room_text) / len(text))
            continue
        matcher = SequenceMatcher(None, room_text, text)
        if matcher.real_quick_ratio() > MIN_SCORE and matcher.quick_ratio() > MIN_SCORE:
            best = max(best, 0.8 * matcher.ratio())
    return best


def rank_rooms(device: Device, rooms: Sequence[Room], limit: int = 3) -> list[Suggestion]:
    """The rooms whose code or name best match the device, best first."""
    texts = device_texts(device)
    found = []
    for room in rooms:
        scored = [
            (_score(normalise(text), texts), text)
            for text in (room.code, room.name_en, room.name_ko)
            if len(normalise(text)) >= MIN_ROOM_TEXT
        ]
        if scored:
            score, matched = max(scored)
            if score >= MIN_SCORE:
                found.append(Suggestion(room, round(score, 2), matched))
    found.sort(key=lambda s: (-s.score, s.room.code))
    return found[:limit]


def suggest_rooms(session: Session, actor: User, device_id: int, limit: int = 3) -> list[Suggestion]:
    """Rooms a device probably belongs in (staff)."""
    ensure_role(actor, *STAFF_ROLES)
    device = session.get(Device, device_id)
    if device is None:
        raise DeviceNotFound(device_id)
    return rank_rooms(device, rooms_service.all_rooms(session), limit)


def suggestions_for(devices: Sequence[Device], rooms: Sequence[Room]) -> dict[int, list[Suggestion]]:
    """Each unassigned device's suggestions, for the placement page."""
    return {d.id: rank_rooms(d, rooms) for d in devices if d.id is not None and d.room_id is None}
