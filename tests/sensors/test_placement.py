"""The placement page and API suggest rooms for unassigned devices by matching names."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.core.models import Role
from facility.rooms.models import Room
from facility.sensors.models import Device
from facility.sensors.placement import rank_rooms
from tests.factories import browser_login, make_room, make_user, token_headers
from tests.sensors.factories import make_device


def room(code: str, name_en: str, name_ko: str) -> Room:
    return Room(code=code, name_en=name_en, name_ko=name_ko, building_id=1, kind="lecture_room", capacity=30)


ROOMS = [
    room("E-1", "Seminar 1", "세미나실 1"),
    room("E-101", "Lecture room 101", "강의실 101"),
    room("E-102", "Lecture room 102", "강의실 102"),
    room("POOL", "Swimming pool", "수영장"),
    room("AUD", "Auditorium", "대강당"),
]


def suggested(code: str, **fields: str) -> list[str]:
    return [s.room.code for s in rank_rooms(Device(code=code, **fields), ROOMS)]


def test_device_ids_and_labels_point_to_their_rooms() -> None:
    assert suggested("zigbee2mqtt:E-101 air")[0] == "E-101"  # not E-1, which is inside it too
    assert suggested("tasmota:e102_plug")[0] == "E-102"
    assert suggested("homeassistant:pool-chlorine")[0] == "POOL"
    assert suggested("ttn:eui-70b3d57ed005e105", label="대강당 CO2")[0] == "AUD"
    assert suggested("chirpstack:0101010101010101") == []  # nothing to go on: no guess
    assert suggested("env-9", reported_room="E-101")[0] == "E-101"


def test_the_api_and_the_page_suggest_rooms(client: TestClient, session: Session) -> None:
    target = make_room(session, code="B-204")
    make_room(session, code="B-205")
    device = make_device(session, code="zigbee2mqtt:B-204 air")
    headers = token_headers(client, make_user(session, role=Role.manager))
    body = client.get(f"/api/v1/devices/{device.id}/room-suggestions", headers=headers).json()
    assert body[0]["room_id"] == target.id and body[0]["matched"] == "B-204" and body[0]["score"] > 0.8
    assert client.get("/api/v1/devices/999999/room-suggestions", headers=headers).status_code == 404
    browser_login(client, make_user(session, role=Role.manager))
    page = client.get("/sensors/devices?lang=en").text
    assert "Suggested rooms" in page and f'<option value="{target.id}" selected>' in page
