"""Alert rules as managers set them: overrides of the default rules, saved as numbered versions.

A save replaces the whole set of overrides and names the version it was edited from; if someone
saved in between, the save is refused (409) instead of silently undoing their change. Every save is
one audit entry with the sets before and after. The gateway's batches read the newest version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User
from facility.rooms.kinds import RoomKind
from facility.rooms.models import Room
from facility.sensors.alerts import RULES_BY_NAME, Override, RuleSet
from facility.sensors.catalogue import METRICS
from facility.sensors.exceptions import AlertRulesChanged
from facility.sensors.models import AlertRuleVersion

# A delay past a day is no longer an alert but a report.
MAX_DELAY_MINUTES = 24 * 60
MAX_OVERRIDES = 500
FIELDS = ("rule", "room_kind", "room_id", "above", "below", "delay_minutes", "enabled")


def current_version(session: Session) -> AlertRuleVersion | None:
    query = select(AlertRuleVersion).order_by(col(AlertRuleVersion.id).desc()).limit(1)
    return session.exec(query).first()


def _overrides(stored: Sequence[dict[str, Any]]) -> tuple[Override, ...]:
    return tuple(Override(**{k: v for k, v in row.items() if k in FIELDS}) for row in stored)


def current_rule_set(session: Session) -> RuleSet:
    """The rules in force: the defaults with the newest saved overrides (one small row)."""
    version = current_version(session)
    return RuleSet(_overrides(version.overrides)) if version else RuleSet()


def list_versions(session: Session, viewer: User, limit: int = 20) -> list[AlertRuleVersion]:
    ensure_role(viewer, *MANAGING_ROLES)
    query = select(AlertRuleVersion).order_by(col(AlertRuleVersion.id).desc()).limit(limit)
    return list(session.exec(query).all())


def _bad(message: str, index: int, field: str) -> InvalidInput:
    return InvalidInput(message, extra={"field": f"overrides.{index}.{field}"})


def _check(session: Session, index: int, row: Override) -> None:
    rule = RULES_BY_NAME.get(row.rule)
    if rule is None:
        raise _bad(_("Unknown alert rule {rule}.", rule=row.rule), index, "rule")
    if row.room_kind and row.room_id is not None:
        raise _bad(_("An override is for a room kind or for one room, not both."), index, "room_id")
    if row.room_kind and row.room_kind not in RoomKind.__members__:
        raise _bad(_("Unknown room kind {kind}.", kind=row.room_kind), index, "room_kind")
    if row.room_id is not None and session.get(Room, row.room_id) is None:
        raise _bad(_("Room {room} does not exist.", room=row.room_id), index, "room_id")
    metric = METRICS[rule.metric]
    for name, bound in (("above", row.above), ("below", row.below)):
        if bound is not None and not metric.low <= bound <= metric.high:
            raise _bad(
                _(
                    "Limits of this metric lie between {low} and {high}.",
                    low=f"{metric.low:g}",
                    high=f"{metric.high:g}",
                ),
                index,
                name,
            )
    above = row.above if row.above is not None else rule.above
    below = row.below if row.below is not None else rule.below
    if above is not None and below is not None and below >= above:
        raise _bad(_("The lower limit must be below the upper limit."), index, "below")
    if row.delay_minutes is not None and not 0 <= row.delay_minutes <= MAX_DELAY_MINUTES:
        raise _bad(_("The delay is from 0 to 1440 minutes."), index, "delay_minutes")


def save_overrides(
    session: Session, actor: User, based_on: int, overrides: Sequence[Override], note: str = ""
) -> AlertRuleVersion:
    """Validate and save the whole set as the next version (409 if `based_on` is not the newest)."""
    ensure_role(actor, *MANAGING_ROLES)
    previous = current_version(session)
    current = previous.id if previous and previous.id else 0
    if based_on != current:
        raise AlertRulesChanged(current)
    if len(overrides) > MAX_OVERRIDES:
        raise InvalidInput(_("At most {count} overrides.", count=MAX_OVERRIDES))
    seen: set[tuple[str, object]] = set()
    for index, row in enumerate(overrides):
        _check(session, index, row)
        key = (row.rule, row.scope)
        if key in seen:
            raise _bad(_("This rule is overridden twice for the same rooms."), index, "rule")
        seen.add(key)
    rows = [{name: getattr(row, name) for name in FIELDS} for row in overrides]
    version = AlertRuleVersion(overrides=rows, note=note.strip()[:300], created_by=actor.id)
    session.add(version)
    session.flush()
    before = {"version": current, "overrides": previous.overrides if previous else []}
    after = {"version": version.id, "overrides": rows, "note": version.note}
    audit.record(session, actor, "alert_rules.update", "alert_rules", version.id, before=before, after=after)
    return version


def current_overrides(session: Session) -> tuple[int, tuple[Override, ...]]:
    """The newest version's number (0 before any save) and its overrides."""
    version = current_version(session)
    if version is None or version.id is None:
        return 0, ()
    return version.id, _overrides(version.overrides)
