"""Statutory duties: the chain of steps a completed inspection starts, each with its own clock.

The chain is copied from the `duty` definition of the template version the inspection was made
under (templates.yaml): each step is due a number of days after the completion, is owned by the
safety manager or the inspector, and closes when its evidence is attached (the portal's reference
number, a file, or either). A remediation step waits for the chain's corrective work orders, and
a retention step keeps the records until its years are up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, STAFF_ROLES, User
from facility.maintenance.duty_models import Duty, DutyEvidence
from facility.maintenance.exceptions import DutyNotFound, EvidenceRefused, RemediationOpen
from facility.maintenance.kinds import OPEN_STATUSES
from facility.maintenance.models import (
    Asset,
    Inspection,
    InspectionTemplate,
    InspectionTemplateVersion,
    Submission,
    WorkOrder,
)
from facility.maintenance.uploads import checked_upload
from facility.rooms.models import Building, Room

RETAIN, REMEDIATE, POST = "retain", "remediate", "post"
STATUSES = ("due", "overdue", "open", "done")
# "Due" on the board and in the API: due within the coming week.
DUE_WINDOW = timedelta(days=7)


@dataclass
class DutyView:
    """A step with what the board, the API and the report show beside it."""

    duty: Duty
    building: str
    evidence: list[DutyEvidence] = field(default_factory=list)
    work_orders: list[WorkOrder] = field(default_factory=list)

    @property
    def waiting_on_remediation(self) -> bool:
        return self.duty.step_key == REMEDIATE and any(o.status in OPEN_STATUSES for o in self.work_orders)


def _add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year + years, day=28)


def duty_definition(session: Session, template: InspectionTemplate, version: int) -> dict[str, Any]:
    """The duty of one version of a template (the current one if that version is unknown)."""
    row = session.exec(
        select(InspectionTemplateVersion)
        .where(InspectionTemplateVersion.template_id == template.id)
        .where(InspectionTemplateVersion.version == version)
    ).first()
    return row.duty if row is not None and row.duty else template.duty


def _building_of(session: Session, inspection: Inspection) -> int | None:
    if inspection.building_id:
        return inspection.building_id
    room = session.get(Room, inspection.room_id) if inspection.room_id else None
    asset = session.get(Asset, inspection.asset_id) if inspection.asset_id else None
    return room.building_id if room else asset.building_id if asset else None


def open_chain(session: Session, inspection: Inspection, template: InspectionTemplate, failed: bool) -> list[Duty]:
    """Open the steps of the template's duty for a completed inspection (once; again is a no-op)."""
    definition = duty_definition(session, template, inspection.template_version)
    if not definition or inspection.completed_at is None:
        return []
    existing = chain(session, inspection.id)  # type: ignore[arg-type]
    if existing:
        return existing
    completed = inspection.completed_at
    steps = [s for s in definition["steps"] if s["when"] != "failed" or failed]
    rows = []
    for step in steps:
        due = _add_years(completed, step["years"]) if step["years"] else completed + timedelta(days=step["days"])
        rows.append(
            Duty(
                inspection_id=inspection.id,  # type: ignore[arg-type]
                template_id=template.id,  # type: ignore[arg-type]
                template_version=inspection.template_version,
                duty_code=definition["code"],
                step_key=step["key"],
                step_order=step["order"],
                name_ko=step["ko"],
                name_en=step["en"],
                law=definition["law"],
                article=definition["article"],
                source_url=definition["source_url"],
                building_id=_building_of(session, inspection),
                owner_role=step["owner"],
                owner_id=inspection.completed_by if step["owner"] == "inspector" else None,
                starts_at=completed,
                due_at=due,
                hold_until=due + timedelta(days=step["hold_days"]) if step["hold_days"] else None,
                evidence_kind=step["evidence"],
            )
        )
    try:
        with session.begin_nested():
            session.add_all(rows)
            session.flush()
    except IntegrityError:
        # A resend of the same submission raced this one; its chain stands.
        return chain(session, inspection.id)  # type: ignore[arg-type]
    for row in rows:
        audit.record(session, None, "duty.open", "duty", row.id, after=row)
    return rows


def chain(session: Session, inspection_id: int) -> list[Duty]:
    query = select(Duty).where(Duty.inspection_id == inspection_id).order_by(col(Duty.step_order))
    return list(session.exec(query))


def get_duty(session: Session, viewer: User | None, duty_id: int) -> Duty:
    ensure_role(viewer, *STAFF_ROLES)
    duty = session.get(Duty, duty_id)
    if duty is None:
        raise DutyNotFound(_("Duty {duty} not found.", duty=duty_id))
    return duty


def status_filter(status: str, now: datetime) -> list[Any]:
    """SQL conditions of one board/API status (retention steps are never due nor overdue)."""
    running = [Duty.status == "open", Duty.step_key != RETAIN]
    if status == "due":
        return [*running, Duty.due_at >= now, Duty.due_at < now + DUE_WINDOW]
    if status == "overdue":
        return [*running, Duty.due_at < now]
    if status == "open":
        return running
    return [col(Duty.status).in_(("done", "expired"))]


def list_duties(
    session: Session,
    viewer: User | None,
    *,
    now: datetime,
    status: str = "open",
    law: str = "",
    building_id: int | None = None,
    lang: str = "ko",
    limit: int = 500,
) -> list[DutyView]:
    """Steps of one status, soonest due first, each with its building, evidence and work."""
    ensure_role(viewer, *STAFF_ROLES)
    query = select(Duty).where(*status_filter(status, now))
    if law:
        query = query.where(Duty.law == law)
    if building_id is not None:
        query = query.where(Duty.building_id == building_id)
    duties = list(session.exec(query.order_by(col(Duty.due_at), col(Duty.id)).limit(limit)))
    return views_of(session, duties, lang)


def retention_ending(
    session: Session, before: datetime, *, law: str = "", building_id: int | None = None
) -> list[Duty]:
    """Retention periods still running that end before `before` (the board's "expiring")."""
    query = select(Duty).where(Duty.step_key == RETAIN, Duty.status == "open", col(Duty.due_at) < before)
    if law:
        query = query.where(Duty.law == law)
    if building_id is not None:
        query = query.where(Duty.building_id == building_id)
    return list(session.exec(query.order_by(col(Duty.due_at))))


def views_of(session: Session, duties: list[Duty], lang: str = "ko") -> list[DutyView]:
    """Each step with its building name, its evidence, and (remediation) the chain's work orders."""
    ids = [d.id for d in duties]
    evidence: dict[int, list[DutyEvidence]] = {}
    for row in session.exec(
        select(DutyEvidence).where(col(DutyEvidence.duty_id).in_(ids)).order_by(col(DutyEvidence.id))
    ):
        evidence.setdefault(row.duty_id, []).append(row)
    buildings = {b.id: (b.name_en if lang == "en" else b.name_ko) for b in session.exec(select(Building))}
    result = []
    for duty in duties:
        orders = corrective_orders(session, duty.inspection_id) if duty.step_key == REMEDIATE else []
        name = buildings.get(duty.building_id, "—") if duty.building_id else "—"
        result.append(DutyView(duty, name, evidence.get(duty.id, []), orders))  # type: ignore[arg-type]
    return result


def summary(
    running: list[DutyView], overdue: list[DutyView], due: list[DutyView], waiting: list[DutyView]
) -> dict[tuple[str, str], dict[str, int]]:
    """Open steps counted per law and building: open, overdue, due this week, waiting on work."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for name, views in (("open", running), ("overdue", overdue), ("due", due), ("waiting", waiting)):
        for view in views:
            row = counts.setdefault(
                (view.duty.law, view.building), dict.fromkeys(("open", "overdue", "due", "waiting"), 0)
            )
            row[name] += 1
    return dict(sorted(counts.items()))


def corrective_orders(session: Session, inspection_id: int) -> list[WorkOrder]:
    """The work orders the inspection's failed items opened (its latest submission's)."""
    latest = session.exec(
        select(Submission).where(Submission.inspection_id == inspection_id).order_by(col(Submission.id).desc())
    ).first()
    ids = latest.work_order_ids if latest else []
    if not ids:
        return []
    return list(session.exec(select(WorkOrder).where(col(WorkOrder.id).in_(ids)).order_by(col(WorkOrder.id))))


def add_evidence(
    session: Session,
    actor: User,
    duty_id: int,
    *,
    now: datetime,
    reference_no: str = "",
    note: str = "",
    filename: str = "",
    content_type: str = "",
    data: bytes | None = None,
) -> Duty:
    """Attach a step's evidence; the step closes when the evidence is the kind it asks for."""
    duty = get_duty(session, actor, duty_id)
    if duty.owner_id != actor.id:
        ensure_role(actor, *MANAGING_ROLES)
    if duty.step_key == RETAIN:
        raise EvidenceRefused(_("A retention period needs no evidence; it ends by itself."))
    reference_no = " ".join(reference_no.split())[:100]
    if data is not None:
        content_type = checked_upload(filename, content_type, data)
    missing = (duty.evidence_kind == "reference" and not reference_no) or (
        duty.evidence_kind == "file" and data is None
    )
    if missing or (not reference_no and data is None):
        raise EvidenceRefused(
            _("This step needs the portal's reference number.")
            if duty.evidence_kind == "reference"
            else _("This step needs a file (a PDF or a photo).")
            if duty.evidence_kind == "file"
            else _("Give a reference number or attach a file.")
        )
    if duty.step_key == REMEDIATE:
        still_open = [o.id for o in corrective_orders(session, duty.inspection_id) if o.status in OPEN_STATUSES]
        if still_open:
            numbers = ", ".join(f"#{n}" for n in still_open)
            raise RemediationOpen(_("Finish the corrective work first: {orders}.", orders=numbers))
    evidence = DutyEvidence(
        duty_id=duty.id,  # type: ignore[arg-type]
        reference_no=reference_no,
        note=note.strip()[:1000],
        filename=filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200] if data is not None else "",
        content_type=content_type if data is not None else "",
        data=data,
        sha256=_sha256(data),
        added_by=actor.id,
        created_at=now,
    )
    session.add(evidence)
    before = audit.snapshot(duty)
    if duty.status == "open":
        duty.status, duty.done_at, duty.done_by = "done", now, actor.id
        session.add(duty)
    session.flush()
    audit.record(session, actor, "duty.evidence", "duty", duty.id, before=before, after=duty)
    return duty


def _sha256(data: bytes | None) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest() if data is not None else ""


def evidence_file(session: Session, viewer: User | None, evidence_id: int) -> DutyEvidence:
    ensure_role(viewer, *STAFF_ROLES)
    row = session.get(DutyEvidence, evidence_id)
    if row is None or row.data is None:
        raise DutyNotFound(_("Evidence {evidence} not found.", evidence=evidence_id))
    return row
