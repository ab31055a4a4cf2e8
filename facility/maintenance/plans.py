"""Preventive plans and the occurrences the scheduler creates from them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User
from facility.maintenance.exceptions import PlanNotFound
from facility.maintenance.kinds import InspectionStatus, PlanKind, Priority
from facility.maintenance.models import Asset, Inspection, InspectionTemplate, MaintenancePlan
from facility.maintenance.recurrence import next_after, occurrences_between, validate_rule
from facility.rooms.models import Room

CALENDAR_KINDS = (PlanKind.fixed.value, PlanKind.floating.value)
# Rows per INSERT statement when catching up many plans at once.
INSERT_CHUNK = 2000


def create_plan(
    session: Session,
    actor: User | None,
    *,
    name: str,
    kind: PlanKind,
    template_id: int | None,
    starts_at: datetime,
    rrule: str = "",
    building_id: int | None = None,
    room_id: int | None = None,
    asset_id: int | None = None,
    lead_days: int = 0,
    threshold_hours: float | None = None,
    meter_metric: str = "",
    alert_rule: str = "",
    priority: Priority = Priority.normal,
) -> MaintenancePlan:
    """A manager sets up a preventive plan; calendar plans need a valid RRULE and a template."""
    if actor is not None:
        ensure_role(actor, *MANAGING_ROLES)
    if kind.value in CALENDAR_KINDS:
        if template_id is None:
            raise InvalidInput(_("A calendar plan needs an inspection template."))
        rrule = validate_rule(rrule)
    if kind in (PlanKind.usage_booked, PlanKind.usage_meter) and not threshold_hours:
        raise InvalidInput(_("A usage plan needs a threshold in hours."))
    if template_id is not None and session.get(InspectionTemplate, template_id) is None:
        raise InvalidInput(_("Template {template} does not exist.", template=template_id))
    if asset_id is not None:
        asset = session.get(Asset, asset_id)
        if asset is None:
            raise InvalidInput(_("Asset {asset} does not exist.", asset=asset_id))
        room_id = room_id or asset.room_id
        building_id = building_id or asset.building_id
    if room_id is not None and building_id is None:
        room = session.get(Room, room_id)
        if room is None:
            raise InvalidInput(_("Room {room} does not exist.", room=room_id))
        building_id = room.building_id
    plan = MaintenancePlan(
        name=name,
        kind=kind.value,
        template_id=template_id,
        building_id=building_id,
        room_id=room_id,
        asset_id=asset_id,
        rrule=rrule,
        starts_at=starts_at,
        lead_days=lead_days,
        threshold_hours=threshold_hours,
        meter_metric=meter_metric,
        alert_rule=alert_rule,
        priority=priority.value,
        usage_since=starts_at,
    )
    session.add(plan)
    session.flush()
    audit.record(session, actor, "plan.create", "plan", plan.id, after=plan)
    return plan


def get_plan(session: Session, plan_id: int) -> MaintenancePlan:
    plan = session.get(MaintenancePlan, plan_id)
    if plan is None:
        raise PlanNotFound(_("Plan {plan} not found.", plan=plan_id))
    return plan


def list_plans(session: Session, viewer: User | None) -> list[MaintenancePlan]:
    ensure_role(viewer, *MANAGING_ROLES)
    return list(session.exec(select(MaintenancePlan).order_by(MaintenancePlan.name)))


def set_plan_active(session: Session, actor: User, plan_id: int, active: bool) -> MaintenancePlan:
    ensure_role(actor, *MANAGING_ROLES)
    plan = get_plan(session, plan_id)
    before = audit.snapshot(plan)
    plan.active = active
    session.add(plan)
    session.flush()
    audit.record(session, actor, "plan.active", "plan", plan.id, before=before, after=plan)
    return plan


def _occurrence(plan: MaintenancePlan, due_at: datetime, now: datetime) -> dict[str, Any]:
    return {
        "plan_id": plan.id,
        "template_id": plan.template_id,
        "building_id": plan.building_id,
        "room_id": plan.room_id,
        "asset_id": plan.asset_id,
        "due_at": due_at,
        "visible_from": due_at - timedelta(days=plan.lead_days),
        "status": InspectionStatus.open.value,
        "result": "",
        "created_at": now,
    }


def insert_occurrences(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert occurrences, skipping any (plan, due time) already there; returns new count."""
    if not rows:
        return 0
    # Each occurrence keeps the checklist version current at its creation (catalogue.py).
    versions = dict(session.exec(select(InspectionTemplate.id, InspectionTemplate.version)).all())
    rows = [{**row, "template_version": versions.get(row["template_id"], 1)} for row in rows]
    dialect = session.get_bind().dialect.name
    table = Inspection.__table__  # type: ignore[attr-defined]
    maker: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    created = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        statement = maker(table).on_conflict_do_nothing(index_elements=["plan_id", "due_at"])
        # RETURNING counts what was really inserted; rowcount is unreliable for executemany.
        result = session.connection().execute(statement.returning(table.c.id), chunk)
        created += len(result.all())
    return created


def _fixed_dues(plan: MaintenancePlan, now: datetime) -> list[datetime]:
    horizon = now + timedelta(days=plan.lead_days)
    return occurrences_between(plan.rrule, plan.starts_at, plan.generated_until, horizon)


def _floating_due(session: Session, plan: MaintenancePlan, now: datetime) -> list[datetime]:
    """One occurrence at a time, due one interval after the last completion."""
    open_count = session.exec(
        select(func.count())
        .select_from(Inspection)
        .where(Inspection.plan_id == plan.id)
        .where(Inspection.status == InspectionStatus.open.value)
    ).one()
    if open_count:
        return []
    last_done = session.exec(select(func.max(Inspection.completed_at)).where(Inspection.plan_id == plan.id)).one()
    if last_done is None and plan.generated_until is not None:
        return []  # the first one was cancelled, not completed: wait for a manager
    due = next_after(plan.rrule, last_done or plan.starts_at)
    if due is None or due - timedelta(days=plan.lead_days) > now:
        return []
    return [due]


def generate_occurrences(session: Session, now: datetime) -> int:
    """Create every occurrence that became visible since the last run, for every calendar plan.

    Catch-up is by each plan's cursor, not the clock: after downtime all missed dates are created
    and show as overdue. The unique (plan, due time) makes a repeated or concurrent run harmless.
    """
    plans = session.exec(
        select(MaintenancePlan)
        .where(col(MaintenancePlan.active).is_(True))
        .where(col(MaintenancePlan.kind).in_(CALENDAR_KINDS))
        .where(MaintenancePlan.starts_at <= now + timedelta(days=366))
    ).all()
    rows: list[dict[str, Any]] = []
    for plan in plans:
        if plan.kind == PlanKind.fixed.value:
            dues = _fixed_dues(plan, now)
        else:
            dues = _floating_due(session, plan, now)
        if not dues:
            continue
        rows.extend(_occurrence(plan, due, now) for due in dues)
        plan.generated_until = max(dues[-1], plan.generated_until or dues[-1])
        session.add(plan)
    created = insert_occurrences(session, rows)
    session.flush()
    return created


def open_usage_occurrence(session: Session, plan: MaintenancePlan, now: datetime) -> bool:
    """A usage plan passed its threshold: one occurrence due now, and the count starts again."""
    exists = session.exec(
        select(func.count())
        .select_from(Inspection)
        .where(Inspection.plan_id == plan.id)
        .where(Inspection.status == InspectionStatus.open.value)
    ).one()
    if exists or plan.template_id is None:
        return False
    created = insert_occurrences(session, [_occurrence(plan, now, now)])
    plan.usage_since = now
    plan.generated_until = now
    session.add(plan)
    session.flush()
    return created > 0
