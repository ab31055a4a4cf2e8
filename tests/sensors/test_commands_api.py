"""The desired-state API and the control page: managers set, others are refused, all audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.models import AuditEntry, Role
from facility.sensors.models import Device
from tests.factories import browser_login, csrf_from, make_user, token_headers


def make_thermostat(session: Session) -> Device:
    device = Device(code="th-A-101", profile="facility", reported_building="edu", reported_room="A-101")
    session.add(device)
    session.commit()
    return device


def test_a_manager_puts_then_reads_the_desired_state(client: TestClient, session: Session) -> None:
    device = make_thermostat(session)
    headers = token_headers(client, make_user(session, role=Role.manager))
    url = f"/api/v1/devices/{device.id}/channels/setpoint/desired"
    assert client.get(url, headers=headers).json()["state"] == "idle"
    put = client.put(url, json={"value": 21.5, "expires_at": "2099-01-01T00:00:00+09:00"}, headers=headers)
    assert put.status_code == 200, put.text
    body = client.get(url, headers=headers).json()
    assert (body["desired_value"], body["state"], body["source"]) == ("21.5", "pending", "manual")
    assert body["override_until"].startswith("2098-12-31T15:00:00")
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "desired.set")).one()


def test_bad_values_are_422_with_a_message_and_others_are_refused(client: TestClient, session: Session) -> None:
    device = make_thermostat(session)
    manager = token_headers(client, make_user(session, role=Role.manager))
    url = f"/api/v1/devices/{device.id}/channels/setpoint/desired"
    bad = client.put(url, json={"value": 90}, headers=manager)
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_desired_value" and "35" in bad.json()["detail"]
    unknown = client.put(f"/api/v1/devices/{device.id}/channels/valve/desired", json={"value": 1}, headers=manager)
    assert unknown.status_code == 422 and "valve" in unknown.json()["detail"]
    missing = client.put("/api/v1/devices/999999/channels/relay/desired", json={"value": "on"}, headers=manager)
    assert missing.status_code == 404
    for role in (Role.crew, Role.renter):
        other = token_headers(client, make_user(session, role=role))
        assert client.put(url, json={"value": 21}, headers=other).status_code == 403
        assert client.get(url, headers=other).status_code == 403


def test_the_control_page_sets_an_override_and_shows_desired_vs_reported(client: TestClient, session: Session) -> None:
    device = make_thermostat(session)
    browser_login(client, make_user(session, role=Role.manager))
    page = f"/sensors/devices/{device.id}/control"
    token = csrf_from(client, page)
    refused = client.post(page, data={"channel": "setpoint", "value": "22"}, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token
    bad = client.post(page, data={"channel": "setpoint", "value": "hot", "csrf_token": token})
    assert bad.status_code == 422 and "숫자" in bad.text
    done = client.post(page, data={"channel": "setpoint", "value": "22", "hours": "2", "csrf_token": token})
    assert done.status_code == 200
    shown = client.get(page).text
    assert 'data-channel="setpoint"' in shown and "대기" in shown and "22" in shown
