"""kWh per room from a meter's counter, kWh per booked hour and savings against the fixed schedule,
through the API, the pages, the CSV and the mode table a manager edits; one test per backend."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from facility.core.config import EnergySettings
from facility.core.models import AuditEntry, Role
from facility.energy import accounting
from facility.energy.models import EnergyMeter, ModeAction, RoomModeState
from facility.sensors.store.sql import SqlStore
from tests.booking.helpers import SEOUL, next_weekday
from tests.energy.helpers import book, local
from tests.factories import browser_login, csrf_from, make_room, make_user, token_headers
from tests.sensors.factories import make_device, write_readings


def test_energy_report_pages_and_the_mode_table(session: Session, engine: Engine, client: TestClient) -> None:
    room = make_room(session, code="E-101")
    renter, manager = make_user(session), make_user(session, role=Role.manager)
    day = next_weekday()
    book(session, renter, manager, room, day, 10, 12)
    meter = make_device(session, metrics="energy,power")  # unplaced: mapped to the room it serves
    session.add(EnergyMeter(device_id=meter.id, room_id=room.id))
    session.commit()
    # 2 kWh an hour while conditioned (09:30-12:15: the hours 09, 10 and 11), 0.2 kWh otherwise.
    counter, points = 1000.0, []
    for hour in range(-1, 25):
        at = local(day, 0) + timedelta(hours=hour)
        points.append((at, counter))
        counter += 2.0 if 9 <= hour <= 11 else 0.2
    write_readings(engine, meter, {"energy": points})

    headers = token_headers(client, manager)
    crew_headers = token_headers(client, make_user(session, role=Role.crew))
    answer = client.get(f"/api/v1/energy/report?from={day}&to={day}&by=room", headers=headers)
    assert answer.status_code == 200, answer.text
    row = answer.json()["rows"][0]
    assert row["key"] == "E-101" and row["kwh"] == 10.2 and row["booked_hours"] == 2.0
    assert row["kwh_per_booked_hour"] == 5.1 and row["conditioned_hours"] == 2.75
    # The room's rates over the period (this day): 2.0 kWh a conditioned hour, 0.2 an idle one; the
    # fixed schedule (07:00-22:00) charges 15 h at 2.0 kWh plus 9 h at 0.2 kWh.
    assert row["baseline_kwh"] == 31.8 and row["savings_kwh"] == 21.6
    assert answer.json()["months"][0]["key"] == f"{day:%Y-%m}"
    by_kind = client.get(f"/api/v1/energy/report?from={day}&to={day}&by=kind", headers=headers).json()
    assert [r["key"] for r in by_kind["rows"]] == ["lecture"]
    assert client.get(f"/api/v1/energy/report?from={day}&to={day}&by=floor", headers=headers).status_code == 422
    too_long = day + timedelta(days=200)
    assert client.get(f"/api/v1/energy/report?from={day}&to={too_long}", headers=headers).status_code == 422

    browser_login(client, manager)
    page = client.get(f"/energy/report?start={day}&end={day}&by=room")
    assert page.status_code == 200 and "E-101" in page.text and "<svg" in page.text
    csv = client.get(f"/energy/report.csv?start={day}&end={day}&by=room")
    assert csv.headers["content-type"].startswith("text/csv") and "E-101,10.2,2.0,2.8,5.10,31.8,21.6" in csv.text
    assert client.get("/energy/today").status_code == 200
    fragment = client.get(f"/energy/rooms/{room.id}", headers={"HX-Request": "true"})
    assert 'data-testid="next-window"' in fragment.text and "<html" not in fragment.text
    assert f'hx-get="/energy/rooms/{room.id}"' in client.get(f"/rooms/{room.id}").text

    token = csrf_from(client, "/energy/modes")
    saved = client.post(
        "/energy/modes",
        data={"energy_kind": "lecture", "mode": "comfort", "channel": "setpoint", "value": "23.5", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert client.get("/api/v1/energy/modes", headers=headers).json()["lecture"]["comfort"]["setpoint"] == "23.5"
    refused = client.post(
        "/energy/modes",
        data={"energy_kind": "lecture", "mode": "comfort", "channel": "setpoint", "value": "60", "csrf_token": token},
    )
    assert refused.status_code == 422
    assert client.post("/energy/modes", data={"energy_kind": "lecture", "mode": "comfort"}).status_code == 403
    held = client.post(
        f"/energy/rooms/{room.id}/override",
        data={"mode": "comfort", "hours": "4", "back": "room", "csrf_token": token},
        follow_redirects=False,
    )
    assert held.status_code == 303
    session.rollback()
    session.expire_all()
    assert session.exec(select(ModeAction)).one().value == "23.5"
    assert session.get(RoomModeState, room.id).override_mode == "comfort"  # type: ignore[union-attr]
    actions = {a.action for a in session.exec(select(AuditEntry))}
    assert {"energy.mode_action", "energy.override"} <= actions
    put = client.put(
        "/api/v1/energy/modes",
        json={"energy_kind": "lecture", "mode": "economy", "channel": "relay:2", "value": "off"},
        headers=crew_headers,
    )
    assert put.status_code == 403 and put.json()["code"] != "csrf", put.text


def test_a_room_left_empty_all_day_is_charged_the_fixed_schedule(session: Session, engine: Engine) -> None:
    booked, empty = make_room(session, code="E-201"), make_room(session, code="E-202")
    renter, manager = make_user(session), make_user(session, role=Role.manager)
    day = next_weekday()
    book(session, renter, manager, booked, day, 10, 12)
    for room, rate in ((booked, lambda h: 2.0 if 9 <= h <= 11 else 0.2), (empty, lambda h: 0.3)):
        meter = make_device(session, metrics="energy")
        session.add(EnergyMeter(device_id=meter.id, room_id=room.id))
        session.commit()
        counter, points = 0.0, []
        for hour in range(-1, 49):  # two local days of hourly counter readings
            points.append((local(day, 0) + timedelta(hours=hour), counter))
            counter += rate(hour)
        write_readings(engine, meter, {"energy": points})

    report = accounting.energy_report(
        session, SqlStore(engine), manager, day, day + timedelta(days=1), "room", SEOUL, EnergySettings()
    )
    rows = {r.key: r for r in report.rows}
    # E-201 heats 3 h on the first day (2.0 kWh each) and idles 45 h at 0.2: its period rates are
    # 2.0 and 0.2, and the fixed schedule charges both days 15 h x 2.0 + 9 h x 0.2 = 31.8 kWh, the
    # second (all empty, 4.8 kWh used) too. E-202 never heated: the conditioned rate is its kind's
    # median (E-201's 2.0), its idle rate its own 0.3, so 2 x (30 + 2.7) against 48 h x 0.3.
    assert round(rows["E-201"].kwh, 1) == 15.0 and round(rows["E-201"].baseline_kwh, 1) == 63.6
    assert round(rows["E-202"].kwh, 1) == 14.4 and round(rows["E-202"].baseline_kwh, 1) == 65.4
    assert round(report.total.savings_kwh, 1) == 99.6
    assert [round(d.baseline_kwh, 1) for d in report.days] == [64.5, 64.5]
