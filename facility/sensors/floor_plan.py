"""Floor plans generated from the catalogue: each floor's rooms as a grid of clickable tiles,
coloured by live state, with the same facts as a table (the plan's text alternative).

No drawing is needed to start: rooms are laid out in code order, a row per `COLUMNS` rooms, a
hall's parts inside their floor like any room. State, worst first: an active alert, then a poor or
bad air or comfort band, then occupied (people measured now), then booked, then the band.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape
from sqlmodel import Session, col, select

from facility.core.i18n import gettext as _
from facility.rooms.models import Building, Floor, Room
from facility.sensors.service import BoardRoom

COLUMNS = 6
TILE_W, TILE_H, GAP = 150, 84, 10
STATES = ("alert", "poor", "occupied", "booked", "good", "none")


@dataclass
class PlanRoom:
    room: Room
    state: str
    band: str
    alerts: int
    occupied: bool
    booked: bool


def room_state(tile: BoardRoom | None, *, booked: bool) -> PlanRoom | None:
    """The plan's facts of one room from its board tile (None: no device placed)."""
    if tile is None:
        return None
    people = tile.values.get("people_count")
    presence = tile.values.get("occupancy")
    occupied = bool((people and people.value > 0) or (presence and presence.value >= 0.5))
    if tile.alerts:
        state = "alert"
    elif tile.band in ("poor", "bad"):
        state = "poor"
    elif occupied:
        state = "occupied"
    elif booked:
        state = "booked"
    else:
        state = "good" if tile.band in ("good", "fair") else "none"
    return PlanRoom(tile.room, state, tile.band, tile.alerts, occupied, booked)


def floors_of(session: Session, building: Building) -> list[tuple[Floor, list[Room]]]:
    """Each floor of the building from the lowest, with its rooms in code order."""
    floors = session.exec(select(Floor).where(Floor.building_id == building.id).order_by(col(Floor.level))).all()
    rooms = session.exec(select(Room).where(Room.building_id == building.id).order_by(col(Room.code))).all()
    return [(floor, [r for r in rooms if r.floor_id == floor.id]) for floor in floors]


def plan_rooms(
    rooms: list[Room], tiles: dict[int, BoardRoom], booked: set[int], now: datetime
) -> list[tuple[Room, PlanRoom]]:
    """Every room of a floor with its facts; a room without a device is booked or has no data."""
    found = []
    for room in rooms:
        room_id = int(room.id or 0)
        facts = room_state(tiles.get(room_id), booked=room_id in booked)
        if facts is None:
            facts = PlanRoom(room, "booked" if room_id in booked else "none", "none", 0, False, room_id in booked)
        found.append((room, facts))
    return found


def floor_name(floor: Floor) -> str:
    """`3층`, `지하 1층` (Floor 3, Basement 1)."""
    if floor.level < 0:
        return _("Basement {n}", n=-floor.level)
    return _("Floor {n}", n=floor.level)


def state_words(facts: PlanRoom) -> str:
    """What the tile says, for the tooltip and the table: 경보 2건 · 사용 중 · 예약됨."""
    words = []
    if facts.alerts:
        words.append(_("{n} alerts", n=facts.alerts))
    if facts.state == "poor":
        words.append(_("Poor air or comfort"))
    if facts.occupied:
        words.append(_("Occupied"))
    if facts.booked:
        words.append(_("Booked"))
    if not words:
        words.append(_("No readings") if facts.state == "none" else _("Fine"))
    return " · ".join(words)


def floor_svg(rooms: list[tuple[Room, PlanRoom]], *, label: str, english: bool) -> Markup:
    """The floor as an SVG grid: each room a link to its page, coloured by its state."""
    rows = max(1, -(-len(rooms) // COLUMNS))
    width = COLUMNS * (TILE_W + GAP) + GAP
    height = rows * (TILE_H + GAP) + GAP
    parts = [
        f'<svg class="floor-plan" viewBox="0 0 {width} {height}" role="group" aria-label="{escape(label)}">',
    ]
    for index, (room, facts) in enumerate(rooms):
        x = GAP + (index % COLUMNS) * (TILE_W + GAP)
        y = GAP + (index // COLUMNS) * (TILE_H + GAP)
        name = room.name_en if english else room.name_ko
        words = state_words(facts)
        parts.append(
            f'<a href="/sensors/rooms/{room.id}" data-room="{escape(room.code)}" data-state="{facts.state}"'
            f' aria-label="{escape(name)} ({escape(room.code)}): {escape(words)}">'
            f"<title>{escape(name)} · {escape(words)}</title>"
            f'<rect x="{x}" y="{y}" width="{TILE_W}" height="{TILE_H}" rx="6" class="plan-room state-{facts.state}"/>'
            f'<text x="{x + 10}" y="{y + 26}" class="plan-code">{escape(room.code)}</text>'
            f'<text x="{x + 10}" y="{y + 50}" class="plan-name">{escape(name[:14])}</text>'
            f'<text x="{x + 10}" y="{y + 72}" class="plan-state">{escape(words[:18])}</text>'
            "</a>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
