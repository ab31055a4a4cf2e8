"""The gateway's side of desired state: claim what is due, record what was sent, confirm from reports.

Work that crosses a process: rows are claimed in a short transaction (FOR UPDATE SKIP LOCKED on
PostgreSQL, and a lease on every backend, so a gateway that dies between claim and publish delays
a command by one lease only), published outside any transaction, and the send is recorded in its
own. Commands are absolute values, so a command sent twice (a retry, a restart) is applied once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, or_, update
from sqlmodel import Session, col, select

from facility.core import audit
from facility.core.i18n import gettext_noop as N_
from facility.sensors.channels import agrees
from facility.sensors.command_models import DesiredState
from facility.sensors.encoders import Report
from facility.sensors.models import Alert, Device

UNCONFIRMED_RULE = "command_unconfirmed"
UNCONFIRMED_MESSAGE = N_("A device did not confirm a command.")
# A claimed row is the claimer's this long; publishing takes milliseconds, so it only matters
# when a gateway dies between claim and publish.
LEASE = timedelta(seconds=10)


class Claim(NamedTuple):
    """One command to publish: the row, its device and the value claimed."""

    id: int
    device_id: int
    code: str
    profile: str
    building: str
    room: str
    channel: str
    value: str
    attempt: int


def _due(now: datetime, retry_after: timedelta) -> Any:
    free = or_(col(DesiredState.lease_until).is_(None), col(DesiredState.lease_until) <= now)
    due = or_(
        col(DesiredState.state) == "pending",
        and_(col(DesiredState.state) == "sent", col(DesiredState.sent_at) <= now - retry_after),
    )
    return and_(due, free)


def anything_due(session: Session, now: datetime, *, retry_after: timedelta) -> bool:
    """A read-only look first, so an idle gateway takes no write lock (SQLite) several times a second."""
    return session.exec(select(DesiredState.id).where(_due(now, retry_after)).limit(1)).first() is not None


def claim_due(
    session: Session,
    now: datetime,
    *,
    retry_after: timedelta,
    max_attempts: int,
    resting: Sequence[int] = (),
    limit: int = 500,
) -> tuple[list[Claim], list[Alert]]:
    """Rows pending, or sent and unconfirmed for `retry_after`, of devices not `resting` (rate
    limit); one per device. Rows out of attempts fail with an alert instead of a claim."""
    query = (
        select(DesiredState, Device)
        .join(Device, col(Device.id) == col(DesiredState.device_id))
        .where(_due(now, retry_after))
        .order_by(col(DesiredState.updated_at))
        .limit(limit)
        .with_for_update(skip_locked=True, of=DesiredState)  # type: ignore[arg-type]
    )
    if resting:
        query = query.where(col(DesiredState.device_id).not_in(list(resting)))
    claims: list[Claim] = []
    alerts: list[Alert] = []
    devices: set[int] = set()
    for row, device in session.exec(query):
        if row.device_id in devices:
            continue
        if row.attempts >= max_attempts:
            alerts.append(_fail(session, row, device, now))
            continue
        devices.add(row.device_id)
        row.attempts += 1
        row.lease_until = now + LEASE
        session.add(row)
        assert row.id is not None and row.desired_value is not None
        claims.append(
            Claim(
                row.id,
                row.device_id,
                device.code,
                device.profile,
                device.reported_building,
                device.reported_room,
                row.channel,
                row.desired_value,
                row.attempts,
            )
        )
    session.flush()
    return claims, alerts


def _fail(session: Session, row: DesiredState, device: Device, now: datetime) -> Alert:
    alert = Alert(
        rule=UNCONFIRMED_RULE,
        room_id=device.room_id,
        device_id=device.id,
        metric=row.channel[:40],
        severity="warning",
        message=UNCONFIRMED_MESSAGE,
        raised_at=now,
    )
    session.add(alert)
    session.flush()
    before = audit.snapshot(row)
    row.state, row.lease_until, row.alert_id = "failed", None, alert.id
    session.add(row)
    entry = audit.record(session, None, "desired.failed", "desired_state", row.id, before=before, after=row)
    entry.actor_label = "gateway"
    return alert


def record_sent(session: Session, sent: Sequence[Claim], now: datetime) -> None:
    """Mark published claims sent, unless the wish changed meanwhile (then it is pending again)."""
    if not sent:
        return
    statement = (
        update(DesiredState)
        .where(
            col(DesiredState.id) == bindparam("row_id"),
            col(DesiredState.desired_value) == bindparam("value"),
            col(DesiredState.state) != "confirmed",
            col(DesiredState.state) != "failed",
        )
        .values(state="sent", sent_at=now, lease_until=None)
    )
    session.connection().execute(statement, [{"row_id": c.id, "value": c.value} for c in sent])


def release(session: Session, unsent: Sequence[Claim]) -> None:
    """Claims that could not be published go back, their attempt not counted; they keep their
    lease, so a device that cannot be told yet (no discovery config, broker away) is tried again
    once a lease later, not on every turn (a reconnect frees them at once)."""
    for claim in unsent:
        row = session.get(DesiredState, claim.id)
        if row is not None and row.lease_until is not None:
            row.attempts = max(0, row.attempts - 1)
            session.add(row)


def record_reports(session: Session, reports: Sequence[Report], now: datetime) -> list[DesiredState]:
    """Reported values onto the rows of known channels; the rows they confirm, confirmed."""
    if not reports:
        return []
    latest = {(r.device, r.channel): r.value for r in reports}
    codes = {device for device, _channel in latest}
    query = (
        select(DesiredState, Device.code)
        .join(Device, col(Device.id) == col(DesiredState.device_id))
        .where(col(Device.code).in_(codes))
    )
    confirmed = []
    for row, code in session.exec(query):
        value = latest.get((code, row.channel))
        if value is None:
            continue
        if row.reported_value != value:
            row.reported_value, row.reported_at = value, now
            session.add(row)
        if row.state in ("pending", "sent", "failed") and row.desired_value is not None:
            if agrees(row.channel, row.desired_value, value):
                row.state, row.confirmed_at, row.lease_until, row.reported_at = "confirmed", now, None, now
                _clear_alert(session, row, now)
                session.add(row)
                confirmed.append(row)
    session.flush()
    return confirmed


def _clear_alert(session: Session, row: DesiredState, now: datetime) -> None:
    if row.alert_id is None:
        return
    alert = session.get(Alert, row.alert_id)
    if alert is not None and alert.state == "active":
        alert.state, alert.cleared_at = "cleared", now
        session.add(alert)
    row.alert_id = None


def resend_unconfirmed(session: Session, device_ids: Sequence[int] | None = None) -> int:
    """After a (re)connect: every sent or waiting, unconfirmed row is due at once (the device
    may have missed it while either side was away)."""
    statement = (
        update(DesiredState)
        .where(col(DesiredState.state).in_(("sent", "pending")))
        .values(state="pending", lease_until=None)
    )
    if device_ids is not None:
        statement = statement.where(col(DesiredState.device_id).in_(list(device_ids)))
    return session.connection().execute(statement).rowcount or 0


def watched_codes(session: Session) -> list[str]:
    """Codes of devices with actuator channels: the only ones whose answers are decoded."""
    query = select(Device.code).join(DesiredState, col(DesiredState.device_id) == col(Device.id)).distinct()
    return list(session.exec(query))
