"""Alert rules set by managers: overrides per room kind and room drive the evaluation, saves are
versions (stale ones refused), audited, validated; the page reads in Korean; assignees suggested."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.models import AuditEntry, Role
from facility.maintenance.models import AssignmentRule
from facility.sensors import rule_settings, service
from facility.sensors.alerts import Override
from facility.sensors.models import AlertRuleVersion
from tests.factories import browser_login, csrf_from, make_room, make_user, token_headers
from tests.korean_pages import english_words
from tests.sensors.factories import make_alert, make_device
from tests.sensors.test_alerts import feed


def test_kind_and_room_overrides_decide_what_is_raised(session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    lecture, quiet, seminar = (make_room(session, kind=k) for k in ("lecture_room", "lecture_room", "seminar_room"))
    devices = [make_device(session, room=r) for r in (lecture, quiet, seminar)]
    overrides = [
        Override("co2_high", room_kind="lecture_room", above=1500, delay_minutes=0),
        Override("co2_high", room_id=quiet.id, enabled=False),
        # Switched on where the default does not apply: the server-room limit for a seminar room.
        Override("server_room_temperature", room_kind="seminar_room", above=25, delay_minutes=0),
    ]
    rule_settings.save_overrides(session, manager, 0, overrides, "행사 기간")
    session.commit()
    for device in devices:
        feed(session, device.code, "co2", [(0, 1200)])
    assert service.list_alerts(session) == []  # 1,200 is under the lecture rooms' 1,500; seminar waits 10 min
    for device in devices:
        feed(session, device.code, "co2", [(1, 1600)])
        feed(session, device.code, "temperature", [(1, 26)])
    raised = {(a.room_id, a.rule): a for a in service.list_alerts(session, active=True)}
    assert set(raised) == {(lecture.id, "co2_high"), (seminar.id, "server_room_temperature")}
    assert raised[(lecture.id, "co2_high")].message.startswith("CO2 above 1,500 ppm")


def test_api_versions_validation_and_audit(client: TestClient, session: Session) -> None:
    manager, crew = make_user(session, role=Role.manager), make_user(session, role=Role.crew)
    room = make_room(session)
    session.commit()
    as_manager, as_crew = token_headers(client, manager), token_headers(client, crew)
    assert client.get("/api/v1/alert-rules", headers=as_crew).status_code == 403
    shown = client.get("/api/v1/alert-rules", headers=as_manager).json()
    assert shown["version"] == 0 and shown["overrides"] == []
    assert {d["name"] for d in shown["defaults"]} >= {"co2_high", "water_leak"}
    body = {"version": 0, "overrides": [{"rule": "co2_high", "room_id": room.id, "above": 1200}], "note": "시험"}
    saved = client.put("/api/v1/alert-rules", json=body, headers=as_manager)
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1 and saved.json()["overrides"][0]["above"] == 1200
    stale = client.put("/api/v1/alert-rules", json=body, headers=as_manager)
    assert stale.status_code == 409 and stale.json()["code"] == "alert_rules_changed"
    bad_rows = [
        ({"rule": "nope"}, "overrides.0.rule"),
        ({"rule": "co2_high", "room_kind": "castle"}, "overrides.0.room_kind"),
        ({"rule": "pool_ph", "below": 9, "above": 8}, "overrides.0.below"),
        ({"rule": "co2_high", "above": 99_999}, "overrides.0.above"),
        ({"rule": "co2_high", "delay_minutes": -1}, "overrides.0.delay_minutes"),
    ]
    for row, field in bad_rows:
        refused = client.put("/api/v1/alert-rules", json={"version": 1, "overrides": [row]}, headers=as_manager)
        assert refused.status_code == 422 and refused.json().get("field") == field, (row, refused.text)
    assert client.put("/api/v1/alert-rules", json=body | {"version": 1}, headers=as_crew).status_code == 403
    session.expire_all()
    assert session.exec(select(AlertRuleVersion)).one().created_by == manager.id
    (entry,) = session.exec(select(AuditEntry).where(AuditEntry.action == "alert_rules.update")).all()
    assert entry.actor_id == manager.id and entry.after["overrides"][0]["room_id"] == room.id


def test_page_saves_and_removes_an_override_in_korean(client: TestClient, session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    make_room(session, kind="seminar_room")
    session.commit()
    browser_login(client, manager)
    page = client.get("/sensors/alert-rules")
    assert page.status_code == 200
    assert english_words(page.text) == [], english_words(page.text)
    token = csrf_from(client, "/sensors/alert-rules")
    form = {"csrf_token": token, "version": "0", "rule": "co2_high", "scope": "kind:seminar_room", "above": "1,200"}
    assert client.post("/sensors/alert-rules", data=form, follow_redirects=False).status_code == 303
    again = client.post("/sensors/alert-rules", data=form | {"above": "많이"}, follow_redirects=False)
    assert again.status_code == 422
    page = client.get("/sensors/alert-rules")
    assert "세미나실" in page.text and "버전 1" in page.text
    assert english_words(page.text, allowed=set(manager.full_name.split())) == []  # names are data
    assert rule_settings.current_overrides(session)[1] == (Override("co2_high", room_kind="seminar_room", above=1.2),)
    removed = {"csrf_token": token, "version": "1", "position": "0"}
    assert client.post("/sensors/alert-rules/remove", data=removed, follow_redirects=False).status_code == 303
    session.rollback()  # a new transaction sees the page's commit (SQLite reads a snapshot)
    assert rule_settings.current_overrides(session) == (2, ())


def test_alerts_page_preselects_the_assignment_rules_person(client: TestClient, session: Session) -> None:
    manager = make_user(session, role=Role.manager)
    plumber = make_user(session, role=Role.crew)
    room = make_room(session)
    session.add(AssignmentRule(building_id=room.building_id, trade="mechanical", assignee_id=plumber.id))
    alert = make_alert(session, room=room, rule="water_leak")
    session.commit()
    browser_login(client, manager)
    page = client.get("/sensors/alerts").text
    select_html = page.split(f'id="assignee-{alert.id}"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{plumber.id}" selected>' in select_html
