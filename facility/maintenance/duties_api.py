"""JSON API of statutory duties: list the steps by status, attach a step's evidence."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from facility.core.auth import CurrentUser, DbSession
from facility.core.db import utcnow
from facility.core.errors import Forbidden, InvalidInput, NotAuthenticated, error_responses
from facility.core.params import ObjectId
from facility.maintenance import duties
from facility.maintenance.duty_schemas import DutyEvidenceCreate, DutyEvidencePublic, DutyPublic
from facility.maintenance.exceptions import DutyNotFound, EvidenceRefused, RemediationOpen
from facility.maintenance.uploads import decode_file

router = APIRouter(tags=["maintenance"])
AUTH_ERRORS = (NotAuthenticated, Forbidden)


def duty_public(view: duties.DutyView, now_overdue: bool) -> DutyPublic:
    duty = view.duty
    return DutyPublic(
        id=duty.id,  # type: ignore[arg-type]
        inspection_id=duty.inspection_id,
        duty_code=duty.duty_code,
        step=duty.step_key,
        step_name=duty.name_ko,
        law=duty.law,
        article=duty.article,
        source_url=duty.source_url,
        building_id=duty.building_id,
        building=view.building,
        owner_role=duty.owner_role,
        owner_id=duty.owner_id,
        starts_at=duty.starts_at,
        due_at=duty.due_at,
        hold_until=duty.hold_until,
        evidence_kind=duty.evidence_kind,
        status=duty.status,
        overdue=now_overdue,
        waiting_on_remediation=view.waiting_on_remediation,
        work_order_ids=[o.id for o in view.work_orders],  # type: ignore[misc]
        evidence=[
            DutyEvidencePublic(
                id=e.id,  # type: ignore[arg-type]
                reference_no=e.reference_no,
                note=e.note,
                filename=e.filename,
                content_type=e.content_type,
                url=f"/maintenance/duty-evidence/{e.id}" if e.filename else None,
                created_at=e.created_at,
            )
            for e in view.evidence
        ],
    )


def _public(view: duties.DutyView) -> DutyPublic:
    duty = view.duty
    overdue = duty.status == "open" and duty.step_key != duties.RETAIN and duty.due_at < utcnow()
    return duty_public(view, overdue)


@router.get("/duties", response_model=list[DutyPublic], responses=error_responses(*AUTH_ERRORS))
def list_duties(
    session: DbSession,
    user: CurrentUser,
    status: Annotated[Literal["due", "overdue", "open", "done"], Query()] = "open",
    law: Annotated[str, Query(max_length=100)] = "",
    building_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[DutyPublic]:
    """Steps of statutory duties: due this week, overdue, open, or done (closed or retention ended)."""
    views = duties.list_duties(session, user, now=utcnow(), status=status, law=law, building_id=building_id)
    return [_public(view) for view in views]


@router.post(
    "/duties/{duty_id}/evidence",
    response_model=DutyPublic,
    responses=error_responses(DutyNotFound, EvidenceRefused, RemediationOpen, InvalidInput, *AUTH_ERRORS),
)
def add_evidence(duty_id: ObjectId, body: DutyEvidenceCreate, session: DbSession, user: CurrentUser) -> DutyPublic:
    """Attach the portal's reference number and/or a file; the step closes on the evidence it asks for."""
    data = decode_file(body.file) if body.file else None
    duty = duties.add_evidence(
        session,
        user,
        duty_id,
        now=utcnow(),
        reference_no=body.reference_no,
        note=body.note,
        filename=body.filename or ("evidence" if data else ""),
        data=data,
    )
    return _public(duties.views_of(session, [duty])[0])
