"""Alert actions through the API (each route, a renter refused) and through the page's forms."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.db import utcnow
from facility.core.models import AuditEntry, Role
from facility.maintenance.models import WorkOrder
from facility.sensors.models import Alert
from tests.factories import browser_login, csrf_from, make_room, make_user, token_headers
from tests.sensors.factories import make_alert, make_device

SEOUL = ZoneInfo("Asia/Seoul")


def test_every_alert_route_for_staff_and_a_renter_refused(client: TestClient, session: Session) -> None:
    room = make_room(session)
    alert = make_alert(session, room=room)
    crew, manager, renter = (make_user(session, role=r) for r in (Role.crew, Role.manager, Role.renter))
    as_crew, as_manager, as_renter = (token_headers(client, u) for u in (crew, manager, renter))
    base = f"/api/v1/alerts/{alert.id}"
    until = (utcnow() + timedelta(hours=2)).isoformat()
    calls = [
        ("acknowledge", {"note": "확인"}, as_crew),
        ("assign", {"assignee_id": crew.id}, as_manager),
        ("snooze", {"until": until}, as_manager),
        ("work-order", None, as_crew),
        ("resolve", {"note": "환기"}, as_crew),
    ]
    for action, body, _ in calls:
        refused = client.post(f"{base}/{action}", json=body, headers=as_renter)
        assert refused.status_code == 403, (action, refused.text)
    assert client.post(f"{base}/assign", json={"assignee_id": crew.id}, headers=as_crew).status_code == 403
    assert client.post(f"{base}/snooze", json={"until": until}, headers=as_crew).status_code == 403
    for action, body, headers in calls:
        response = client.post(f"{base}/{action}", json=body, headers=headers)
        assert response.status_code == (201 if action == "work-order" else 200), (action, response.text)
    shown = response.json()
    assert shown["state"] == "resolved" and shown["resolved_by"] == crew.id and shown["assignee_id"] == crew.id
    again = client.post(f"{base}/acknowledge", json={}, headers=as_manager)
    assert again.status_code == 409 and again.json()["code"] == "alert_already_handled"
    assert "이미" in again.json()["detail"]
    assert client.post("/api/v1/alerts/999999/acknowledge", json={}, headers=as_crew).status_code == 404
    late = client.post(f"{base}/snooze", json={"until": "2026-01-01T00:00:00"}, headers=as_manager)
    assert late.status_code == 422


def test_the_page_acknowledges_by_htmx_with_a_toast_and_resolves_by_plain_post(
    client: TestClient, session: Session
) -> None:
    room = make_room(session)
    flag = make_alert(session, room=room, rule="occupied_unbooked")
    manager = make_user(session, role=Role.manager)
    browser_login(client, manager)
    page = client.get("/sensors/alerts").text
    assert "예약 없이 사용 중" in page and "rule.occupied_unbooked" not in page
    assert "사람이 있습니다" in page and "값 0" not in page
    assert f'for="ack-note-{flag.id}"' in page and f'for="snooze-{flag.id}"' in page  # managers see all forms
    csrf = csrf_from(client, "/sensors/alerts")
    swapped = client.post(
        f"/sensors/alerts/{flag.id}/acknowledge",
        data={"note": "순찰 요청", "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert swapped.status_code == 200 and swapped.text.lstrip().startswith('<div id="alerts"')
    assert 'hx-swap-oob="beforeend:#toasts"' in swapped.text and "경보를 확인했습니다" in swapped.text
    assert "순찰 요청" in swapped.text
    forged = client.post(f"/sensors/alerts/{flag.id}/resolve", data={"note": "x"})
    assert forged.status_code == 403  # no CSRF token
    done = client.post(
        f"/sensors/alerts/{flag.id}/resolve", data={"note": "퇴실 안내", "csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/sensors/alerts"
    assert "경보를 해결 처리했습니다" in client.get(done.headers["location"]).text
    session.expire_all()
    assert session.get(Alert, flag.id).state == "resolved"  # type: ignore[union-attr]
    history = client.get(f"/sensors/rooms/{room.id}").text
    assert 'data-testid="room-alert-history"' in history and "퇴실 안내" in history and "순찰 요청" in history
    audit = session.exec(select(AuditEntry.action).where(AuditEntry.entity == "alert")).all()
    assert sorted(audit) == ["alert.acknowledge", "alert.resolve"]


def test_crew_opens_a_work_order_from_the_page_and_both_pages_link(client: TestClient, session: Session) -> None:
    room = make_room(session)
    alert = make_alert(session, room=room)
    crew = make_user(session, role=Role.crew)
    browser_login(client, crew)
    page = client.get("/sensors/alerts").text
    assert f'for="snooze-{alert.id}"' not in page  # crew do not snooze
    csrf = csrf_from(client, "/sensors/alerts")
    opened = client.post(
        f"/maintenance/alerts/{alert.id}/work-order", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert opened.status_code == 303
    session.rollback()
    order = session.exec(select(WorkOrder)).one()
    assert opened.headers["location"] == f"/maintenance/work-orders/{order.id}"
    order_page = client.get(opened.headers["location"]).text
    assert f'href="/sensors/alerts#alert-{alert.id}"' in order_page and "작업지시를 만들었습니다" in order_page
    alert_page = client.get("/sensors/alerts").text
    assert f'href="/maintenance/work-orders/{order.id}"' in alert_page
    twice = client.post(f"/maintenance/alerts/{alert.id}/work-order", data={"csrf_token": csrf})
    assert twice.status_code == 409


def test_the_alert_page_in_english(client: TestClient, session: Session) -> None:
    make_alert(session, room=make_room(session), rule="occupied_unbooked")
    browser_login(client, make_user(session, role=Role.crew))
    client.cookies.set("lang", "en")
    page = client.get("/sensors/alerts").text
    assert "Occupied, unbooked" in page and "People are present, but the room has no booking" in page
    assert "Acknowledge" in page and "확인" not in page.split('id="alerts"', 1)[1]


def test_snooze_presets_and_a_snoozed_alert_keeps_its_actions(client: TestClient, session: Session) -> None:
    alert = make_alert(session, room=make_room(session))
    browser_login(client, make_user(session, role=Role.manager))
    csrf = csrf_from(client, "/sensors/alerts")
    pressed = client.post(
        f"/sensors/alerts/{alert.id}/snooze",
        data={"preset": "tomorrow", "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert pressed.status_code == 200
    session.expire_all()
    until = session.get(Alert, alert.id).snoozed_until.astimezone(SEOUL)  # type: ignore[union-attr]
    assert (until.date(), until.hour, until.minute) == (datetime.now(SEOUL).date() + timedelta(days=1), 9, 0)
    # Snoozed, it still offers resolve and a work order, and the presets to snooze again.
    snoozed = pressed.text.split('data-testid="snoozed-alerts"', 1)[1]
    assert f'id="resolve-{alert.id}"' in snoozed and f'id="work-order-{alert.id}"' in snoozed
    assert 'data-action="snooze-hour"' in snoozed
    again = client.post(f"/sensors/alerts/{alert.id}/snooze", data={"preset": "week", "csrf_token": csrf})
    assert again.status_code == 200, again.text[-300:]
    session.rollback()  # a new snapshot: SQLite's reader would keep the first one
    left = session.get(Alert, alert.id).snoozed_until - utcnow()  # type: ignore[operator,union-attr]
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)
    refused = client.post(f"/sensors/alerts/{alert.id}/snooze", data={"preset": "", "until": "", "csrf_token": csrf})
    assert refused.status_code == 422


def test_an_alert_from_an_unplaced_device_names_it_and_no_assignee_is_preselected(
    client: TestClient, session: Session
) -> None:
    device = make_device(session, code="zigbee2mqtt:leak-basement-3")
    leak = make_alert(session, rule="water_leak")
    leak.device_id = device.id
    session.add(leak)
    session.commit()
    browser_login(client, make_user(session, role=Role.manager))
    page = client.get("/sensors/alerts").text
    card = page.split(f'id="alert-{leak.id}"', 1)[1]
    assert "배치되지 않은 장치 zigbee2mqtt:leak-basement-3" in card and "장치가 알린 위치: edu X-1" in card
    assert '<option value="">담당자 선택</option>' in card
