"""Sensors pages in headless Chromium: the board refreshes itself and filters; charts; placing."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from facility.core.config import Settings
from facility.core.db import get_engine, utcnow
from facility.core.models import Role
from facility.demo.load import load_demo_campus
from facility.sensors.demo_devices import demo_devices, place_demo_devices
from facility.sensors.models import Device
from facility.sensors.parsing import Reading
from facility.sensors.simulator import Simulator
from facility.sensors.store.sql import SqlStore
from tests.conftest import DESKTOP_VIEWPORT, SCREENSHOT_DIR, screenshot
from tests.factories import PASSWORD, make_user

PORTRAIT_TABLET = {"width": 800, "height": 1280}


def _seed(settings: Settings) -> None:
    """The demo campus with its sensors placed and six hours of simulated readings."""
    engine = get_engine(settings.sqlalchemy_url)
    with Session(engine, expire_on_commit=False) as session:
        load_demo_campus(session)
        place_demo_devices(session)
        session.commit()
        devices = [d for d in demo_devices(session) if d.building in ("edu", "admin", "pool")]
    simulator = Simulator(devices, seed=7, bad_rate=0)
    now = utcnow()
    readings = []
    for step in range(36, -1, -1):
        ts = now - timedelta(minutes=10 * step)
        for device in devices:
            for metric, value in simulator.values(device, ts, 600).items():
                readings.append(Reading(device.code, device.building, device.room_code, metric, value, ts))
    SqlStore(engine).write(readings)


def _viewport_shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """What the screen shows (the whole board is hundreds of tiles long)."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))


def _sign_in(page, live_server: str, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    with Session(get_engine(settings.sqlalchemy_url), expire_on_commit=False) as session:
        manager = make_user(session, role=Role.manager)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/today")


def test_board_room_charts_and_devices(live_server: str, live_settings: Settings, page) -> None:  # type: ignore[no-untyped-def]
    _seed(live_settings)
    _sign_in(page, live_server, live_settings)
    page.set_viewport_size(DESKTOP_VIEWPORT)
    page.goto(f"{live_server}/sensors")
    assert page.locator("[data-room]").count() > 50
    assert page.locator("[data-room=E-101] [data-metric=co2]").count() == 1
    _viewport_shot(page, "sensors-board-desktop")

    # The filter swaps the board in place and the poll keeps the filter.
    page.select_option("[data-testid=board-building]", "pool")
    page.wait_for_function("() => document.querySelectorAll('[data-room]').length === 1")
    assert "building=pool" in page.url
    poll_url = page.get_attribute("#board", "hx-get")
    assert poll_url is not None and "building=pool" in poll_url
    with page.expect_response(lambda r: "/sensors?building=pool" in r.url, timeout=15_000):
        pass  # the board asks again by itself within 10 s
    assert page.locator("[data-room]").count() == 1

    page.click("[data-room=P-POOL] a")
    page.wait_for_selector("#charts figure")
    assert page.locator("#charts [data-metric=free_chlorine] polyline").count() == 1
    page.click("text=7일")
    page.wait_for_selector("#charts[data-window='7d']")
    screenshot(page, "sensors-room-desktop")

    page.set_viewport_size(PORTRAIT_TABLET)
    page.goto(f"{live_server}/sensors?building=edu")
    _viewport_shot(page, "sensors-board-tablet")
    with Session(get_engine(live_settings.sqlalchemy_url)) as session:
        session.add(
            Device(
                code="env-new-01", reported_building="edu", reported_room="E-101", metrics="co2,humidity,temperature"
            )
        )
        session.commit()
    page.goto(f"{live_server}/sensors/devices")
    card = page.locator("[data-testid=unassigned] [data-device=env-new-01]")
    _viewport_shot(page, "sensors-devices-tablet")
    card.locator("button[type=submit]").click()  # the reported room is preselected
    page.wait_for_selector("#devices .alert.ok")
    assert page.locator("[data-testid=unassigned] [data-device]").count() == 0
    assert page.locator("tr[data-device=env-new-01]").inner_text().find("E-101") >= 0


def test_alerts_and_dead_letters_pages(live_server: str, live_settings: Settings, page) -> None:  # type: ignore[no-untyped-def]
    from facility.sensors.models import Alert, DeadLetter
    from facility.sensors.service import record_batch

    engine = get_engine(live_settings.sqlalchemy_url)
    with Session(engine, expire_on_commit=False) as session:
        load_demo_campus(session)
        place_demo_devices(session)
        session.commit()
        start = utcnow() - timedelta(minutes=30)
        for minute in range(0, 31, 5):  # a stuffy lecture room, a leak in the kitchen
            ts = start + timedelta(minutes=minute)
            record_batch(
                session,
                [
                    Reading("env-E-101", "edu", "E-101", "co2", 1350, ts),
                    Reading("leak-W-KITCHEN", "welf", "W-KITCHEN", "water_leak", 1, ts),
                ],
                now=ts,
            )
        session.add(
            Alert(
                rule="pool_ph",
                metric="ph",
                severity="warning",
                state="cleared",
                message="",
                value=8.9,
                raised_at=start,
                cleared_at=utcnow(),
            )
        )
        for topic, payload, reason in (
            ("facility/edu/E-101/env-E-101", '{"metrics": {"temperature": ', "bad_json"),
            ("facility/edu/E-101/env-E-101/co2", "-40", "out_of_range"),
            ("facility/edu/E 205/x/co2", "1", "bad_topic"),
        ):
            session.add(DeadLetter(topic=topic, payload=payload, reason=reason, detail=payload[:20]))
        session.commit()
    _sign_in(page, live_server, live_settings)
    page.set_viewport_size(PORTRAIT_TABLET)
    page.goto(f"{live_server}/sensors/alerts")
    rules = page.eval_on_selector_all("[data-testid=active-alerts] [data-rule]", "els => els.map(e => e.dataset.rule)")
    assert sorted(rules) == ["co2_high", "water_leak"]
    screenshot(page, "sensors-alerts-tablet")
    page.goto(f"{live_server}/sensors/dead-letters")
    page.click("[data-reason=out_of_range]")
    page.wait_for_function("() => document.querySelectorAll('#letters tr[data-reason]').length === 1")
    screenshot(page, "sensors-dead-letters-tablet")
