import subprocess
import sys
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from facility.core.db import utcnow
from facility.core.errors import Conflict, InvalidInput
from facility.core.models import Role
from facility.maintenance import inspections
from facility.maintenance.exceptions import EvidenceLocked, InspectionClosed, InvalidAnswers
from facility.maintenance.models import Photo, Submission, WorkOrder
from facility.maintenance.schemas import SubmissionCreate
from tests.factories import make_user
from tests.maintenance.factories import (
    PNG_DATA_URL,
    make_inspection,
    new_submission_id,
    passing_answers,
)


def _submit(answers: dict[str, object], submission_id: str = "", **extra: object) -> SubmissionCreate:
    return SubmissionCreate(
        submission_id=submission_id or new_submission_id(),
        answers=answers,
        signature=PNG_DATA_URL,
        **extra,  # type: ignore[arg-type]
    )


def test_passing_checklist_completes_and_stores_evidence(session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    inspection = make_inspection(session)
    submission = inspections.submit_checklist(session, crew, inspection.id, _submit(passing_answers()))  # type: ignore[arg-type]
    assert submission.result == "pass" and submission.failed_items == []
    assert inspection.status == "done" and inspection.completed_by == crew.id
    photo = session.get(Photo, submission.answers["photo"][0])
    assert photo is not None and photo.content_type == "image/png"
    assert submission.signature_photo_id is not None


def test_resend_returns_first_result_without_duplicates(session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    inspection = make_inspection(session)
    sid = new_submission_id()
    first = inspections.submit_checklist(session, crew, inspection.id, _submit(passing_answers(), sid))  # type: ignore[arg-type]
    session.commit()
    # The resend differs (say the tablet re-encoded it); the stored first result wins.
    again = inspections.submit_checklist(
        session,
        crew,
        inspection.id,
        _submit({**passing_answers(), "ph": 2.0}, sid),  # type: ignore[arg-type]
    )
    assert again.id == first.id and again.result == "pass"
    assert len(session.exec(select(Submission)).all()) == 1
    other = make_inspection(session, plan=None)
    with pytest.raises(Conflict):
        inspections.submit_checklist(session, crew, other.id, _submit(passing_answers(), sid))  # type: ignore[arg-type]


def test_out_of_limit_reading_fails_and_opens_one_corrective_order(session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    inspection = make_inspection(session)
    answers = {**passing_answers(), "ph": 9.1, "posted": "fail"}
    submission = inspections.submit_checklist(session, crew, inspection.id, _submit(answers))  # type: ignore[arg-type]
    assert submission.result == "fail" and sorted(submission.failed_items) == ["ph", "posted"]
    orders = session.exec(select(WorkOrder).where(WorkOrder.inspection_id == inspection.id)).all()
    assert len(orders) == 2 and all(o.priority == "high" and o.source == "inspection" for o in orders)
    assert {o.id for o in orders} == set(submission.work_order_ids)
    # A correction that fails again does not open a second order for the same item.
    correction = inspections.submit_checklist(session, crew, inspection.id, _submit(answers))  # type: ignore[arg-type]
    assert correction.corrects_id == submission.id
    assert len(session.exec(select(WorkOrder).where(WorkOrder.inspection_id == inspection.id)).all()) == 2


@pytest.mark.parametrize(
    "answers",
    [
        {"posted": "maybe", "ph": 7},
        {"posted": "pass"},
        {"posted": "pass", "ph": "seven"},
        {"posted": "pass", "ph": 7, "ghost": "pass"},
        {"posted": "pass", "ph": 7, "photo": ["data:text/html;base64,PGI+"]},
    ],
)
def test_invalid_answers_are_refused(session: Session, answers: dict[str, object]) -> None:
    crew = make_user(session, role=Role.crew)
    inspection = make_inspection(session)
    with pytest.raises(InvalidInput) as error:
        inspections.submit_checklist(session, crew, inspection.id, _submit(answers))  # type: ignore[arg-type]
    assert getattr(error.value, "status_code", None) == 422
    assert inspection.status == "open"


def test_signature_is_required(session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    inspection = make_inspection(session)
    body = SubmissionCreate(submission_id=new_submission_id(), answers=passing_answers())
    with pytest.raises(InvalidAnswers):
        inspections.submit_checklist(session, crew, inspection.id, body)  # type: ignore[arg-type]


def test_verified_evidence_cannot_be_edited_only_corrected(session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    manager = make_user(session, role=Role.manager)
    inspection = make_inspection(session)
    first = inspections.submit_checklist(session, crew, inspection.id, _submit(passing_answers()))  # type: ignore[arg-type]
    inspections.verify_inspection(session, manager, inspection.id)  # type: ignore[arg-type]
    session.commit()
    first.note = "tampered"
    session.add(first)
    with pytest.raises(EvidenceLocked):
        session.flush()
    session.rollback()
    correction = inspections.submit_checklist(
        session,
        manager,
        inspection.id,
        _submit({**passing_answers(), "remarks": "정정"}),  # type: ignore[arg-type]
    )
    assert correction.corrects_id == first.id and inspection.status == "verified"
    assert [s.id for s in inspections.submissions_of(session, inspection.id)] == [
        first.id,
        correction.id,
    ]  # type: ignore[arg-type]
    assert session.get(Submission, first.id).answers["remarks"] == "이상 없음"  # type: ignore[union-attr]


def test_offline_fill_time_counts_but_is_bounded(session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    inspection = make_inspection(session)
    filled = utcnow() - timedelta(hours=3)
    inspections.submit_checklist(session, crew, inspection.id, _submit(passing_answers(), filled_at=filled))  # type: ignore[arg-type]
    assert abs((inspection.completed_at - filled).total_seconds()) < 1  # type: ignore[operator]
    later = make_inspection(session)
    inspections.submit_checklist(
        session,
        crew,
        later.id,
        _submit(passing_answers(), filled_at=utcnow() - timedelta(days=60)),  # type: ignore[arg-type]
    )
    assert later.completed_at > utcnow() - timedelta(days=8)  # type: ignore[operator]


def test_cancelled_inspection_takes_no_submission(session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    inspection = make_inspection(session)
    inspection.status = "cancelled"
    session.add(inspection)
    session.commit()
    with pytest.raises(InspectionClosed):
        inspections.submit_checklist(session, crew, inspection.id, _submit(passing_answers()))  # type: ignore[arg-type]


# A process that loads evidence through the models alone, as an export or a script would.
EDIT_EVIDENCE_WITHOUT_INSPECTIONS = """
import sys

from sqlmodel import Session

from facility.core.db import get_engine
from facility.maintenance.exceptions import EvidenceLocked
from facility.maintenance.models import Submission

with Session(get_engine(sys.argv[1])) as session:
    row = session.get(Submission, int(sys.argv[2]))
    row.note = "tampered"
    session.add(row)
    try:
        session.flush()
    except EvidenceLocked:
        print("locked")
print("inspections imported" if "facility.maintenance.inspections" in sys.modules else "models alone")
"""


def test_evidence_guard_is_active_without_importing_inspections(session: Session, db_url: str) -> None:
    crew = make_user(session, role=Role.crew)
    inspection = make_inspection(session)
    submission = inspections.submit_checklist(session, crew, inspection.id, _submit(passing_answers()))  # type: ignore[arg-type]
    session.commit()
    result = subprocess.run(
        [sys.executable, "-c", EDIT_EVIDENCE_WITHOUT_INSPECTIONS, db_url, str(submission.id)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["locked", "models", "alone"]
