"""A completed fire inspection with a failed hydrant reading, on a simulated clock (shared by the
duty tests: service, API and page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from facility.core.db import clock_at
from facility.core.models import Role, User
from facility.maintenance import catalogue, inspections
from facility.maintenance.models import Inspection, Submission
from facility.maintenance.schemas import SubmissionCreate
from tests.factories import make_room, make_user
from tests.maintenance.factories import PNG_DATA_URL, make_inspection, make_plan, new_submission_id

# The simulated moment the crew completes the inspection (11:00 in Seoul).
COMPLETED = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
FIRE_ANSWERS: dict[str, object] = {
    "panel": "pass",
    "detectors": "pass",
    "test_time": "10:40",
    "extinguishers": "pass",
    "hydrant": "pass",
    "hydrant_bar": 0.1,
    "exit_signs": "pass",
    "photo": [PNG_DATA_URL],
    "remarks": "3층 옥내소화전 압력 낮음",
}


@dataclass
class FireWorld:
    crew: User
    manager: User
    inspection: Inspection
    submission: Submission


def completed_fire_inspection(session: Session) -> FireWorld:
    """Seed the shipped templates, then complete a fire check at COMPLETED with one failed reading."""
    templates = catalogue.seed_templates(session)
    session.commit()
    crew = make_user(session, role=Role.crew)
    manager = make_user(session, role=Role.manager)
    plan = make_plan(session, template=templates["fire-operational"], room=make_room(session))
    inspection = make_inspection(session, plan=plan, due_at=COMPLETED)
    data = SubmissionCreate(
        submission_id=new_submission_id(),
        answers=FIRE_ANSWERS,
        signature=PNG_DATA_URL,
        note="소화전 밸브 점검 필요",
        item_notes={"hydrant_bar": "3층 소화전 방수압 0.1 MPa"},
        item_photos={"hydrant_bar": [PNG_DATA_URL]},
    )
    with clock_at(COMPLETED):
        submission = inspections.submit_checklist(session, crew, inspection.id, data)  # type: ignore[arg-type]
    session.commit()
    return FireWorld(crew, manager, inspection, submission)
