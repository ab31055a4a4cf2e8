"""Templates ask for notes, times and photos: the server refuses a checklist without them (422
naming the item) and the corrective work order carries the item's own note and photo."""

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.models import Role
from facility.maintenance import catalogue
from facility.maintenance.models import Photo, Submission, WorkOrder
from tests.factories import make_user, token_headers
from tests.maintenance.factories import PNG_DATA_URL, make_inspection, make_plan, make_template, new_submission_id

ITEMS = [
    {"key": "alarm", "type": "check", "ko": "경보 시험", "en": "Alarm test", "note": "on_fail", "photo": "on_fail"},
    {"key": "tested_at", "type": "time", "ko": "시험 시각", "en": "Time of test"},
    {"key": "log", "type": "check", "ko": "기록", "en": "Log", "note": "always"},
]


def _body(answers: dict[str, object], **extra: object) -> dict[str, object]:
    return {"submission_id": new_submission_id(), "answers": answers, "signature": PNG_DATA_URL, **extra}


def test_shipped_fire_items_ask_for_note_and_photo_on_fail(session: Session) -> None:
    items = {item["key"]: item for item in catalogue.seed_templates(session)["fire-operational"].items}
    assert items["hydrant_bar"]["note"] == "on_fail" and items["hydrant_bar"]["photo"] == "on_fail"
    assert items["test_time"]["type"] == "time" and items["test_time"]["required"]
    assert items["panel"]["note"] == "never"


def test_asked_note_photo_and_time_are_enforced(client: TestClient, session: Session) -> None:
    template = make_template(session, items=ITEMS)  # type: ignore[arg-type]
    inspection = make_inspection(session, plan=make_plan(session, template=template))
    url = f"/api/v1/inspections/{inspection.id}/submit"
    headers = token_headers(client, make_user(session, role=Role.crew))
    failing = {"alarm": "fail", "tested_at": "10:40", "log": "pass"}

    def refused(body: dict[str, object]) -> tuple[str, str]:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 422, response.text
        return response.json().get("item", ""), response.json()["detail"]

    assert refused(_body({**failing, "tested_at": "25:00"}))[0] == "tested_at"
    item, detail = refused(_body(failing, item_notes={"log": "ok"}))
    assert item == "alarm" and "경보 시험" in detail
    assert refused(_body(failing, item_notes={"alarm": "벨 불량", "log": "ok"}))[0] == "alarm"  # the photo
    assert refused(_body({**failing, "alarm": "pass"}))[0] == "log"  # asked always
    assert refused(_body(failing, item_notes={"nope": "x"}))[1]
    done = client.post(
        url,
        json=_body(failing, item_notes={"alarm": "3층 벨 불량", "log": "ok"}, item_photos={"alarm": [PNG_DATA_URL]}),
        headers=headers,
    )
    assert done.status_code == 200, done.text
    submission = session.exec(select(Submission)).one()
    assert submission.answers["tested_at"] == "10:40"
    assert submission.item_extras["alarm"]["note"] == "3층 벨 불량"
    order = session.get(WorkOrder, done.json()["corrective_work_orders"][0])
    assert order is not None and "점검자 메모: 3층 벨 불량" in order.description
    photo = session.get(Photo, submission.item_extras["alarm"]["photos"][0])
    assert photo is not None and photo.work_order_id == order.id


def test_passing_item_needs_no_on_fail_extras(client: TestClient, session: Session) -> None:
    template = make_template(session, items=ITEMS)  # type: ignore[arg-type]
    inspection = make_inspection(session, plan=make_plan(session, template=template))
    headers = token_headers(client, make_user(session, role=Role.crew))
    body = _body({"alarm": "pass", "tested_at": "09:05", "log": "pass"}, item_notes={"log": "이상 없음"})
    response = client.post(f"/api/v1/inspections/{inspection.id}/submit", json=body, headers=headers)
    assert response.status_code == 200 and response.json()["result"] == "pass"
