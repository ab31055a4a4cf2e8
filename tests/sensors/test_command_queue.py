"""The gateway's queue as services: one claim per device, rest for rate-limited devices, failure
with an alert after the last attempt, and reports that confirm (and clear the alert)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from facility.core.db import utcnow
from facility.core.models import AuditEntry
from facility.sensors import command_queue, desired
from facility.sensors.encoders import Report
from facility.sensors.models import Alert, Device

RETRY = timedelta(seconds=10)


def thermostat(session: Session, code: str) -> int:
    device = Device(code=code, profile="facility", reported_building="edu", reported_room="A-101")
    session.add(device)
    session.commit()
    assert device.id is not None
    return device.id


def test_one_command_per_device_per_claim_and_resting_devices_wait(session: Session) -> None:
    first, second = thermostat(session, "th-1"), thermostat(session, "th-2")
    desired.set_desired(session, device_id=first, channel="setpoint", value=21, actor="t")
    desired.set_desired(session, device_id=first, channel="mode", value="heat", actor="t")
    desired.set_desired(session, device_id=second, channel="setpoint", value=20, actor="t")
    session.commit()
    now = utcnow()
    assert command_queue.anything_due(session, now, retry_after=RETRY)
    claims, _ = command_queue.claim_due(session, now, retry_after=RETRY, max_attempts=3, resting=[second])
    assert [(c.device_id, c.attempt) for c in claims] == [(first, 1)]
    command_queue.record_sent(session, claims, now)
    session.commit()
    # The other channel of the first device waits for the next turn; the claimed one is sent.
    again, _ = command_queue.claim_due(session, now, retry_after=RETRY, max_attempts=3)
    assert {(c.device_id, c.channel) for c in again} == {(first, "mode"), (second, "setpoint")}


def test_unconfirmed_after_the_last_attempt_fails_with_an_alert_a_late_report_clears(session: Session) -> None:
    device_id = thermostat(session, "th-3")
    desired.set_desired(session, device_id=device_id, channel="setpoint", value=21, actor="t")
    session.commit()
    now = utcnow()
    for attempt in (1, 2):
        claims, alerts = command_queue.claim_due(session, now, retry_after=RETRY, max_attempts=2)
        assert [c.attempt for c in claims] == [attempt] and alerts == []
        command_queue.record_sent(session, claims, now)
        now += RETRY
    claims, (alert,) = command_queue.claim_due(session, now, retry_after=RETRY, max_attempts=2)
    session.commit()
    row = desired.desired_state(session, device_id, "setpoint")
    assert claims == [] and row is not None and row.state == "failed" and row.alert_id == alert.id
    assert alert.rule == "command_unconfirmed" and alert.metric == "setpoint"
    failed = session.exec(select(AuditEntry).where(AuditEntry.action == "desired.failed")).one()
    assert failed.actor_label == "gateway" and failed.after["state"] == "failed"
    confirmed = command_queue.record_reports(session, [Report("th-3", "setpoint", "21")], now)
    session.commit()
    assert [r.state for r in confirmed] == ["confirmed"] and row.reported_value == "21"
    cleared = session.get(Alert, alert.id)
    assert cleared is not None and cleared.state == "cleared"


def test_a_send_recorded_after_the_wish_changed_leaves_it_pending(session: Session) -> None:
    device_id = thermostat(session, "th-4")
    desired.set_desired(session, device_id=device_id, channel="setpoint", value=21, actor="t")
    session.commit()
    claims, _ = command_queue.claim_due(session, utcnow(), retry_after=RETRY, max_attempts=3)
    session.commit()
    row = desired.set_desired(session, device_id=device_id, channel="setpoint", value=23, actor="t")
    command_queue.record_sent(session, claims, utcnow())
    session.commit()
    session.refresh(row)
    assert (row.desired_value, row.state, row.attempts) == ("23", "pending", 0)
