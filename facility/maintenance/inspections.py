"""Inspection occurrences: list them, submit a checklist (idempotently), verify, correct."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from facility.core import audit
from facility.core.auth import ensure_role
from facility.core.db import utcnow
from facility.core.errors import Conflict
from facility.core.i18n import gettext as _
from facility.core.models import MANAGING_ROLES, STAFF_ROLES, User
from facility.maintenance import catalogue, corrective, duties, item_extras
from facility.maintenance.completion import name_matches
from facility.maintenance.exceptions import (
    InspectionClosed,
    InspectionNotFound,
    InvalidAnswers,
)
from facility.maintenance.kinds import InspectionStatus, ItemType
from facility.maintenance.models import Asset, Inspection, InspectionTemplate, Submission
from facility.maintenance.photos import store_photo
from facility.maintenance.schemas import InspectionPublic, SubmissionCreate
from facility.rooms.models import Building, Room

CHECK_VALUES = frozenset({"pass", "fail", "na"})
MAX_PHOTOS_PER_ITEM = 5
# An offline tablet may report when it was filled in, but not earlier than this before arrival.
MAX_OFFLINE_DELAY = timedelta(days=7)


def get_inspection(session: Session, viewer: User | None, inspection_id: int) -> Inspection:
    ensure_role(viewer, *STAFF_ROLES)
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        raise InspectionNotFound(_("Inspection {inspection} not found.", inspection=inspection_id))
    return inspection


def is_overdue(inspection: Inspection, now: datetime | None = None) -> bool:
    return inspection.status == InspectionStatus.open.value and inspection.due_at < (now or utcnow())


def list_inspections(
    session: Session,
    viewer: User | None,
    *,
    due_before: datetime | None = None,
    status: str | None = None,
    building_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[tuple[Inspection, InspectionTemplate]], int]:
    """Occurrences with their template, soonest due first; `status=overdue` is open and past due."""
    ensure_role(viewer, *STAFF_ROLES)
    query = select(Inspection, InspectionTemplate).join(
        InspectionTemplate, col(InspectionTemplate.id) == Inspection.template_id
    )
    if due_before is not None:
        query = query.where(Inspection.due_at < due_before)
    if status == "overdue":
        query = query.where(Inspection.status == "open").where(Inspection.due_at < utcnow())
    elif status:
        query = query.where(col(Inspection.status).in_(status.split(",")))
    if building_id is not None:
        query = query.where(Inspection.building_id == building_id)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Inspection.due_at), col(Inspection.id)).limit(limit).offset(offset))
    return [(i, t) for i, t in rows.all()], total


def to_public(inspection: Inspection, template: InspectionTemplate, lang: str = "ko") -> InspectionPublic:
    return InspectionPublic(
        **inspection.model_dump(
            include={
                "id",
                "plan_id",
                "template_id",
                "building_id",
                "room_id",
                "asset_id",
                "due_at",
                "status",
                "completed_at",
                "result",
                "verified_at",
            }
        ),
        template_code=template.code,
        template_name=template.name_en if lang == "en" else template.name_ko,
        law=template.law,
        overdue=is_overdue(inspection),
    )


def _check_answers(
    session: Session, actor: User, items: list[dict[str, Any]], answers: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Validate answers against the checklist; returns the stored answers and failed item keys."""
    known = {item["key"]: item for item in items}
    unknown = sorted(set(answers) - set(known))
    if unknown:
        raise InvalidAnswers(_("Unknown checklist items: {items}.", items=", ".join(unknown)))
    stored: dict[str, Any] = {}
    failed: list[str] = []
    for key, item in known.items():
        value = answers.get(key)
        if value in (None, "", []):
            if item["required"]:
                raise InvalidAnswers(_("Answer '{item}' ({key}).", item=item["ko"], key=key), extra={"item": key})
            continue
        kind = ItemType(item["type"])
        if kind == ItemType.check:
            if value not in CHECK_VALUES:
                raise InvalidAnswers(_("{key}: answer pass, fail or na.", key=key), extra={"item": key})
            failed += [key] if value == "fail" else []
        elif kind == ItemType.number:
            if value == "na" and not item["required"]:
                stored[key] = "na"
                continue
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise InvalidAnswers(_("{key}: a number is needed.", key=key), extra={"item": key}) from None
            low, high = item.get("min"), item.get("max")
            if (low is not None and value < low) or (high is not None and value > high):
                failed.append(key)
        elif kind == ItemType.text:
            value = str(value)[:2000]
        elif kind == ItemType.time:
            value = item_extras.parse_time(key, value)
        else:
            photos = value if isinstance(value, list) else [value]
            if len(photos) > MAX_PHOTOS_PER_ITEM:
                raise InvalidAnswers(_("{key}: at most {n} photos.", key=key, n=MAX_PHOTOS_PER_ITEM))
            value = [store_photo(session, str(p), uploaded_by=actor.id).id for p in photos]
        stored[key] = value
    return stored, failed


def _completion_time(data: SubmissionCreate, now: datetime) -> datetime:
    if data.filled_at is None:
        return now
    return min(now, max(data.filled_at, now - MAX_OFFLINE_DELAY))


def submit_checklist(session: Session, actor: User, inspection_id: int, data: SubmissionCreate) -> Submission:
    """Record a completed checklist; the same submission id again returns the first result."""
    ensure_role(actor, *STAFF_ROLES)
    existing = _by_submission_id(session, data.submission_id)
    if existing is not None:
        return _same_inspection(existing, inspection_id)
    inspection = get_inspection(session, actor, inspection_id)
    if inspection.status == InspectionStatus.cancelled.value:
        raise InspectionClosed(_("This inspection was cancelled."))
    template = session.get(InspectionTemplate, inspection.template_id)
    assert template is not None
    try:
        with session.begin_nested():
            submission = _record(session, actor, inspection, template, data)
    except IntegrityError:
        # A resend raced the first request (PostgreSQL); the first one won.
        existing = _by_submission_id(session, data.submission_id)
        if existing is None:
            raise
        return _same_inspection(existing, inspection_id)
    return submission


def _by_submission_id(session: Session, submission_id: str) -> Submission | None:
    return session.exec(select(Submission).where(Submission.submission_id == submission_id)).first()


def _same_inspection(submission: Submission, inspection_id: int) -> Submission:
    if submission.inspection_id != inspection_id:
        raise Conflict(_("This submission id was already used for another inspection."))
    return submission


def _record(
    session: Session,
    actor: User,
    inspection: Inspection,
    template: InspectionTemplate,
    data: SubmissionCreate,
) -> Submission:
    if not data.signature and not name_matches(actor, data.confirm_name):
        message = (
            _("The typed name does not match your name ({name}).", name=actor.full_name)
            if data.confirm_name.strip()
            else _("Sign, or type your name to confirm.")
        )
        raise InvalidAnswers(message, extra={"item": "signature"})
    items = catalogue.items_of_version(session, template, inspection.template_version)
    answers, failed = _check_answers(session, actor, items, data.answers)
    extras = item_extras.check_extras(session, actor, items, failed, data.item_notes, data.item_photos)
    signature = store_photo(session, data.signature, uploaded_by=actor.id) if data.signature else None
    previous = session.exec(
        select(Submission).where(Submission.inspection_id == inspection.id).order_by(col(Submission.id).desc())
    ).first()
    now = utcnow()
    submission = Submission(
        submission_id=data.submission_id,
        inspection_id=inspection.id,  # type: ignore[arg-type]
        corrects_id=previous.id if previous else None,
        answers=answers,
        items=items,
        template_version=inspection.template_version,
        failed_items=failed,
        result="fail" if failed else "pass",
        signature_photo_id=signature.id if signature else None,
        signed_by=(" ".join(data.confirm_name.split()) or data.signed_by or actor.full_name or actor.email)[:100],
        note=data.note,
        item_extras=extras,
        submitted_by=actor.id,
        submitted_at=now,
        filled_at=data.filled_at,
        work_order_ids=corrective.open_for_failed_items(
            session, actor, inspection, template, items, answers, failed, note=data.note, extras=extras
        ),
    )
    session.add(submission)
    session.flush()
    before = audit.snapshot(inspection)
    if previous is None:
        inspection.status = InspectionStatus.done.value
        inspection.completed_at = _completion_time(data, now)
        inspection.completed_by = actor.id
    inspection.result = submission.result
    session.add(inspection)
    session.flush()
    action = "inspection.correct" if previous else "inspection.submit"
    audit.record(session, actor, action, "inspection", inspection.id, before=before, after=inspection)
    if previous is None:
        duties.open_chain(session, inspection, template, failed=bool(failed))
    return submission


def verify_inspection(session: Session, actor: User, inspection_id: int) -> Inspection:
    """A manager confirms the evidence; from then on it can only be corrected by new entries."""
    ensure_role(actor, *MANAGING_ROLES)
    inspection = get_inspection(session, actor, inspection_id)
    if inspection.status != InspectionStatus.done.value:
        raise InspectionClosed(_("Only a completed inspection can be verified."))
    before = audit.snapshot(inspection)
    inspection.status = InspectionStatus.verified.value
    inspection.verified_at = utcnow()
    inspection.verified_by = actor.id
    session.add(inspection)
    session.flush()
    audit.record(
        session,
        actor,
        "inspection.verify",
        "inspection",
        inspection.id,
        before=before,
        after=inspection,
    )
    return inspection


def record_missed(session: Session, actor: User, inspection_id: int) -> Inspection:
    """A manager closes an overdue occurrence nobody did: it stays missed in the compliance
    report, but no longer waits on the crews' day as work to do (the next occurrence does)."""
    ensure_role(actor, *MANAGING_ROLES)
    inspection = get_inspection(session, actor, inspection_id)
    if not is_overdue(inspection):
        raise InspectionClosed(_("Only an open, overdue inspection can be recorded as missed."))
    before = audit.snapshot(inspection)
    inspection.status = InspectionStatus.missed.value
    session.add(inspection)
    session.flush()
    audit.record(session, actor, "inspection.missed", "inspection", inspection.id, before=before, after=inspection)
    return inspection


def named_in(
    session: Session, inspection: Inspection
) -> tuple[InspectionTemplate | None, Room | None, Building | None, Asset | None]:
    """The template, room, building and asset an inspection names (for its checklist page)."""
    return (
        session.get(InspectionTemplate, inspection.template_id),
        session.get(Room, inspection.room_id) if inspection.room_id else None,
        session.get(Building, inspection.building_id) if inspection.building_id else None,
        session.get(Asset, inspection.asset_id) if inspection.asset_id else None,
    )


def submissions_of(session: Session, inspection_id: int) -> list[Submission]:
    query = select(Submission).where(Submission.inspection_id == inspection_id)
    return list(session.exec(query.order_by(col(Submission.id))))
