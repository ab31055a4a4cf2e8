"""The manager's week calendar by hand: a booking dragged to another room's row, a drag over free
days that opens the block form filled in, and the same two by keyboard alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from facility.booking import claims
from facility.booking.models import Block, Booking
from facility.core.config import Settings
from facility.core.db import get_engine
from facility.core.models import Role
from tests.booking.helpers import next_weekday, seoul
from tests.conftest import DESKTOP_VIEWPORT, screenshot
from tests.factories import PASSWORD, make_building, make_room, make_user

pytestmark = pytest.mark.browser
PORTRAIT_TABLET = {"width": 800, "height": 1280}


def test_drag_to_another_room_and_over_free_days_then_by_keyboard(
    live_server: str, live_settings: Settings, page: Any
) -> None:
    day = next_weekday(weekday=0)  # a Monday: the week shows it first
    engine = get_engine(live_settings.sqlalchemy_url)
    with Session(engine, expire_on_commit=False) as session:
        building = make_building(session, code="EDU")
        east, west = (
            make_room(session, code="E-101", building=building),
            make_room(session, code="W-102", building=building),
        )
        booking = Booking(
            room_id=east.id, title="합창 연습", starts_at=seoul(day, 10), ends_at=seoul(day, 12), status="approved"
        )  # type: ignore[arg-type]
        session.add(booking)
        session.flush()
        claims.insert_claims(session, claims.booking_claims(session, east, booking))
        manager = make_user(session, role=Role.manager)
        session.commit()
    page.set_viewport_size(DESKTOP_VIEWPORT)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/today", timeout=120_000)
    calendar = f"{live_server}/manage/calendar?start={day.isoformat()}&building=EDU"
    page.goto(calendar)

    def cell(room_id: int, offset: int) -> Any:
        return page.locator(
            f'td[data-drop-room="{room_id}"][data-drop-day="{(day + timedelta(days=offset)).isoformat()}"]'
        )

    entry = f'[data-entry="booking-{booking.id}"]'
    page.locator(entry).drag_to(cell(west.id, 1), target_position={"x": 20, "y": 20})
    page.wait_for_selector('[data-testid="toast"]:has-text("일정을 옮겼습니다")')
    assert cell(west.id, 1).locator(entry).count() == 1 and cell(east.id, 0).locator(entry).count() == 0

    # Free days of E-101, Wednesday to Thursday: the block form opens with them filled in.
    start, end = cell(east.id, 2).bounding_box(), cell(east.id, 3).bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] - 4)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] - 4, steps=4)
    page.mouse.up()
    page.wait_for_selector("#cal-new-block[open]")
    assert page.input_value("#block-room") == str(east.id)
    assert page.input_value("#block-day") == (day + timedelta(days=2)).isoformat()
    assert page.input_value("#block-last-day") == (day + timedelta(days=3)).isoformat()
    assert page.evaluate("document.activeElement.id") == "block-reason"
    page.keyboard.type("바닥 도색")
    screenshot(page, "calendar-block-form-desktop")
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-testid="toast"]:has-text("차단 2건을 등록했습니다")')
    assert "바닥 도색" not in cell(east.id, 1).inner_text()
    assert cell(east.id, 2).locator(".calentry.block").count() == 1
    screenshot(page, "calendar-after-drags-desktop")

    # By keyboard on a tablet: the booking back to E-101 through its form, a block through the button.
    page.set_viewport_size(PORTRAIT_TABLET)
    page.focus(f"{entry} summary")
    page.keyboard.press("Enter")
    page.focus(f"#move-room-{booking.id}")
    page.keyboard.press("Control+A")
    page.keyboard.type("E-101")
    screenshot(page, "calendar-move-form-tablet")
    page.focus(f'{entry} [data-action="move"]')
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-testid="toast"]:has-text("일정을 옮겼습니다")')
    assert cell(east.id, 1).locator(entry).count() == 1
    page.focus("#cal-new-block summary")
    page.keyboard.press("Enter")
    page.select_option("#block-room", str(west.id))
    page.fill("#block-day", (day + timedelta(days=4)).isoformat())
    page.focus("#block-reason")
    page.keyboard.type("방송 장비 점검")
    assert page.evaluate("document.documentElement.scrollWidth") <= PORTRAIT_TABLET["width"]
    screenshot(page, "calendar-block-form-tablet")
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-testid="toast"]:has-text("차단 1건을 등록했습니다")')
    with Session(engine) as session:
        placed = {(b.room_id, b.reason) for b in session.exec(select(Block))}
    assert placed == {(east.id, "바닥 도색"), (west.id, "방송 장비 점검")}
    screenshot(page, "calendar-after-keyboard-tablet")
