"""JSON API of the alert rules: the defaults, the overrides in force, and saving a new version."""

from __future__ import annotations

from fastapi import APIRouter

from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.errors import Forbidden, InvalidInput, NotAuthenticated, error_responses
from facility.core.models import MANAGING_ROLES
from facility.sensors import rule_settings
from facility.sensors.alerts import RULES, Override
from facility.sensors.exceptions import AlertRulesChanged
from facility.sensors.schemas import AlertRuleDefault, AlertRuleOverride, AlertRulesPublic, AlertRulesUpdate

router = APIRouter(prefix="/api/v1", tags=["sensors"])


def default_rules() -> list[AlertRuleDefault]:
    return [
        AlertRuleDefault(
            name=r.name,
            metric=r.metric,
            severity=r.severity,
            above=r.above,
            below=r.below,
            hysteresis=r.hysteresis,
            delay_minutes=r.min_duration.total_seconds() / 60,
            room_kinds=sorted(r.room_kinds) if r.room_kinds is not None else None,
            only_when_booked=r.only_when_booked,
        )
        for r in RULES
    ]


def rules_public(session: DbSession) -> AlertRulesPublic:
    version = rule_settings.current_version(session)
    overrides = rule_settings.current_overrides(session)[1]
    return AlertRulesPublic(
        version=version.id if version and version.id else 0,
        saved_at=version.created_at if version else None,
        saved_by=version.created_by if version else None,
        note=version.note if version else "",
        defaults=default_rules(),
        overrides=[AlertRuleOverride.model_validate(o) for o in overrides],
    )


@router.get("/alert-rules", response_model=AlertRulesPublic, responses=error_responses(NotAuthenticated, Forbidden))
def get_alert_rules(session: DbSession, user: CurrentUser) -> AlertRulesPublic:
    """The default rules and the overrides in force, with the version to send back when saving."""
    ensure_role(user, *MANAGING_ROLES)
    return rules_public(session)


@router.put(
    "/alert-rules",
    response_model=AlertRulesPublic,
    responses=error_responses(NotAuthenticated, Forbidden, InvalidInput, AlertRulesChanged),
)
def put_alert_rules(body: AlertRulesUpdate, session: DbSession, user: CurrentUser) -> AlertRulesPublic:
    """Replace the whole set of overrides; `version` must be the one read (else 409)."""
    overrides = [Override(**o.model_dump()) for o in body.overrides]
    rule_settings.save_overrides(session, user, body.version, overrides, body.note)
    return rules_public(session)
