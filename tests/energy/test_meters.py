"""A manager maps an energy meter to the room it serves (CSRF, audit, roles); the report follows."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.models import AuditEntry, Role
from facility.energy import accounting
from facility.energy.models import EnergyMeter
from tests.factories import browser_login, csrf_from, make_room, make_user
from tests.sensors.factories import make_device


def test_a_manager_maps_a_meter_to_the_room_it_serves(session: Session, client: TestClient) -> None:
    board, hall = make_room(session, code="B-001"), make_room(session, code="H-101")
    meter = make_device(session, room=board, code="em-board", metrics="energy,power")
    sensor = make_device(session, room=hall, code="env-hall", metrics="temperature")
    crew, manager = make_user(session, role=Role.crew), make_user(session, role=Role.manager)
    assert accounting.meter_codes(session, [board.id or 0, hall.id or 0]) == {board.id: ["em-board"]}

    browser_login(client, crew)
    page = client.get("/energy/meters")
    assert page.status_code == 200 and 'data-device="em-board"' in page.text and "env-hall" not in page.text
    assert 'id="map-meter"' not in page.text  # crew read, managers map
    assert client.post("/energy/meters", data={"device_id": str(meter.id), "room_id": str(hall.id)}).status_code == 403

    browser_login(client, manager)
    token = csrf_from(client, "/energy/meters")
    form = {"device_id": str(meter.id), "room_id": str(hall.id)}
    assert client.post("/energy/meters", data=form).status_code == 403  # no CSRF token
    saved = client.post("/energy/meters", data={**form, "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303
    assert (
        client.post("/energy/meters", data={**form, "device_id": str(sensor.id), "csrf_token": token}).status_code
        == 422
    )
    assert client.post("/energy/meters", data={**form, "room_id": "x", "csrf_token": token}).status_code == 422
    session.rollback()
    session.expire_all()
    assert session.get(EnergyMeter, meter.id).room_id == hall.id  # type: ignore[union-attr]
    assert accounting.meter_codes(session, [board.id or 0, hall.id or 0]) == {hall.id: ["em-board"]}
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "energy.meter")).one()
    assert entry.actor_id == manager.id and entry.after["room_id"] == hall.id and entry.before is None
    # Back to the room it is placed in: the mapping goes, audited.
    client.post("/energy/meters", data={"device_id": str(meter.id), "room_id": "", "csrf_token": token})
    session.rollback()
    assert session.get(EnergyMeter, meter.id) is None
    assert len(session.exec(select(AuditEntry).where(AuditEntry.action == "energy.meter")).all()) == 2
