"""The alert rules page: the defaults, the overrides in force, one override added or removed at a
time (each a new version through the same service as the API), and the history of versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User
from facility.core.params import MAX_ID
from facility.core.web import flash, redirect, render
from facility.rooms import service as rooms_service
from facility.rooms.kinds import RoomKind
from facility.sensors import rule_settings
from facility.sensors.alerts import RULES, Override
from facility.sensors.catalogue import METRICS

router = APIRouter(include_in_schema=False)
PAGE = "/sensors/alert-rules"


def _number(text: str, field: str) -> float | None:
    """An empty field keeps the wider scope's value; a comma is read as a decimal point."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(_("Enter a number or leave the field empty."), extra={"field": field}) from None


def _scope(text: str) -> tuple[str | None, int | None]:
    """`all`, `kind:<kind>` or `room:<id>` from the page's one scope select."""
    kind, _sep, value = text.partition(":")
    if kind == "kind" and value:
        return value, None
    if kind == "room" and value.isdigit() and len(value) <= 9:
        return None, int(value)
    if text == "all":
        return None, None
    raise InvalidInput(_("Choose the rooms the rule is for."), extra={"field": "scope"})


def _context(session: DbSession, user: User) -> dict[str, object]:
    version, overrides = rule_settings.current_overrides(session)
    rooms = rooms_service.all_rooms(session)
    history = rule_settings.list_versions(session, user)
    authors = {v.created_by for v in history if v.created_by is not None}
    return {
        "_": _,
        "people": {i: session.get(User, i) for i in authors},
        "version": version,
        "overrides": overrides,
        "rules": RULES,
        "metrics": METRICS,
        "kinds": list(RoomKind),
        "rooms": rooms,
        "rooms_by_id": {r.id: r for r in rooms},
        "history": history,
    }


@router.get(PAGE)
def alert_rules_page(request: Request, session: DbSession, user: CurrentUser) -> Response:
    ensure_role(user, *MANAGING_ROLES)
    return render(request, "sensors/alert_rules.html", _context(session, user))


@router.post(PAGE)
def save_override_from_form(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    version: Annotated[int, Form(ge=0, le=MAX_ID)],
    rule: Annotated[str, Form(max_length=64)],
    scope: Annotated[str, Form(max_length=60)] = "all",
    below: Annotated[str, Form(max_length=20)] = "",
    above: Annotated[str, Form(max_length=20)] = "",
    delay_minutes: Annotated[str, Form(max_length=20)] = "",
    enabled: Annotated[str, Form(max_length=5)] = "on",
    note: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Add one override, or replace the one for the same rule and rooms."""
    ensure_role(user, *MANAGING_ROLES)
    room_kind, room_id = _scope(scope)
    new = Override(
        rule,
        room_kind,
        room_id,
        above=_number(above, "above"),
        below=_number(below, "below"),
        delay_minutes=_number(delay_minutes, "delay_minutes"),
        enabled=enabled != "off",
    )
    kept = [o for o in rule_settings.current_overrides(session)[1] if (o.rule, o.scope) != (new.rule, new.scope)]
    rule_settings.save_overrides(session, user, version, [*kept, new], note)
    flash(request, _("Alert rules saved as a new version."))
    return redirect(request, PAGE)


@router.post(PAGE + "/remove")
def remove_override_from_form(
    request: Request,
    session: DbSession,
    user: CurrentUser,
    version: Annotated[int, Form(ge=0, le=MAX_ID)],
    position: Annotated[int, Form(ge=0, le=500)],
) -> Response:
    """Remove one override (by its place in the version shown), back to the wider scope's rule."""
    ensure_role(user, *MANAGING_ROLES)
    overrides = list(rule_settings.current_overrides(session)[1])
    if position >= len(overrides):
        raise InvalidInput(_("That override is no longer there; reload the page."))
    del overrides[position]
    rule_settings.save_overrides(session, user, version, overrides)
    flash(request, _("Alert rules saved as a new version."))
    return redirect(request, PAGE)
