"""JSON API of commands: read and set an actuator channel's desired state (managers and admins)."""

from __future__ import annotations

from fastapi import APIRouter

from facility.core.auth import CurrentUser, DbSession, ensure_role
from facility.core.errors import Forbidden, InvalidInput, NotAuthenticated, error_responses
from facility.core.models import MANAGING_ROLES
from facility.core.params import ObjectId
from facility.sensors import desired
from facility.sensors.channels import kind_of
from facility.sensors.command_schemas import DesiredStatePublic, DesiredStateUpdate
from facility.sensors.exceptions import DeviceNotFound, InvalidChannel, InvalidDesiredValue

router = APIRouter(prefix="/api/v1", tags=["commands"])
ERRORS = error_responses(NotAuthenticated, Forbidden, DeviceNotFound, InvalidChannel, InvalidDesiredValue, InvalidInput)
PATH = "/devices/{device_id}/channels/{channel}/desired"


@router.get(PATH, response_model=DesiredStatePublic, responses=ERRORS)
def read_desired(device_id: ObjectId, channel: str, session: DbSession, user: CurrentUser) -> DesiredStatePublic:
    """What is desired and what the device last reported; `idle` when nothing was ever asked."""
    ensure_role(user, *MANAGING_ROLES)
    row = desired.desired_state(session, device_id, channel)
    if row is None:
        return DesiredStatePublic(device_id=device_id, channel=channel, kind=kind_of(channel).name)
    return DesiredStatePublic.model_validate(row)


@router.put(PATH, response_model=DesiredStatePublic, responses=ERRORS)
def put_desired(
    device_id: ObjectId, channel: str, body: DesiredStateUpdate, session: DbSession, user: CurrentUser
) -> DesiredStatePublic:
    """Ask the channel for a value (the gateway sends it and confirms it); audited."""
    row = desired.set_desired_by(
        session, user, device_id=device_id, channel=channel, value=body.value, expires_at=body.expires_at
    )
    return DesiredStatePublic.model_validate(row)
