"""Retention: records of a duty's chain are kept until its retention step ends, then may go.

Deleting is refused before then, by the service and by a guard on the evidence table itself, so
no other path (a script, an admin shell) removes a record the law still asks to keep.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, func
from sqlmodel import Session, col, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, User
from facility.maintenance.duties import RETAIN, chain
from facility.maintenance.duty_models import Duty, DutyEvidence
from facility.maintenance.exceptions import RetentionHeld


def kept_until(session: Session, inspection_id: int) -> datetime | None:
    """The end of the chain's longest retention period (None: the chain keeps nothing)."""
    query = select(func.max(Duty.due_at)).where(Duty.inspection_id == inspection_id, Duty.step_key == RETAIN)
    return session.exec(query).one()


def ensure_deletable(session: Session, inspection_id: int, now: datetime) -> None:
    until = kept_until(session, inspection_id)
    if until is not None and until > now:
        raise RetentionHeld(
            _("These records must be kept until {date}.", date=until.strftime("%Y-%m-%d")), extra={"kept_until": until}
        )


@event.listens_for(DutyEvidence, "before_delete")
def _kept_while_retained(_mapper: Any, connection: Any, target: DutyEvidence) -> None:
    inspection = connection.execute(select(Duty.inspection_id).where(Duty.id == target.duty_id)).scalar()
    with Session(bind=connection) as session:
        ensure_deletable(session, inspection, utcnow())


def purge(session: Session, actor: User, inspection_id: int, now: datetime) -> int:
    """Delete a chain's evidence files and steps once its retention ended; returns rows deleted."""
    ensure_role(actor, *MANAGING_ROLES)
    ensure_deletable(session, inspection_id, now)
    steps = chain(session, inspection_id)
    ids = [d.id for d in steps]
    files = list(session.exec(select(DutyEvidence).where(col(DutyEvidence.duty_id).in_(ids))))
    for row in files:
        session.delete(row)
    session.flush()
    for duty in steps:
        session.delete(duty)
    session.flush()
    audit.record(session, actor, "duty.purge", "inspection", inspection_id, after={"steps": ids, "files": len(files)})
    return len(files) + len(steps)


@dataclass
class Deletable:
    duty_id: int
    inspection_id: int
    duty_code: str
    law: str
    article: str
    kept_until: datetime
    files: int
    size: int


def deletable_report(session: Session, viewer: User | None, now: datetime) -> list[Deletable]:
    """Chains whose retention ended: what may be deleted now, oldest first."""
    ensure_role(viewer, *MANAGING_ROLES)
    ended = session.exec(
        select(Duty).where(Duty.step_key == RETAIN, col(Duty.due_at) <= now).order_by(col(Duty.due_at))
    ).all()
    rows = []
    for duty in ended:
        ids = [d.id for d in chain(session, duty.inspection_id)]
        files = session.exec(
            select(func.count(), func.coalesce(func.sum(func.length(DutyEvidence.data)), 0)).where(
                col(DutyEvidence.duty_id).in_(ids), col(DutyEvidence.data).is_not(None)
            )
        ).one()
        rows.append(
            Deletable(
                duty.id,  # type: ignore[arg-type]
                duty.inspection_id,
                duty.duty_code,
                duty.law,
                duty.article,
                duty.due_at,
                files[0],
                int(files[1]),
            )
        )
    return rows
