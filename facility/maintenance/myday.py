"""A crew member's day: today's inspections and their open work, ordered as a walking route."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from facility.core.auth import ensure_role
from facility.core.models import STAFF_ROLES, User
from facility.maintenance.kinds import OPEN_STATUSES
from facility.maintenance.models import Asset, Inspection, InspectionTemplate, WorkOrder
from facility.rooms.models import Building, Floor, Room

# A day's list is meant for one walk: the most urgent this many of each kind; the board has the rest.
MAX_ITEMS = 100


@dataclass(frozen=True)
class Stop:
    kind: str  # "inspection" or "work_order"
    id: int
    title: str
    due_at: datetime | None
    overdue: bool
    status: str
    priority: str
    building: str
    floor: str
    room: str
    route_key: tuple[tuple[int, int, str], int, str]


def end_of_day(now: datetime, zone: ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)


def _place(building: Building | None, floor: Floor | None, room: Room | None, lang: str) -> dict[str, object]:
    return {
        "building": (building.name_en if lang == "en" else building.name_ko) if building else "",
        "floor": floor.label if floor else "",
        "room": (room.name_en if lang == "en" else room.name_ko) if room else "",
        # Campus, then building order and code (each campus numbers its buildings from 0).
        "route_key": (
            (building.campus_id, building.sort_order, building.code) if building else (999, 0, ""),
            floor.level if floor else 99,
            room.code if room else "",
        ),
    }


def my_day(session: Session, user: User, now: datetime, zone: ZoneInfo, lang: str = "ko") -> list[Stop]:
    """Open inspections due by tonight (mine or unassigned) and my open work, by route."""
    ensure_role(user, *STAFF_ROLES)
    until = end_of_day(now, zone)
    stops: list[Stop] = []
    inspection_rows = session.exec(
        select(Inspection, InspectionTemplate, Building, Floor, Room)  # type: ignore[call-overload]
        .join(InspectionTemplate, col(InspectionTemplate.id) == Inspection.template_id)
        .outerjoin(Room, col(Room.id) == Inspection.room_id)
        .outerjoin(Floor, col(Floor.id) == Room.floor_id)
        .outerjoin(Building, col(Building.id) == Inspection.building_id)
        .where(Inspection.status == "open")
        .where(Inspection.due_at < until)
        .where(or_(col(Inspection.assignee_id).is_(None), col(Inspection.assignee_id) == user.id))
        .order_by(Inspection.due_at)
        .limit(MAX_ITEMS)
    ).all()
    for inspection, template, building, floor, room in inspection_rows:
        stops.append(
            Stop(
                kind="inspection",
                id=inspection.id,  # type: ignore[arg-type]
                title=template.name_en if lang == "en" else template.name_ko,
                due_at=inspection.due_at,
                overdue=inspection.due_at < now,
                status=inspection.status,
                priority="normal",
                **_place(building, floor, room, lang),  # type: ignore[arg-type]
            )
        )
    order_rows = session.exec(
        select(WorkOrder, Building, Floor, Room)
        .outerjoin(Room, col(Room.id) == WorkOrder.room_id)
        .outerjoin(Asset, col(Asset.id) == WorkOrder.asset_id)
        .outerjoin(Floor, col(Floor.id) == Room.floor_id)
        .outerjoin(
            Building,
            or_(
                col(Building.id) == Room.building_id,
                and_(col(Room.id).is_(None), col(Building.id) == Asset.building_id),
            ),
        )
        .where(WorkOrder.assignee_id == user.id)
        .where(col(WorkOrder.status).in_(OPEN_STATUSES))
        .order_by(col(WorkOrder.due_at).is_(None), col(WorkOrder.due_at))
        .limit(MAX_ITEMS)
    ).all()
    for order, building, floor, room in order_rows:
        stops.append(
            Stop(
                kind="work_order",
                id=order.id,  # type: ignore[arg-type]
                title=order.title,
                due_at=order.due_at,  # type: ignore[arg-type]
                overdue=bool(order.due_at and order.due_at < now),
                status=order.status,
                priority=order.priority,
                **_place(building, floor, room, lang),  # type: ignore[arg-type]
            )
        )
    return sorted(stops, key=lambda s: (s.route_key, s.due_at or until))
