"""The control page: a device's actuator channels, desired vs reported, and a manual override."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.db import utcnow
from facility.core.errors import FacilityError
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES
from facility.core.params import ObjectId
from facility.core.web import flash, form_savepoint, redirect, render
from facility.sensors import desired
from facility.sensors.channels import KINDS, MODES
from facility.sensors.exceptions import DeviceNotFound
from facility.sensors.models import Device

router = APIRouter(include_in_schema=False)
# The override lengths a manager picks from (hours; 0: no expiry, automation may change it).
OVERRIDE_HOURS = (0, 1, 2, 4, 8, 24)


def _context(session: DbSession, device_id: int) -> dict[str, object]:
    device = session.get(Device, device_id)
    if device is None:
        raise DeviceNotFound(device_id)
    channels = desired.actuator_channels(session, device_id)
    known = {c.channel for c in channels}
    addable = [k for k in sorted(desired.PROFILE_KINDS.get(device.profile, ())) if k not in known]
    return {
        "device": device,
        "channels": channels,
        "addable": addable,
        "kinds": KINDS,
        "modes": MODES,
        "override_hours": OVERRIDE_HOURS,
        "now": utcnow(),
    }


@router.get("/sensors/devices/{device_id}/control")
def control_page(request: Request, device_id: ObjectId, session: DbSession, user: CurrentUser) -> Response:
    ensure_role(user, *MANAGING_ROLES)
    return render(request, "sensors/control.html", _context(session, device_id), block="channels")


@router.post("/sensors/devices/{device_id}/control")
def set_from_form(
    request: Request,
    device_id: ObjectId,
    session: DbSession,
    user: CurrentUser,
    channel: Annotated[str, Form(max_length=40)] = "",
    value: Annotated[str, Form(max_length=40)] = "",
    hours: Annotated[int, Form(ge=0, le=24)] = 0,
) -> Response:
    ensure_role(user, *MANAGING_ROLES)
    expires_at = utcnow() + timedelta(hours=hours) if hours else None
    try:
        with form_savepoint(session):
            desired.set_desired_by(
                session, user, device_id=device_id, channel=channel, value=value, expires_at=expires_at
            )
    except FacilityError as error:
        if isinstance(error, DeviceNotFound) or error.status_code in (401, 403):
            raise
        context = _context(session, device_id) | {"error": error.message, "failed_channel": channel}
        return render(request, "sensors/control.html", context, block="channels", status_code=422)
    flash(request, _("The value is sent to the device; its report confirms it."))
    return redirect(request, f"/sensors/devices/{device_id}/control")
