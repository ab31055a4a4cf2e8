"""Who gets generated work: assignment rules by building and trade.

A corrective work order (from a public fault report, a sensor alert or a failed checklist item)
gets the assignee of its building's rule for its trade, else of the building's catch-all rule
(empty trade), so crews find it under "assigned to me" and can start it at once.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, STAFF_ROLES, User
from facility.maintenance.models import AssignmentRule
from facility.rooms.models import Building

# The craft an asset kind needs (the trades are those of staff profiles: facility/imports).
TRADE_OF_ASSET = {
    "hvac": "mechanical",
    "boiler": "mechanical",
    "chiller": "mechanical",
    "pump": "mechanical",
    "pool_pump": "mechanical",
    "pool_filter": "mechanical",
    "kitchen_hood": "mechanical",
    "lift": "mechanical",
    "fire_panel": "fire",
    "extinguisher": "fire",
    "sprinkler": "fire",
    "electrical_panel": "electrical",
    "generator": "electrical",
    "projector": "av",
    "e_lectern": "av",
    "studio_camera": "av",
    "studio_light": "av",
    "vr_headset": "it",
    "iaq_meter": "mechanical",
}
# The craft a sensor alert rule needs.
TRADE_OF_RULE = {
    "co2_high": "mechanical",
    "comfort_temperature": "mechanical",
    "server_room_temperature": "mechanical",
    "water_leak": "mechanical",
    "pool_chlorine": "mechanical",
    "pool_ph": "mechanical",
    "equipment_fault": "general",
    "ups_overload": "electrical",
    "occupied_unbooked": "security",
    "likely_no_show": "general",
}
TRADES = ("general", "electrical", "mechanical", "fire", "av", "it", "cleaning", "security")


def default_assignee(session: Session, building_id: int | None, trade: str) -> int | None:
    """The building's rule for the trade, else its catch-all rule; None without either."""
    if building_id is None:
        return None
    rules = session.exec(
        select(AssignmentRule.trade, AssignmentRule.assignee_id).where(
            AssignmentRule.building_id == building_id, col(AssignmentRule.trade).in_([trade, ""])
        )
    ).all()
    found = dict(rules)
    for key in (trade, ""):
        user_id = found.get(key)
        if user_id is not None:
            user = session.get(User, user_id)
            if user is not None and user.active and user.role in STAFF_ROLES:
                return user_id
    return None


def list_rules(session: Session, viewer: User) -> list[AssignmentRule]:
    ensure_role(viewer, *STAFF_ROLES)
    query = select(AssignmentRule).order_by(col(AssignmentRule.building_id), col(AssignmentRule.trade))
    return list(session.exec(query).all())


def set_rule(session: Session, actor: User, building_id: int, trade: str, assignee_id: int) -> AssignmentRule:
    """A manager says who gets a building's work of a trade (replacing the previous rule)."""
    ensure_role(actor, *MANAGING_ROLES)
    if trade not in ("", *TRADES):
        raise InvalidInput(_("Unknown trade {trade}.", trade=trade), extra={"field": "trade"})
    if session.get(Building, building_id) is None:
        raise InvalidInput(
            _("Building {building} does not exist.", building=building_id), extra={"field": "building_id"}
        )
    user = session.get(User, assignee_id)
    if user is None or not user.active or user.role not in STAFF_ROLES:
        raise InvalidInput(_("The assignee must be an active staff member."), extra={"field": "assignee_id"})
    rule = session.exec(
        select(AssignmentRule).where(AssignmentRule.building_id == building_id, AssignmentRule.trade == trade)
    ).first()
    before = audit.snapshot(rule)
    rule = rule or AssignmentRule(building_id=building_id, trade=trade, assignee_id=assignee_id)
    rule.assignee_id = assignee_id
    session.add(rule)
    session.flush()
    audit.record(session, actor, "assignment_rule.set", "assignment_rule", rule.id, before=before, after=rule)
    return rule
