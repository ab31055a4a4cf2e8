"""Inspection templates: shipped content seeded idempotently, versions, and the JSON API."""

from datetime import UTC, datetime
from pathlib import Path

import yaml
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from facility.core.models import Role
from facility.maintenance import catalogue, inspections, plans
from facility.maintenance.models import Inspection, InspectionTemplate, InspectionTemplateVersion, Submission
from facility.maintenance.schemas import SubmissionCreate
from tests.factories import make_room, make_user, token_headers
from tests.maintenance.factories import PNG_DATA_URL, new_submission_id

STATUTORY = 13


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_seeding_twice_changes_nothing_and_a_changed_file_adds_a_version(session: Session, tmp_path: Path) -> None:
    catalogue.seed_templates(session)
    session.commit()
    catalogue.seed_templates(session)
    session.commit()
    assert _count(session, InspectionTemplate) == STATUTORY
    assert _count(session, InspectionTemplateVersion) == STATUTORY
    fire = catalogue.get_template(session, "fire-operational")
    assert fire.version == 1 and fire.law == "소방시설법" and fire.legal_basis and fire.items

    data = yaml.safe_load(catalogue.TEMPLATES_FILE.read_text(encoding="utf-8"))
    data["templates"][0]["items"].append({"key": "new_check", "type": "check", "ko": "새 항목"})
    changed = tmp_path / "templates.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    catalogue.seed_templates(session, changed)
    session.commit()
    assert fire.version == 2 and fire.items[-1]["key"] == "new_check"
    assert [v.version for v in catalogue.template_versions(session, fire.id)] == [1, 2]  # type: ignore[arg-type]


def test_a_template_edited_on_site_is_left_alone_by_seeding(session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    catalogue.seed_templates(session)
    catalogue.update_template(session, manager, "lift-self", {"cadence": "매월 둘째 주"})
    session.commit()
    catalogue.seed_templates(session)
    lift = catalogue.get_template(session, "lift-self")
    assert lift.cadence == "매월 둘째 주" and lift.customised and lift.version == 2


def _submit(answers: dict[str, object]) -> SubmissionCreate:
    return SubmissionCreate(submission_id=new_submission_id(), answers=answers, signature=PNG_DATA_URL)


def test_new_occurrences_use_the_new_version_and_done_evidence_keeps_its_own(session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    crew = make_user(session, role=Role.crew)
    catalogue.seed_templates(session)
    template = catalogue.get_template(session, "infection-rounds")
    room = make_room(session)
    plan = plans.create_plan(
        session,
        None,
        name="rounds",
        kind=plans.PlanKind.fixed,
        template_id=template.id,
        rrule="FREQ=DAILY;BYHOUR=9",
        starts_at=datetime(2026, 3, 1, tzinfo=UTC),
        room_id=room.id,
    )
    plans.generate_occurrences(session, datetime(2026, 3, 2, 12, tzinfo=UTC))
    first, second = inspections_of(session, plan.id)  # type: ignore[arg-type]
    answers = {i["key"]: _answer(i) for i in template.items if i["required"]}
    done = inspections.submit_checklist(session, crew, first.id, _submit(answers))  # type: ignore[arg-type]
    old_keys = [i["key"] for i in template.items]

    new_items = [*template.items, {"key": "extra", "type": "check", "ko": "추가 점검"}]
    catalogue.update_template(session, manager, template.code, {"items": new_items})
    plans.generate_occurrences(session, datetime(2026, 3, 3, 12, tzinfo=UTC))
    session.commit()
    third = inspections_of(session, plan.id)[2]  # type: ignore[arg-type]
    assert (first.template_version, second.template_version, third.template_version) == (1, 1, 2)
    stored = session.get(Submission, done.id)
    assert stored is not None and stored.template_version == 1
    assert [i["key"] for i in stored.items] == old_keys
    # The open occurrence from before the change still asks the checklist it was made with.
    later = inspections.submit_checklist(session, crew, second.id, _submit(answers))  # type: ignore[arg-type]
    assert later.result == "pass" and "extra" not in [i["key"] for i in later.items]
    newest = inspections.submit_checklist(session, crew, third.id, _submit({**answers, "extra": "pass"}))  # type: ignore[arg-type]
    assert newest.template_version == 2 and newest.items[-1]["key"] == "extra"


def _answer(item: dict[str, object]) -> object:
    if item["type"] == "number":
        low, high = item.get("min"), item.get("max")
        return float(low if low is not None else high if high is not None else 1)  # type: ignore[arg-type]
    return "pass"


def inspections_of(session: Session, plan_id: int) -> list[Inspection]:
    return list(session.exec(select(Inspection).where(Inspection.plan_id == plan_id).order_by(Inspection.due_at)))


def test_api_lists_templates_and_a_manager_edits_one(client: TestClient, session: Session) -> None:
    catalogue.seed_templates(session)
    session.commit()
    crew = token_headers(client, make_user(session, role=Role.crew))
    manager = token_headers(client, make_user(session, role=Role.manager))
    listed = client.get("/api/v1/inspection-templates", headers=crew)
    assert listed.status_code == 200
    body = listed.json()
    assert len(body) == STATUTORY
    pool = next(t for t in body if t["code"] == "pool-water")
    assert pool["name_ko"] and pool["name_en"] and pool["legal_basis"] and pool["cadence"] and pool["items"]
    renter = token_headers(client, make_user(session, role=Role.renter))
    assert client.get("/api/v1/inspection-templates", headers=renter).status_code == 403

    change = {"items": [{"key": "ph", "type": "number", "ko": "pH", "min": 5.8, "max": 8.6}]}
    assert client.patch("/api/v1/inspection-templates/pool-water", json=change, headers=crew).status_code == 403
    edited = client.patch("/api/v1/inspection-templates/pool-water", json=change, headers=manager)
    assert edited.status_code == 200, edited.text
    assert edited.json()["version"] == 2 and edited.json()["items"][0]["max"] == 8.6
    assert client.get("/api/v1/inspection-templates/pool-water", headers=crew).json()["version"] == 2
    assert client.get("/api/v1/inspection-templates/nope", headers=crew).status_code == 404

    own = {"code": "roof-drain", "name_ko": "옥상 배수구 점검", "items": [{"key": "clear", "ko": "막힘 없음"}]}
    created = client.post("/api/v1/inspection-templates", json=own, headers=manager)
    assert created.status_code == 201, created.text
    assert created.json()["items"][0]["type"] == "check"
    assert client.post("/api/v1/inspection-templates", json=own, headers=manager).status_code == 409
