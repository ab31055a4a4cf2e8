"""The sensors JSON API on SQLite and PostgreSQL, with the embedded reading store."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from facility.core.db import utcnow
from facility.core.models import AuditEntry, Role
from tests.factories import make_room, make_user, token_headers
from tests.sensors.factories import make_alert, make_device, write_readings


def test_latest_readings_of_a_room(client: TestClient, session: Session, engine: Engine) -> None:
    room = make_room(session)
    now = utcnow().replace(microsecond=0)
    device = make_device(session, room=room)
    write_readings(
        engine,
        device,
        {"co2": [(now - timedelta(minutes=1), 700), (now, 820)], "temperature": [(now, 22.5)]}
        | {"chip_temperature": [(now, 52.3)], "battery_voltage": [(now, 2.995)]},
    )
    stray = make_device(session)  # unassigned: its readings are kept but not the room's
    write_readings(engine, stray, {"co2": [(now, 5000)]})
    headers = token_headers(client, make_user(session, role=Role.crew))
    body = client.get(f"/api/v1/rooms/{room.id}/readings/latest", headers=headers).json()
    assert body["co2"]["value"] == 820 and body["co2"]["unit"] == "ppm"
    assert body["temperature"] == {"value": 22.5, "unit": "°C", "ts": now.isoformat().replace("+00:00", "Z")}
    assert set(body) == {"co2", "temperature"}  # the device's own health is not the room's


def test_series_downsampled_over_a_window(client: TestClient, session: Session, engine: Engine) -> None:
    room = make_room(session)
    device = make_device(session, room=room)
    start = utcnow().replace(second=0, microsecond=0) - timedelta(hours=1)
    write_readings(engine, device, {"co2": [(start + timedelta(minutes=i), 400 + i) for i in range(60)]})
    headers = token_headers(client, make_user(session, role=Role.manager))
    response = client.get(
        f"/api/v1/rooms/{room.id}/readings",
        params={
            "metric": "co2",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=1)).isoformat(),
            "every": "10m",
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metric"] == "co2" and body["unit"] == "ppm" and body["every_seconds"] == 600
    assert [p["value"] for p in body["points"]] == [404.5 + 10 * i for i in range(6)]


def test_bad_queries_are_rejected(client: TestClient, session: Session) -> None:
    room = make_room(session)
    headers = token_headers(client, make_user(session, role=Role.manager))
    assert client.get(f"/api/v1/rooms/{room.id}/readings?metric=flux", headers=headers).status_code == 422
    assert client.get(f"/api/v1/rooms/{room.id}/readings?metric=co2&every=soon", headers=headers).status_code == 422
    assert client.get("/api/v1/rooms/999999/readings/latest", headers=headers).status_code == 404


def test_renters_and_visitors_get_no_sensor_data(client: TestClient, session: Session) -> None:
    room = make_room(session)
    assert client.get(f"/api/v1/rooms/{room.id}/readings/latest").status_code == 401
    renter = token_headers(client, make_user(session, role=Role.renter))
    assert client.get(f"/api/v1/rooms/{room.id}/readings/latest", headers=renter).status_code == 403
    assert client.get("/api/v1/alerts", headers=renter).status_code == 403


def test_manager_places_an_unassigned_device_and_it_is_audited(client: TestClient, session: Session) -> None:
    room = make_room(session)
    device = make_device(session)
    manager = token_headers(client, make_user(session, role=Role.manager))
    listed = client.get("/api/v1/devices?unassigned=true", headers=manager).json()
    assert [d["code"] for d in listed] == [device.code]
    crew = token_headers(client, make_user(session, role=Role.crew))
    assert client.patch(f"/api/v1/devices/{device.id}", json={"room_id": room.id}, headers=crew).status_code == 403
    placed = client.patch(f"/api/v1/devices/{device.id}", json={"room_id": room.id}, headers=manager)
    assert placed.status_code == 200 and placed.json()["room_id"] == room.id
    assert client.get("/api/v1/devices?unassigned=true", headers=manager).json() == []
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "device.place")).one()
    assert entry.before["room_id"] is None and entry.after["room_id"] == room.id


def test_alerts_filter_active_and_since_id(client: TestClient, session: Session) -> None:
    room = make_room(session)
    first = make_alert(session, room=room)
    make_alert(session, room=room, state="cleared")
    third = make_alert(session, room=room, rule="water_leak")
    headers = token_headers(client, make_user(session, role=Role.crew))
    active = client.get("/api/v1/alerts?active=true", headers=headers).json()
    assert [a["id"] for a in active] == [first.id, third.id]
    newer = client.get(f"/api/v1/alerts?since_id={first.id}", headers=headers).json()
    assert [a["rule"] for a in newer] == ["co2_high", "water_leak"]


def test_dead_letters_for_managers_only(client: TestClient, session: Session) -> None:
    from facility.sensors.models import DeadLetter

    session.add(DeadLetter(topic="facility/x", payload="{oops", reason="bad_json", detail="{oops"))
    session.commit()
    crew = token_headers(client, make_user(session, role=Role.crew))
    assert client.get("/api/v1/dead-letters", headers=crew).status_code == 403
    manager = token_headers(client, make_user(session, role=Role.manager))
    letters = client.get("/api/v1/dead-letters", headers=manager).json()
    assert [(d["reason"], d["payload"]) for d in letters] == [("bad_json", "{oops")]


def test_metric_catalogue_is_public(client: TestClient) -> None:
    metrics = {m["name"]: m for m in client.get("/api/v1/sensors/metrics").json()}
    assert metrics["co2"]["unit"] == "ppm" and "f" in metrics["temperature"]["units"]


def test_measured_occupancy_of_a_room(client: TestClient, session: Session, engine: Engine) -> None:
    room = make_room(session)
    device = make_device(session, room=room, metrics="occupancy,people_count")
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    # Occupied for the first hour (4 slots), empty the second.
    occupied = [(start + timedelta(minutes=5 * i), 1.0 if i < 12 else 0.0) for i in range(24)]
    people = [(start + timedelta(minutes=5 * i), 20.0 + i if i < 12 else 0.0) for i in range(24)]
    write_readings(engine, device, {"occupancy": occupied, "people_count": people})
    headers = token_headers(client, make_user(session, role=Role.manager))
    body = client.get(
        f"/api/v1/rooms/{room.id}/occupancy",
        headers=headers,
        params={"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()},
    ).json()
    assert (body["slots_measured"], body["slots_occupied"], body["occupied_share"]) == (8, 4, 0.5)
    assert body["peak_people"] == 30  # the 15-minute mean of 29, 30, 31
