"""Room suggestions for unassigned devices: the device's own id, label and reported place matched
against every room's code and names (a Zigbee friendly name `E-101 air` suggests room E-101)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import chain

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


# Longest room text looked for inside a device's texts (room codes and names are short).
MAX_ROOM_TEXT = 40
# A fuzzy match is tried only against room texts sharing this share of their bigrams with the
# device's text: SequenceMatcher is the cost, so it never runs over every room.
MIN_SHARED_BIGRAMS = 0.5


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


class RoomIndex:
    """Every room's normalised code and names, indexed once: by the text itself (exact and
    contained matches are dictionary lookups of a device text's substrings) and by bigram (the
    few rooms worth a fuzzy comparison)."""

    def __init__(self, rooms: Sequence[RoomTexts]) -> None:
        self.entries: list[tuple[str, str, int]] = []  # normalised, as written, room's position
        self.by_text: dict[str, list[int]] = {}
        self.by_bigram: dict[str, list[int]] = {}
        self.bigram_counts: list[int] = []
        for position, texts in enumerate(rooms):
            for written in texts:
                text = normalise(written)
                if len(text) < MIN_ROOM_TEXT:
                    continue
                index = len(self.entries)
                self.entries.append((text, written, position))
                self.bigram_counts.append(len(_bigrams(text)))
                self.by_text.setdefault(text, []).append(index)
                for bigram in _bigrams(text):
                    self.by_bigram.setdefault(bigram, []).append(index)
        self.longest = min(MAX_ROOM_TEXT, max((len(t) for t in self.by_text), default=0))

    def scores(self, texts: Sequence[str]) -> dict[int, float]:
        """Entry -> score against the device's texts: 1 equal, 0.7-1 contained (the longer the
        room's part, the surer: E-101 over E-1), else 0.8 x SequenceMatcher's ratio."""
        best: dict[int, float] = {}
        for text in texts:
            for start in range(len(text)):
                for end in range(start + MIN_ROOM_TEXT, min(len(text), start + self.longest) + 1):
                    for index in self.by_text.get(text[start:end], ()):
                        score = 1.0 if end - start == len(text) else 0.7 + 0.3 * (end - start) / len(text)
                        best[index] = max(best.get(index, 0.0), score)
            bigrams = _bigrams(text)
            shared = Counter(chain.from_iterable(self.by_bigram.get(bigram, ()) for bigram in bigrams))
            for index, count in shared.items():
                if index in best or count < MIN_SHARED_BIGRAMS * min(len(bigrams), self.bigram_counts[index]):
                    continue
                room_text = self.entries[index][0]
                matcher = SequenceMatcher(None, room_text, text)
                if matcher.real_quick_ratio() > MIN_SCORE and matcher.quick_ratio() > MIN_SCORE:
                    best[index] = max(best.get(index, 0.0), 0.8 * matcher.ratio())
        return best

    def rank(self, device: Device, rooms: Sequence[Room], limit: int = 3) -> list[Suggestion]:
        """The rooms (those the index was built from, in order) whose code or name best match
        the device, best first."""
        per_room: dict[int, Suggestion] = {}
        for index, score in self.scores(device_texts(device)).items():
            _, written, position = self.entries[index]
            current = per_room.get(position)
            if score >= MIN_SCORE and (current is None or (score, written) > (current.score, current.matched)):
                per_room[position] = Suggestion(rooms[position], round(score, 2), written)
        return sorted(per_room.values(), key=lambda s: (-s.score, s.room.code))[:limit]


RoomTexts = tuple[str, str, str]  # code, English name, Korean name
# The index of the rooms as last seen: rebuilt only when a room, its code or a name changed.
_indexed: tuple[tuple[RoomTexts, ...], RoomIndex] | None = None
_index_lock = threading.Lock()


def room_index(rooms: Sequence[Room]) -> RoomIndex:
    global _indexed
    texts = tuple((room.code, room.name_en, room.name_ko) for room in rooms)
    with _index_lock:
        if _indexed is None or _indexed[0] != texts:
            _indexed = (texts, RoomIndex(texts))
        return _indexed[1]


def rank_rooms(device: Device, rooms: Sequence[Room], limit: int = 3) -> list[Suggestion]:
    """The rooms whose code or name best match the device, best first."""
    return room_index(rooms).rank(device, rooms, limit)


def suggest_rooms(session: Session, actor: User, device_id: int, limit: int = 3) -> list[Suggestion]:
    """Rooms a device probably belongs in (staff)."""
    ensure_role(actor, *STAFF_ROLES)
    device = session.get(Device, device_id)
    if device is None:
        raise DeviceNotFound(device_id)
    return rank_rooms(device, rooms_service.all_rooms(session), limit)


def suggestions_for(devices: Sequence[Device], rooms: Sequence[Room]) -> dict[int, list[Suggestion]]:
    """Suggestions of the unassigned devices shown (one page of them), for the placement page."""
    index = room_index(rooms)
    return {d.id: index.rank(d, rooms) for d in devices if d.id is not None and d.room_id is None}
