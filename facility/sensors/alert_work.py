"""Alerts as work: staff acknowledge, assign, snooze and resolve them, each audited.

Acknowledge and resolve are conditional updates (`... WHERE acknowledged_at IS NULL`), so of two
people pressing the button at once exactly one wins and writes the one audit row; the other
meets a 409. Crew and managers acknowledge and resolve; only managers assign and snooze
(docs/roles.md). A snoozed alert is left out of the open list until its time, and the
`sensors.wake_snoozed` job then clears the snooze and tells its owner it is back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select, update

from facility.core import audit, channels
from facility.core.auth import ensure_role
from facility.core.config import absolute_url, active_settings
from facility.core.db import utcnow
from facility.core.errors import InvalidInput
from facility.core.i18n import gettext as _
from facility.core.i18n import gettext_noop as N_
from facility.core.i18n import label
from facility.core.models import MANAGING_ROLES, STAFF_ROLES, User
from facility.rooms.models import Room
from facility.sensors.catalogue import METRICS
from facility.sensors.exceptions import AlertAlreadyHandled, AlertNotFound
from facility.sensors.models import Alert, Device

# A snooze is for "after the lecture" or "Monday morning", not for forgetting an alert.
MAX_SNOOZE = timedelta(days=7)
OPEN_STATES = ("active",)
# Alerts whose value says nothing to a person (a flag, a state, a rule on bookings) get a sentence.
SENTENCES = {
    "occupied_unbooked": N_("People are present, but the room has no booking or Institute block."),
    "likely_no_show": N_("Nobody is present although the room is booked."),
    "water_leak": N_("The leak sensor reports water."),
    "equipment_fault": N_("The equipment reports a fault."),
}

# What maintenance says about an alert's work order; the app registers it (sensors never imports
# maintenance). Given alert ids, it returns {alert id: (work order id, its status)}.
WorkOrderLookup = Callable[[Session, Sequence[int]], dict[int, tuple[int, str]]]
_work_order_lookup: list[WorkOrderLookup] = []


def register_work_order_lookup(lookup: WorkOrderLookup) -> None:
    """The app factory wires maintenance's query in here, so alert pages can show the link."""
    _work_order_lookup[:] = [lookup]


# Whom maintenance would give an alert's work (its building's assignment rule for the rule's
# trade): the assign form preselects that person. Given alerts, it returns {alert id: user id}.
AssigneeSuggestion = Callable[[Session, Sequence[Alert]], dict[int, int]]
_assignee_suggestion: list[AssigneeSuggestion] = []


def register_assignee_suggestion(suggest: AssigneeSuggestion) -> None:
    """The app wires maintenance's assignment rules in here (sensors never imports maintenance)."""
    _assignee_suggestion[:] = [suggest]


def suggested_assignees(session: Session, alerts: Sequence[Alert]) -> dict[int, int]:
    """The preselected assignee of each unassigned alert, where an assignment rule names one."""
    unassigned = [a for a in alerts if a.assignee_id is None and a.id is not None]
    if not unassigned or not _assignee_suggestion:
        return {}
    return _assignee_suggestion[0](session, unassigned)


def work_orders_for(session: Session, alerts: Sequence[Alert]) -> dict[int, tuple[int, str]]:
    ids = [a.id for a in alerts if a.id is not None]
    if not ids or not _work_order_lookup:
        return {}
    return _work_order_lookup[0](session, ids)


def describe(alert: Alert) -> str:
    """What happened, as a person reads it: a sentence for flags and rules, else the value."""
    metric = METRICS.get(alert.metric)
    if alert.rule in SENTENCES or alert.value is None or metric is None or metric.states:
        return _(SENTENCES.get(alert.rule, "")) or label(f"rule.{alert.rule}")
    return _("Value {value} {unit}", value=metric.format(alert.value), unit=metric.display_unit).strip()


def get_alert(session: Session, viewer: User | None, alert_id: int) -> Alert:
    ensure_role(viewer, *STAFF_ROLES)
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound(alert_id)
    return alert


def _conditional(
    session: Session, actor: User, alert: Alert, action: str, refused: str, *where: Any, **values: Any
) -> Alert:
    """Apply `values` only if the row still matches `where`; one winner, one audit row."""
    before = audit.snapshot(alert)
    result = session.execute(
        update(Alert)
        .where(col(Alert.id) == alert.id, *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(alert)
        raise AlertAlreadyHandled(refused)
    for name, value in values.items():
        set_committed_value(alert, name, value)
    audit.record(session, actor, action, "alert", alert.id, before=before, after=alert)
    return alert


def acknowledge(session: Session, actor: User, alert_id: int, note: str = "") -> Alert:
    """Crew or a manager says "seen, on it"; only the first acknowledgement counts."""
    alert = get_alert(session, actor, alert_id)
    return _conditional(
        session,
        actor,
        alert,
        "alert.acknowledge",
        _("This alert was already acknowledged or resolved."),
        col(Alert.acknowledged_at).is_(None),
        col(Alert.resolved_at).is_(None),
        acknowledged_at=utcnow(),
        acknowledged_by=actor.id,
        acknowledge_note=note.strip()[:500],
    )


def resolve(session: Session, actor: User, alert_id: int, note: str = "") -> Alert:
    """Crew or a manager closes the alert with what was done; it leaves the open list for good."""
    alert = get_alert(session, actor, alert_id)
    now = utcnow()
    return _conditional(
        session,
        actor,
        alert,
        "alert.resolve",
        _("This alert was already resolved."),
        col(Alert.resolved_at).is_(None),
        state="resolved",
        resolved_at=now,
        resolved_by=actor.id,
        resolve_note=note.strip()[:500],
        cleared_at=alert.cleared_at or now,
        snoozed_until=None,
    )


def _staff_member(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in STAFF_ROLES:
        raise InvalidInput(_("The assignee must be an active staff member."), extra={"field": "assignee_id"})
    return user


def _open(alert: Alert) -> None:
    if alert.resolved_at is not None:
        raise AlertAlreadyHandled(_("This alert was already resolved."))


def assign(session: Session, actor: User, alert_id: int, assignee_id: int) -> Alert:
    """A manager gives the alert to a staff member, who is told through the outbox's channels."""
    ensure_role(actor, *MANAGING_ROLES)
    alert = get_alert(session, actor, alert_id)
    _open(alert)
    assignee = _staff_member(session, assignee_id)
    before = audit.snapshot(alert)
    alert.assignee_id = assignee.id
    session.add(alert)
    session.flush()
    audit.record(session, actor, "alert.assign", "alert", alert.id, before=before, after=alert)
    _tell(session, [assignee.email], alert, _("Alert assigned to you"))
    return alert


def snooze(session: Session, actor: User, alert_id: int, until: datetime, now: datetime | None = None) -> Alert:
    """A manager hides the alert from the open list (and from reminders) until `until`."""
    ensure_role(actor, *MANAGING_ROLES)
    alert = get_alert(session, actor, alert_id)
    _open(alert)
    now = now or utcnow()
    if until.tzinfo is None or until <= now:
        raise InvalidInput(_("Snooze until a time in the future."), extra={"field": "until"})
    if until > now + MAX_SNOOZE:
        raise InvalidInput(_("An alert can be snoozed for at most 7 days."), extra={"field": "until"})
    before = audit.snapshot(alert)
    alert.snoozed_until = until
    session.add(alert)
    session.flush()
    audit.record(session, actor, "alert.snooze", "alert", alert.id, before=before, after=alert)
    return alert


def _not_snoozed(now: datetime) -> Any:
    return or_(col(Alert.snoozed_until).is_(None), col(Alert.snoozed_until) <= now)


def open_alerts(session: Session, now: datetime | None = None) -> list[Alert]:
    """Active alerts not snoozed (a snooze whose time has come counts as over), newest first."""
    query = select(Alert).where(col(Alert.state).in_(OPEN_STATES), _not_snoozed(now or utcnow()))
    return list(session.exec(query.order_by(col(Alert.id).desc())).all())


def snoozed_alerts(session: Session, now: datetime | None = None) -> list[Alert]:
    query = select(Alert).where(col(Alert.state).in_(OPEN_STATES), col(Alert.snoozed_until) > (now or utcnow()))
    return list(session.exec(query.order_by(col(Alert.snoozed_until))).all())


def room_history(session: Session, room_id: int, *, limit: int = 50) -> list[Alert]:
    """A room's alerts, newest first, whatever became of them."""
    query = select(Alert).where(Alert.room_id == room_id).order_by(col(Alert.id).desc()).limit(limit)
    return list(session.exec(query).all())


def people(session: Session, alerts: Sequence[Alert]) -> dict[int, User]:
    """The staff named on these alerts (acknowledged, assigned, resolved), by id."""
    ids = {i for a in alerts for i in (a.acknowledged_by, a.assignee_id, a.resolved_by) if i is not None}
    if not ids:
        return {}
    return {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids)))}  # type: ignore[misc]


def where_text(session: Session, alert: Alert) -> str:
    """The room (name and code), or the unplaced device's id and where it says it is."""
    room = session.get(Room, alert.room_id) if alert.room_id else None
    if room is not None:
        return f"{room.name_ko} ({room.code})"
    device = session.get(Device, alert.device_id) if alert.device_id else None
    if device is None:
        return _("Unknown place")
    text = _("Device {code}, not yet placed", code=device.code)
    reported = f"{device.reported_building} {device.reported_room}".strip()
    return f"{text} · {_('reports itself in {where}', where=reported)}" if reported else text


def alert_email(session: Session, alert: Alert, headline: str) -> tuple[str, str]:
    """Subject and body of a staff e-mail about an alert: in words, local time, an absolute link."""
    where = where_text(session, alert)
    raised = alert.raised_at.astimezone(active_settings().zone).strftime("%Y-%m-%d %H:%M")
    subject = (
        f"[{headline}] {label(f'severity.{alert.severity}')} · {label(f'rule.{alert.rule}')} · {where} (#{alert.id})"
    )
    body = "\n".join(
        (
            describe(alert),
            _("Where: {where}", where=where),
            _("Raised: {time}", time=raised),
            "",
            absolute_url(f"/sensors/alerts#alert-{alert.id}"),
        )
    )
    return subject, body


def _tell(session: Session, emails: list[str], alert: Alert, headline: str) -> None:
    subject, body = alert_email(session, alert, headline)
    channels.notify_staff(session, emails, subject=subject, body=body)


def wake_snoozed(session: Session, now: datetime) -> int:
    """Clear snoozes whose time has come and tell the assignee (or the managers) it is back."""
    due = session.exec(
        select(Alert).where(col(Alert.snoozed_until).is_not(None), col(Alert.snoozed_until) <= now)
    ).all()
    for alert in due:
        alert.snoozed_until = None
        session.add(alert)
        if alert.state not in OPEN_STATES:
            continue
        owner = session.get(User, alert.assignee_id) if alert.assignee_id else None
        emails = (
            [owner.email]
            if owner is not None
            else list(
                session.exec(
                    select(User.email).where(
                        col(User.role).in_([r.value for r in MANAGING_ROLES]), col(User.active).is_(True)
                    )
                )
            )
        )
        _tell(session, emails, alert, _("Snoozed alert is back"))
    session.flush()
    return len(due)
