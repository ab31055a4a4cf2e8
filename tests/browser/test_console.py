"""The manager's console on a 10-inch tablet (800x1280): an alert rule changed by keyboard alone,
then the floor plan, whose rooms are links that keyboard and finger reach."""

from __future__ import annotations

from sqlmodel import Session

from facility.core.config import Settings
from facility.core.db import get_engine
from facility.core.models import Role
from facility.rooms.models import Floor
from tests.conftest import screenshot
from tests.factories import PASSWORD, make_building, make_room, make_user

PORTRAIT_TABLET = {"width": 800, "height": 1280}


def test_alert_rule_by_keyboard_and_the_floor_plan(live_server: str, live_settings: Settings, page) -> None:  # type: ignore[no-untyped-def]
    with Session(get_engine(live_settings.sqlalchemy_url), expire_on_commit=False) as session:
        building = make_building(session, code="edu")
        floor = Floor(building_id=building.id, level=2, label="2F")
        session.add(floor)
        session.flush()
        room = make_room(session, code="E-201", building=building, kind="seminar_room")
        room.floor_id = floor.id
        session.add(room)
        manager = make_user(session, role=Role.manager)
        session.commit()
    page.set_viewport_size(PORTRAIT_TABLET)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/today")

    page.goto(f"{live_server}/sensors/alert-rules")
    page.focus("#rule-name")
    page.select_option("#rule-name", "co2_high")
    page.keyboard.press("Tab")
    page.select_option("#rule-scope", "kind:seminar_room")
    for field, value in (("#rule-above", "1200"), ("#rule-delay", "5"), ("#rule-note", "세미나실 환기 약함")):
        page.focus(field)
        page.keyboard.type(value)
    page.focus('[data-action="save-override"]')
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-testid="alert-rules-version"]:has-text("버전 1")')
    row = page.locator('[data-testid="alert-rule-overrides"] tr[data-rule="co2_high"]')
    assert "세미나실" in row.inner_text() and "1,200" in row.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PORTRAIT_TABLET["width"]
    screenshot(page, "alert-rules-tablet")

    page.goto(f"{live_server}/sensors/plan?building=edu")
    link = page.locator('svg.floor-plan a[data-room="E-201"]')
    assert link.get_attribute("data-state") == "none"
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/sensors/rooms/{room.id}")
