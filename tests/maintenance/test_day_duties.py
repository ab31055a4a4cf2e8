"""The inspector's own statutory steps (an electrical system entry) show on their day page with the
due date and an evidence form that returns there; the safety manager's steps stay on the board."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.db import clock_at
from facility.core.models import Role
from facility.maintenance import catalogue, inspections
from facility.maintenance.duty_models import Duty
from facility.maintenance.schemas import SubmissionCreate
from tests.factories import browser_login, csrf_from, make_room, make_user
from tests.maintenance.factories import PNG_DATA_URL, make_inspection, make_plan, new_submission_id

ELECTRICAL = {"panels": "pass", "breakers": "pass", "insulation": 5.0, "panel_temp": 30, "logged": "pass"}


def test_inspector_steps_on_my_day_with_evidence_form(client: TestClient, session: Session) -> None:
    templates = catalogue.seed_templates(session)
    session.commit()
    crew, other = make_user(session, role=Role.crew), make_user(session, role=Role.crew)
    plan = make_plan(session, template=templates["elec-monthly"], room=make_room(session))
    inspection = make_inspection(session, plan=plan, due_at=datetime.now(UTC))
    data = SubmissionCreate(submission_id=new_submission_id(), answers=ELECTRICAL, signature=PNG_DATA_URL)
    with clock_at(datetime.now(UTC)):
        inspections.submit_checklist(session, crew, inspection.id, data)  # type: ignore[arg-type]
    session.commit()
    steps = {d.step_key: d for d in session.exec(select(Duty).where(Duty.inspection_id == inspection.id))}
    register, retain = steps["register"], steps["retain"]
    assert register.owner_id == crew.id and retain.owner_role == "manager"

    browser_login(client, crew)
    page = client.get("/maintenance/my-day").text
    section = page.split('data-testid="my-duties"', 1)[1].split("</ol>", 1)[0]
    assert f'data-duty="{register.id}"' in section and f'data-duty="{retain.id}"' not in section
    assert "전기안전관리 시스템 입력" in section and register.due_at.strftime("%Y-%m-%d")[:4] in section
    token = csrf_from(client, "/maintenance/my-day")
    sent = client.post(
        f"/maintenance/duties/{register.id}/evidence",
        data={"csrf_token": token, "reference_no": "E-2026-0042", "back": "my-day"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("/maintenance/my-day")
    session.rollback()  # a fresh snapshot: the app wrote since this session last read
    assert session.get(Duty, register.id).status == "done"  # type: ignore[union-attr]
    assert 'data-testid="my-duties"' not in client.get("/maintenance/my-day").text

    browser_login(client, other)
    assert 'data-testid="my-duties"' not in client.get("/maintenance/my-day").text
