"""Alerts as work: acknowledge, assign, snooze, resolve, each audited once, on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput
from facility.core.models import AuditEntry, Role
from facility.core.outbox import OutboxMessage
from facility.sensors import alert_work
from facility.sensors.exceptions import AlertAlreadyHandled
from tests.factories import make_room, make_user
from tests.sensors.factories import make_alert


def _audits(session: Session, action: str) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_acknowledge_counts_once_with_who_when_and_note(session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    alert = make_alert(session, room=make_room(session))
    alert_work.acknowledge(session, crew, alert.id, "  환기 중  ")  # type: ignore[arg-type]
    session.commit()
    assert (alert.acknowledged_by, alert.acknowledge_note) == (crew.id, "환기 중")
    assert alert.acknowledged_at is not None
    with pytest.raises(AlertAlreadyHandled) as refused:
        alert_work.acknowledge(session, make_user(session, role=Role.manager), alert.id)  # type: ignore[arg-type]
    assert refused.value.status_code == 409 and "이미" in refused.value.message
    session.rollback()
    assert len(_audits(session, "alert.acknowledge")) == 1


def test_resolve_closes_the_alert_and_a_renter_may_not(session: Session) -> None:
    alert = make_alert(session)
    with pytest.raises(Forbidden):
        alert_work.resolve(session, make_user(session), alert.id)  # type: ignore[arg-type]
    crew = make_user(session, role=Role.crew)
    alert_work.resolve(session, crew, alert.id, "필터 교체")  # type: ignore[arg-type]
    session.commit()
    assert (alert.state, alert.resolved_by, alert.resolve_note) == ("resolved", crew.id, "필터 교체")
    assert alert not in alert_work.open_alerts(session)
    with pytest.raises(AlertAlreadyHandled):
        alert_work.resolve(session, crew, alert.id)  # type: ignore[arg-type]
    session.rollback()
    assert len(_audits(session, "alert.resolve")) == 1


def test_only_managers_assign_and_the_assignee_is_told(session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    alert = make_alert(session)
    with pytest.raises(Forbidden):
        alert_work.assign(session, crew, alert.id, crew.id)  # type: ignore[arg-type]
    manager = make_user(session, role=Role.manager)
    with pytest.raises(InvalidInput):
        alert_work.assign(session, manager, alert.id, make_user(session).id)  # type: ignore[arg-type]
    alert_work.assign(session, manager, alert.id, crew.id)  # type: ignore[arg-type]
    session.commit()
    assert alert.assignee_id == crew.id and len(_audits(session, "alert.assign")) == 1
    told = session.exec(select(OutboxMessage).where(OutboxMessage.to == crew.email)).all()
    assert len(told) == 1 and f"#{alert.id}" in told[0].subject


def test_snooze_hides_the_alert_until_its_time_then_the_job_wakes_it(session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    alert = make_alert(session)
    now = utcnow()
    with pytest.raises(Forbidden):
        alert_work.snooze(session, make_user(session, role=Role.crew), alert.id, now + timedelta(hours=1))  # type: ignore[arg-type]
    for bad in (now - timedelta(minutes=1), now + timedelta(days=8)):
        with pytest.raises(InvalidInput):
            alert_work.snooze(session, manager, alert.id, bad, now=now)  # type: ignore[arg-type]
    alert_work.snooze(session, manager, alert.id, now + timedelta(hours=2), now=now)  # type: ignore[arg-type]
    session.commit()
    assert alert not in alert_work.open_alerts(session, now)
    assert alert in alert_work.snoozed_alerts(session, now)
    later = now + timedelta(hours=3)
    assert alert in alert_work.open_alerts(session, later)  # the read path: its time has come
    assert alert_work.wake_snoozed(session, now) == 0
    assert alert_work.wake_snoozed(session, later) == 1
    session.commit()
    assert alert.snoozed_until is None and len(_audits(session, "alert.snooze")) == 1
    reminded = session.exec(select(OutboxMessage).where(col(OutboxMessage.to) == manager.email)).all()
    assert len(reminded) == 1


def test_a_flag_alert_reads_as_a_sentence_not_value_zero(session: Session) -> None:
    alert = make_alert(session, rule="occupied_unbooked")
    alert.metric, alert.value = "occupancy", 0
    assert "사람이 있습니다" in alert_work.describe(alert)
    co2 = make_alert(session)
    assert alert_work.describe(co2).startswith("값 1,200")
