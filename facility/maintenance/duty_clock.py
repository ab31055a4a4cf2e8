"""The duties' clock (a scheduler job): a reminder before a step is due, an escalation after,
and retention periods that run out. Each is sent once per step, through the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from facility.core import audit, channels
from facility.core.models import User
from facility.maintenance import service as work_orders
from facility.maintenance.duties import RETAIN
from facility.maintenance.duty_models import Duty

# The owner hears of a step this long before it is due: enough to file with a portal.
REMIND_BEFORE = timedelta(days=3)


def _owners(session: Session, duty: Duty) -> list[User]:
    owner = session.get(User, duty.owner_id) if duty.owner_id else None
    return [owner] if owner is not None and owner.active else work_orders.managers(session)


def _line(duty: Duty) -> str:
    cites = f"{duty.law} {duty.article}".strip()
    return f"- #{duty.id} {duty.name_ko} ({cites}), 기한 {duty.due_at:%Y-%m-%d} (inspection {duty.inspection_id})"


def _running() -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """Open steps that can fall due (a retention step ends by itself)."""
    return col(Duty.status) == "open", col(Duty.step_key) != RETAIN


def remind_due(session: Session, now: datetime) -> int:
    """Tell each step's owner (or the managers) it is due within REMIND_BEFORE; once a step."""
    duties = session.exec(
        select(Duty)
        .where(*_running())
        .where(col(Duty.due_at) >= now, col(Duty.due_at) <= now + REMIND_BEFORE)
        .where(col(Duty.reminded_at).is_(None))
    ).all()
    for duty in duties:
        duty.reminded_at = now
        session.add(duty)
        audit.record(session, None, "duty.remind", "duty", duty.id, after={"due_at": duty.due_at})
        emails = [u.email for u in _owners(session, duty)]
        subject = f"[시설] 법정 의무 기한 임박: {duty.name_ko} / duty due {duty.due_at:%Y-%m-%d}"
        channels.notify_staff(session, emails, subject=subject, body=_line(duty))
    session.flush()
    return len(duties)


def escalate_overdue(session: Session, now: datetime) -> int:
    """Tell the managers and the owner of each step past its due time; once a step."""
    duties = session.exec(
        select(Duty).where(*_running()).where(col(Duty.due_at) < now).where(col(Duty.escalated_at).is_(None))
    ).all()
    for duty in duties:
        duty.escalated_at = now
        session.add(duty)
        audit.record(session, None, "duty.escalate", "duty", duty.id, after={"due_at": duty.due_at})
        emails = [u.email for u in [*work_orders.managers(session), *_owners(session, duty)]]
        subject = f"[시설] 법정 의무 기한 경과: {duty.name_ko} / duty overdue"
        channels.notify_staff(session, emails, subject=subject, body=_line(duty))
    session.flush()
    return len(duties)


def expire_retention(session: Session, now: datetime) -> int:
    """Retention steps whose period ran out: their records may now be deleted (see retention.py)."""
    duties = session.exec(
        select(Duty).where(Duty.step_key == RETAIN, Duty.status == "open", col(Duty.due_at) <= now)
    ).all()
    for duty in duties:
        duty.status, duty.done_at = "expired", now
        session.add(duty)
        audit.record(session, None, "duty.retention_ended", "duty", duty.id, after={"due_at": duty.due_at})
    session.flush()
    return len(duties)


def tick(session: Session, now: datetime) -> int:
    """One run of the job: reminders, escalations and ended retention periods; returns their count."""
    return remind_due(session, now) + escalate_overdue(session, now) + expire_retention(session, now)
