"""Desired state: validation, overrides against automation, audit, and who may set it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput
from facility.core.models import AuditEntry, Role
from facility.sensors import desired
from facility.sensors.exceptions import InvalidChannel, InvalidDesiredValue
from facility.sensors.models import Device
from tests.factories import make_user


def make_actuator(session: Session, *, profile: str = "zigbee2mqtt", code: str = "zigbee2mqtt:hall_trv") -> Device:
    device = Device(code=code, profile=profile, reported_building="edu", reported_room="A-101")
    session.add(device)
    session.commit()
    return device


def test_a_manual_value_is_stored_pending_and_audited(session: Session) -> None:
    device = make_actuator(session)
    row = desired.set_desired(session, device_id=device.id, channel="setpoint", value="21.54", actor="kim@example.kr")
    session.commit()
    assert (row.desired_value, row.state, row.attempts, row.kind) == ("21.5", "pending", 0, "setpoint")
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "desired.set")).one()
    assert entry.actor_label == "kim@example.kr" and entry.after["desired_value"] == "21.5"
    # The same wish again changes nothing and writes no second entry.
    desired.set_desired(session, device_id=device.id, channel="setpoint", value=21.5, actor="kim@example.kr")
    session.commit()
    assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "desired.set")).all()) == 1
    assert [c.channel for c in desired.actuator_channels(session, device.id)] == ["setpoint"]


BAD = [
    ("setpoint", 80, InvalidDesiredValue),
    ("setpoint", "warm", InvalidDesiredValue),
    ("relay", "maybe", InvalidDesiredValue),
    ("mode", "dry", InvalidDesiredValue),
    ("dimmer", 101, InvalidDesiredValue),
    ("valve", 1, InvalidChannel),
    ("relay:x", "on", InvalidChannel),
]


def test_bad_values_and_channels_are_refused_with_a_message(session: Session) -> None:
    device = make_actuator(session)
    for channel, value, error in BAD:
        with pytest.raises(error) as raised:
            desired.set_desired(session, device_id=device.id, channel=channel, value=value, actor="x")  # type: ignore[arg-type]
        assert str(raised.value), (channel, value)
    assert desired.desired_states(session, device.id or 0) == []


def test_a_shelly_cannot_be_told_a_setpoint(session: Session) -> None:
    device = make_actuator(session, profile="shelly", code="shelly:shellyplus1-a")
    with pytest.raises(InvalidInput):
        desired.set_desired(session, device_id=device.id, channel="setpoint", value=21, actor="x")


def test_a_manual_override_holds_against_automation_until_it_expires(session: Session) -> None:
    device = make_actuator(session)
    until = utcnow() + timedelta(hours=1)
    desired.set_desired(session, device_id=device.id, channel="setpoint", value=19, actor="kim", expires_at=until)
    row = desired.set_desired(
        session, device_id=device.id, channel="setpoint", value=23, actor="system:energy", source="automation"
    )
    assert (row.desired_value, row.source, row.actor) == ("19", "manual", "kim")
    row.override_until = utcnow() - timedelta(seconds=1)  # the hour has passed
    session.flush()
    row = desired.set_desired(
        session, device_id=device.id, channel="setpoint", value=23, actor="system:energy", source="automation"
    )
    session.commit()
    assert (row.desired_value, row.source, row.actor, row.state) == ("23", "automation", "system:energy", "pending")


def test_only_managers_set_values_through_the_person_path(session: Session) -> None:
    device = make_actuator(session)
    for role in (Role.renter, Role.crew):
        with pytest.raises(Forbidden):
            desired.set_desired_by(
                session, make_user(session, role=role), device_id=device.id, channel="relay", value="on"
            )
    manager = make_user(session, role=Role.manager)
    row = desired.set_desired_by(session, manager, device_id=device.id, channel="relay", value=True)
    session.commit()
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "desired.set")).one()
    assert row.desired_value == "on" and entry.actor_id == manager.id and row.actor == manager.email


def test_many_automation_values_at_once_keep_the_single_path_rules(session: Session) -> None:
    """The bulk path (a campus-wide mode change): new and changed rows pending, a manager's
    override held, an unchanged value not sent again, a refused wish named, each change audited."""
    trv = make_actuator(session)
    shelly = make_actuator(session, profile="shelly", code="shelly:hall_relay")
    desired.set_desired(
        session,
        device_id=trv.id,
        channel="mode",
        value="heat",
        actor="kim@example.kr",
        expires_at=utcnow() + timedelta(hours=1),
    )
    session.commit()
    wishes = [
        desired.Wish(trv.id or 0, "setpoint", 22),
        desired.Wish(trv.id or 0, "mode", "auto"),
        desired.Wish(shelly.id or 0, "setpoint", 22),
        desired.Wish(shelly.id or 0, "relay", "maybe"),
    ]
    taken, refused = desired.set_desired_many(session, wishes, actor="system:energy")
    session.commit()
    assert [(r.channel, r.desired_value) for r in taken] == [("setpoint", "22"), ("mode", "heat")]
    assert [(w.channel, bool(why)) for w, why in refused] == [("setpoint", True), ("relay", True)]
    rows = {r.channel: r for r in desired.desired_states(session, trv.id or 0)}
    assert (rows["setpoint"].state, rows["setpoint"].source, rows["setpoint"].actor) == (
        "pending",
        "automation",
        "system:energy",
    )
    assert rows["mode"].source == "manual"  # the override holds
    entries = session.exec(select(AuditEntry).where(AuditEntry.actor_label == "system:energy")).all()
    assert [e.after["channel"] for e in entries] == ["setpoint"]
    # Asked again, nothing changes and nothing more is audited.
    desired.set_desired_many(session, wishes[:1], actor="system:energy")
    session.commit()
    assert len(session.exec(select(AuditEntry).where(AuditEntry.actor_label == "system:energy")).all()) == 1
