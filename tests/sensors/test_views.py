"""Sensors pages through the app: whole pages, htmx fragments, placing a device by form."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from facility.core.db import utcnow
from facility.core.models import Role
from facility.sensors import service
from facility.sensors.models import DeadLetter, Device
from facility.sensors.parsing import RawFields
from facility.sensors.views import DEVICES_PER_PAGE
from tests.factories import browser_login, csrf_from, make_room, make_user, token_headers
from tests.sensors.factories import make_alert, make_device, write_readings


def test_board_colours_rooms_and_polls_with_its_filters(client: TestClient, session: Session, engine: Engine) -> None:
    stuffy, fresh = make_room(session, code="E-301"), make_room(session, code="E-302")
    now = utcnow()
    write_readings(engine, make_device(session, room=stuffy), {"co2": [(now, 1450)], "temperature": [(now, 23)]})
    write_readings(engine, make_device(session, room=fresh), {"co2": [(now, 600)]})
    make_alert(session, room=stuffy)
    browser_login(client, make_user(session, role=Role.crew))
    page = client.get("/sensors")
    assert page.status_code == 200
    assert 'data-room="E-301" data-band="poor"' in page.text
    assert 'data-room="E-302" data-band="good"' in page.text
    assert "경보 1건" in page.text
    fragment = client.get("/sensors?building=nowhere", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="board"')
    assert 'hx-get="/sensors?building=nowhere&amp;floor="' in fragment.text
    assert "E-301" not in fragment.text
    problems = client.get("/sensors?problems=1", headers={"HX-Request": "true"}).text
    assert 'data-room="E-301"' in problems and 'data-room="E-302"' not in problems
    assert "호실 2곳 중 1곳" in problems and 'hx-get="/sensors?building=&amp;floor=&amp;problems=1"' in problems


def test_room_page_draws_a_chart_per_metric(client: TestClient, session: Session, engine: Engine) -> None:
    room = make_room(session)
    now = utcnow()
    write_readings(
        engine,
        make_device(session, room=room),
        {"co2": [(now - timedelta(minutes=i * 10), 500 + i * 30) for i in range(12)], "temperature": [(now, 21.0)]},
    )
    browser_login(client, make_user(session, role=Role.manager))
    page = client.get(f"/sensors/rooms/{room.id}?window=6h")
    assert page.status_code == 200
    assert page.text.count('<svg class="chart"') == 2 and "<polyline" in page.text
    assert 'data-window="6h"' in page.text
    year = client.get(f"/sensors/rooms/{room.id}?window=1y", headers={"HX-Request": "true"})
    assert 'data-window="1y"' in year.text and "1년" in year.text and year.text.count('<svg class="chart"') == 2


def test_manager_places_device_with_the_form(client: TestClient, session: Session) -> None:
    room = make_room(session, code="E-401")
    device = make_device(session)
    device.reported_room = "E-401"
    session.add(device)
    session.commit()
    browser_login(client, make_user(session, role=Role.manager))
    page = client.get("/sensors/devices")
    assert f'<option value="{room.id}" selected>' in page.text  # the reported room is suggested
    token = csrf_from(client, "/sensors/devices")
    response = client.post(
        f"/sensors/devices/{device.id}/place",
        data={"room_id": str(room.id), "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303
    session.refresh(device)
    assert session.get(Device, device.id).room_id == room.id  # type: ignore[union-attr]


def test_a_flood_of_unassigned_devices_is_paged_with_suggestions_for_the_page_shown(
    client: TestClient, session: Session
) -> None:
    room = make_room(session, code="F-101")
    session.add_all(
        Device(code=f"homeassistant:flood-{n:03d}", reported_building="", reported_room="F-101", metrics="temperature")
        for n in range(DEVICES_PER_PAGE + 5)
    )
    session.commit()
    browser_login(client, make_user(session, role=Role.manager))
    first = client.get("/sensors/devices").text
    assert first.count('data-device="homeassistant:flood-') == DEVICES_PER_PAGE
    assert f"({DEVICES_PER_PAGE + 5})" in first and 'data-testid="next-page"' in first
    assert first.count(f'<option value="{room.id}" selected>') == DEVICES_PER_PAGE  # suggested on this page
    second = client.get("/sensors/devices?page=2").text
    assert second.count('data-device="homeassistant:flood-') == 5 and "flood-029" in second
    assert client.get("/sensors/devices?page=-3").status_code == 200


def test_dead_letter_page_filters_by_reason(client: TestClient, session: Session) -> None:
    session.add(DeadLetter(topic="facility/a/b/c", payload="hot", reason="bad_value"))
    session.add(DeadLetter(topic="facility/a/b/c/flux", payload="1", reason="unknown_metric"))
    session.commit()
    browser_login(client, make_user(session, role=Role.manager))
    page = client.get("/sensors/dead-letters?reason=bad_value")
    assert 'data-reason="bad_value"' in page.text and "facility/a/b/c/flux" not in page.text
    assert "값이 숫자가 아님" in page.text and ">bad_value<" not in page.text  # a word, not the code


def test_pages_need_staff_and_dead_letters_a_manager(client: TestClient, session: Session) -> None:
    response = client.get("/sensors", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    browser_login(client, make_user(session, role=Role.renter))
    assert client.get("/sensors").status_code == 403
    browser_login(client, make_user(session, role=Role.crew))
    assert client.get("/sensors").status_code == 200
    assert client.get("/sensors/dead-letters").status_code == 403


def test_every_label_is_translated(client: TestClient, session: Session, engine: Engine) -> None:
    room = make_room(session, kind="pool")
    device = make_device(session, room=room)
    now = utcnow()
    write_readings(
        engine,
        device,
        {
            m: [(now, 1.0)]
            for m in (
                "temperature",
                "water_temperature",
                "humidity",
                "co2",
                "pm25",
                "pm10",
                "illuminance",
                "noise",
                "people_count",
                "occupancy",
                "power",
                "energy",
                "door",
                "equipment_status",
                "ph",
                "free_chlorine",
                "water_leak",
                "ups_load",
            )
        },
    )
    for rule in ("co2_high", "water_leak", "pool_ph", "pool_chlorine", "equipment_fault"):
        make_alert(session, room=room, rule=rule)
    session.add(DeadLetter(topic="t", payload="p", reason="bad_json"))
    session.commit()
    browser_login(client, make_user(session, role=Role.manager))
    for lang in ("ko", "en"):
        for path in (
            "/sensors",
            f"/sensors/rooms/{room.id}",
            "/sensors/devices",
            "/sensors/alerts",
            "/sensors/dead-letters",
        ):
            text = client.get(f"{path}?lang={lang}" if "?" not in path else path).text
            for prefix in ("metric.", "sensors.", "devices.", "alerts.", "rule.", "severity.", "band.", "window."):
                assert f">{prefix}" not in text and f"{prefix}" + "co2" not in text, (lang, path, prefix)


def test_a_device_heard_only_through_fields_nobody_reads_is_listed_with_them(
    client: TestClient, session: Session
) -> None:
    fields = {"Cmd": "ReadConfigReportRsp", "MinTime": 900, "<b>": "<script>"}
    service.record_batch(session, [], raw=[RawFields("ttn:r718a-freezer", "ttn", utcnow(), fields)])
    session.commit()
    crew = make_user(session, role=Role.crew)
    listed = client.get("/api/v1/devices?unassigned=true", headers=token_headers(client, crew)).json()
    assert [(d["code"], d["raw_fields"]) for d in listed] == [("ttn:r718a-freezer", fields)]
    browser_login(client, crew)
    page = client.get("/sensors/devices").text
    assert 'data-device="ttn:r718a-freezer"' in page and "읽지 않은 필드" in page
    assert "<code>Cmd=ReadConfigReportRsp</code>" in page and "<code>MinTime=900</code>" in page
    assert "<code>&lt;b&gt;=&lt;script&gt;</code>" in page  # escaped like every device-sent text
