"""A crew member's home: the work assigned to them, then their day (today's inspections as a
walking route, then the rest of the week), with everything overdue counted in one line instead of
listed for months (the list is one link away)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select

from facility.core.auth import ensure_role
from facility.core.models import STAFF_ROLES, User
from facility.maintenance.duty_models import Duty
from facility.maintenance.kinds import OPEN_STATUSES
from facility.maintenance.models import Asset, Inspection, InspectionTemplate, WorkOrder
from facility.rooms.models import Building, Floor, Room
from facility.sensors.models import Alert

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


def start_of_day(now: datetime, zone: ZoneInfo) -> datetime:
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


def end_of_week(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight after Sunday (a Korean week runs Monday to Sunday)."""
    local = now.astimezone(zone).date()
    return datetime.combine(local + timedelta(days=7 - local.weekday()), time(0), tzinfo=zone)


@dataclass(frozen=True)
class CrewDay:
    assigned: list[Stop]  # my open work orders from today on (undated last), by due time
    today: list[Stop]  # inspections due today, mine or nobody's, as a walking route
    week: list[Stop]  # inspections due later this week, by due time
    overdue_count: int  # inspections and my work orders due before today
    overdue_oldest: datetime | None
    overdue: list[Stop]  # the overdue ones themselves, only when asked for (oldest first)
    alerts: list[Alert]  # sensor alerts a manager assigned to me, not yet resolved (newest first)
    duties: list[Duty]  # statutory steps I owe as the inspector (portal entries), by due date


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


def _inspections(
    session: Session, user: User, lang: str, *, since: datetime | None, until: datetime, oldest_first: bool = True
) -> list[Stop]:
    query = (
        select(Inspection, InspectionTemplate, Building, Floor, Room)  # type: ignore[call-overload]
        .join(InspectionTemplate, col(InspectionTemplate.id) == Inspection.template_id)
        .outerjoin(Room, col(Room.id) == Inspection.room_id)
        .outerjoin(Floor, col(Floor.id) == Room.floor_id)
        .outerjoin(Building, col(Building.id) == Inspection.building_id)
        .where(_my_inspections(user), Inspection.due_at < until)
    )
    if since is not None:
        query = query.where(Inspection.due_at >= since)
    rows = session.exec(query.order_by(Inspection.due_at).limit(MAX_ITEMS)).all()
    stops = []
    for inspection, template, building, floor, room in rows:
        name = template.name_en if lang == "en" else template.name_ko
        place = _place(building, floor, room, lang)
        where = place["room"] or place["building"]
        stops.append(
            Stop(
                kind="inspection",
                id=inspection.id,  # type: ignore[arg-type]
                # The same template runs in many rooms: the title says which one.
                title=f"{name} · {where}" if where else name,
                due_at=inspection.due_at,
                overdue=False,
                status=inspection.status,
                priority="normal",
                **place,  # type: ignore[arg-type]
            )
        )
    return stops


def _my_inspections(user: User) -> ColumnElement[bool]:
    return and_(
        col(Inspection.status) == "open",
        or_(col(Inspection.assignee_id).is_(None), col(Inspection.assignee_id) == user.id),
    )


def _work_orders(
    session: Session, user: User, lang: str, *, since: datetime | None, until: datetime | None
) -> list[Stop]:
    query = (
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
    )
    if since is not None:
        query = query.where(or_(col(WorkOrder.due_at).is_(None), col(WorkOrder.due_at) >= since))
    if until is not None:
        query = query.where(col(WorkOrder.due_at) < until)
    rows = session.exec(query.order_by(col(WorkOrder.due_at).is_(None), col(WorkOrder.due_at)).limit(MAX_ITEMS)).all()
    stops = []
    for order, building, floor, room in rows:
        place = _place(building, floor, room, lang)
        stops.append(
            Stop(
                kind="work_order",
                id=order.id,  # type: ignore[arg-type]
                title=order.title,
                due_at=order.due_at,  # type: ignore[arg-type]
                overdue=False,
                status=order.status,
                priority=order.priority,
                **place,  # type: ignore[arg-type]
            )
        )
    return stops


def _marked(stops: list[Stop], now: datetime) -> list[Stop]:
    return [replace(s, overdue=bool(s.due_at and s.due_at < now)) for s in stops]


def my_day(session: Session, user: User, now: datetime, zone: ZoneInfo, lang: str = "ko") -> list[Stop]:
    """Open inspections due by tonight (mine or unassigned) and my open work due by tonight, by route."""
    ensure_role(user, *STAFF_ROLES)
    until = end_of_day(now, zone)
    stops = _inspections(session, user, lang, since=None, until=until)
    stops += _work_orders(session, user, lang, since=None, until=until)
    return sorted(_marked(stops, now), key=lambda s: (s.route_key, s.due_at or until))


def next_stop(
    session: Session, user: User, inspection_id: int, now: datetime, zone: ZoneInfo, lang: str = "ko"
) -> Stop | None:
    """The stop after this inspection on today's route (else the route's first other stop): where a
    crew member goes once its checklist is in."""
    stops = my_day(session, user, now, zone, lang)
    here = next((i for i, s in enumerate(stops) if s.kind == "inspection" and s.id == inspection_id), -1)
    later = stops[here + 1 :] + stops[: max(here, 0)]
    return later[0] if later else None


def _overdue_summary(session: Session, user: User, before: datetime) -> tuple[int, datetime | None]:
    inspections = session.exec(
        select(func.count(), func.min(Inspection.due_at)).where(_my_inspections(user), Inspection.due_at < before)  # type: ignore[arg-type]
    ).one()
    orders = session.exec(
        select(func.count(), func.min(WorkOrder.due_at)).where(
            WorkOrder.assignee_id == user.id,
            col(WorkOrder.status).in_(OPEN_STATUSES),
            col(WorkOrder.due_at) < before,
        )
    ).one()
    oldest = [d for d in (inspections[1], orders[1]) if d is not None]
    return int(inspections[0]) + int(orders[0]), min(oldest) if oldest else None


def my_alerts(session: Session, user: User) -> list[Alert]:
    """Unresolved sensor alerts assigned to this person, newest first."""
    query = select(Alert).where(Alert.assignee_id == user.id, Alert.state != "resolved")
    return list(session.exec(query.order_by(col(Alert.raised_at).desc()).limit(MAX_ITEMS)).all())


def my_duties(session: Session, user: User) -> list[Duty]:
    """Open duty steps owed by this person as the inspector (a lift or electrical system entry);
    the safety manager's steps stay on the duties board."""
    query = select(Duty).where(Duty.owner_id == user.id, Duty.owner_role == "inspector", Duty.status == "open")
    return list(session.exec(query.order_by(col(Duty.due_at), col(Duty.id)).limit(MAX_ITEMS)).all())


def crew_day(
    session: Session, user: User, now: datetime, zone: ZoneInfo, lang: str = "ko", *, with_overdue: bool = False
) -> CrewDay:
    """Assigned to me, then today and this week; what is overdue is counted, and listed on request."""
    ensure_role(user, *STAFF_ROLES)
    today, tonight, week_end = start_of_day(now, zone), end_of_day(now, zone), end_of_week(now, zone)
    count, oldest = _overdue_summary(session, user, today)
    overdue: list[Stop] = []
    if with_overdue:
        overdue = _inspections(session, user, lang, since=None, until=today)
        overdue += _work_orders(session, user, lang, since=None, until=today)
        overdue = sorted(_marked(overdue, now), key=lambda s: s.due_at or today)
    todays = _marked(_inspections(session, user, lang, since=today, until=tonight), now)
    return CrewDay(
        assigned=_marked(_work_orders(session, user, lang, since=today, until=None), now),
        today=sorted(todays, key=lambda s: (s.route_key, s.due_at or tonight)),
        week=_marked(_inspections(session, user, lang, since=tonight, until=week_end), now),
        overdue_count=count,
        overdue_oldest=oldest,
        overdue=overdue,
        alerts=my_alerts(session, user),
        duties=my_duties(session, user),
    )
