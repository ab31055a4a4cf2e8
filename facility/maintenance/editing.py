"""Managers register and edit assets and preventive plans through the API (audited)."""

from __future__ import annotations

from sqlmodel import Session

from facility.core.auth import ensure_role
from facility.core.editing import create_row, update_row
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User
from facility.maintenance import catalogue, plans
from facility.maintenance.assets import get_asset
from facility.maintenance.models import Asset, MaintenancePlan
from facility.maintenance.recurrence import validate_rule
from facility.maintenance.schemas import AssetCreate, AssetUpdate, PlanCreate, PlanUpdate
from facility.rooms.models import Building, Room


def _check_place(session: Session, building_id: int, room_id: int | None, parent_id: int | None) -> None:
    if session.get(Building, building_id) is None:
        raise InvalidInput(_("Building {id} does not exist.", id=building_id))
    if room_id is not None:
        room = session.get(Room, room_id)
        if room is None or room.building_id != building_id:
            raise InvalidInput(_("Room {id} is not in building {building}.", id=room_id, building=building_id))
    if parent_id is not None and session.get(Asset, parent_id) is None:
        raise InvalidInput(_("Asset {id} does not exist.", id=parent_id))


def create_asset(session: Session, actor: User, data: AssetCreate) -> Asset:
    ensure_role(actor, *MANAGING_ROLES)
    _check_place(session, data.building_id, data.room_id, data.parent_id)
    asset = Asset(**data.model_dump(mode="python"))
    asset.kind = data.kind.value
    asset.name_en = asset.name_en or asset.name_ko
    return create_row(session, actor, asset, entity="asset")


def update_asset(session: Session, actor: User, asset_id: int, changes: AssetUpdate) -> Asset:
    ensure_role(actor, *MANAGING_ROLES)
    asset = get_asset(session, asset_id)
    values = changes.model_dump(exclude_none=True)
    if values.get("parent_id") == asset_id:
        raise InvalidInput(_("An asset cannot be part of itself."))
    _check_place(session, asset.building_id, values.get("room_id"), values.get("parent_id"))
    return update_row(session, actor, asset, values, entity="asset")


def create_plan(session: Session, actor: User, data: PlanCreate) -> MaintenancePlan:
    """A preventive plan from a template (its RRULE unless one is given)."""
    ensure_role(actor, *MANAGING_ROLES)
    template = catalogue.get_template(session, data.template) if data.template else None
    return plans.create_plan(
        session,
        actor,
        name=data.name,
        kind=data.kind,
        template_id=template.id if template else None,
        rrule=data.rrule or (template.rrule if template else ""),
        starts_at=data.starts_at,
        building_id=data.building_id,
        room_id=data.room_id,
        asset_id=data.asset_id,
        lead_days=data.lead_days,
        threshold_hours=data.threshold_hours,
        priority=data.priority,
    )


def update_plan(session: Session, actor: User, plan_id: int, changes: PlanUpdate) -> MaintenancePlan:
    """Rename, re-time or pause a plan; occurrences already made stay as they are."""
    ensure_role(actor, *MANAGING_ROLES)
    plan = plans.get_plan(session, plan_id)
    values = changes.model_dump(exclude_none=True)
    if "rrule" in values:
        values["rrule"] = validate_rule(values["rrule"])
    return update_row(session, actor, plan, values, entity="plan")
