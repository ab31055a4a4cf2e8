"""Keyboard only (WCAG 2.1.1): sign in, request a booking as a renter, approve it as a manager.

No clicks and no filled-in fields: Tab, Shift+Tab, Enter and typing, as a person without a mouse
(or a switch device) would. Each step tabs until the element it needs has focus, so a control that
cannot be reached by Tab, or focus thrown to <body> by an htmx swap, fails the test.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from facility.booking.models import FeeSchedule
from facility.core.config import Settings
from facility.core.db import get_engine
from facility.core.models import Role
from facility.rooms.models import Room
from tests.conftest import DESKTOP_VIEWPORT, TABLET_VIEWPORT, screenshot
from tests.factories import PASSWORD, make_building, make_room, make_user

pytestmark = pytest.mark.browser
MAX_TABS = 400


def tab_to(page: Any, predicate: str, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `predicate(document.activeElement)` holds."""
    key = "Shift+Tab" if backwards else "Tab"
    check = f"() => {{ const el = document.activeElement; return !!el && ({predicate})(el); }}"
    for _ in range(MAX_TABS):
        if page.evaluate(check):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{MAX_TABS} presses of {key} never reached {predicate}; focus is on {focused(page)}")


def selector(css: str) -> str:
    return f"el => el.matches({css!r})"


def focus_on_new(css: str) -> str:
    """Focus is on the element matching `css` that the swap brought in, and htmx has settled: it
    moves focus to the new element at the swap and takes the new links over 20 ms later, so a key
    pressed in between followed the link as a plain page load."""
    return (
        "() => { const el = document.activeElement; return !!el && el.isConnected && "
        f"el.matches({css!r}) && !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling'); }}"
    )


def focused(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement ? document.activeElement.outerHTML.slice(0, 160) : ''"))


def sign_in_by_keyboard(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")  # typing the address is the one thing not done on the page
    tab_to(page, selector("input[name=email]"))
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login" not in page.url, f"{email} could not sign in"


def test_request_and_approve_a_booking_by_keyboard(live_server: str, live_settings: Settings, browser: Any) -> None:
    with Session(get_engine(live_settings.sqlalchemy_url), expire_on_commit=False) as session:
        building = make_building(session, code="edu")
        room: Room = make_room(session, code="E-301", building=building, capacity=40)
        session.add(FeeSchedule(room_id=room.id, hourly=40_000))
        session.commit()
        renter = make_user(session, role=Role.renter)
        manager = make_user(session, role=Role.manager)

    renter_context = browser.new_context(viewport=TABLET_VIEWPORT, locale="ko-KR", timezone_id="Asia/Seoul")
    page = renter_context.new_page()
    page.set_default_timeout(15_000)
    sign_in_by_keyboard(page, live_server, renter.email)

    # The top bar's booking link, then the room's week from the search results.
    tab_to(page, selector("header a[href='/book']"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, selector(f"[data-room='{room.code}'] [data-testid=week-link]"))
    with page.expect_navigation():
        page.keyboard.press("Enter")

    # The week's arrows swap the grid in place; focus stays on the arrow pressed.
    label = page.inner_text("[data-testid=week-label]")
    tab_to(page, selector("[data-testid=next-week]"))
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.querySelector('[data-testid=week-label]').innerText !== {label!r}")
    page.wait_for_function(focus_on_new("[data-testid=next-week]"))
    tab_to(page, selector("[data-testid=prev-week]"), backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.querySelector('[data-testid=week-label]').innerText === {label!r}")
    page.wait_for_function(focus_on_new("[data-testid=prev-week]"))

    # A free 10:00 slot at least two days ahead opens the request form with day and times filled in.
    soonest = (date.today() + timedelta(days=2)).isoformat()
    tab_to(page, f"el => el.matches('a[data-slot$=\"T10:00\"]') && el.dataset.slot.slice(0, 10) >= {soonest!r}")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=request-form]")
    tab_to(page, selector("[data-testid=req-title]"))
    page.keyboard.type("키보드로 신청한 연수")
    tab_to(page, selector("[data-testid=req-attendees]"))
    page.keyboard.press("Control+A")
    page.keyboard.type("25")
    screenshot(page, "keyboard-1-request")
    tab_to(page, selector("[data-testid=req-submit]"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=created]")
    booking_id = int(page.url.split("/my/bookings/", 1)[1].split("?", 1)[0])
    renter_context.close()

    manager_context = browser.new_context(viewport=DESKTOP_VIEWPORT, locale="ko-KR", timezone_id="Asia/Seoul")
    console = manager_context.new_page()
    console.set_default_timeout(15_000)
    sign_in_by_keyboard(console, live_server, manager.email)
    if "/manage/bookings" not in console.url:
        tab_to(console, selector("header a[href='/manage/bookings']"))
        with console.expect_navigation():
            console.keyboard.press("Enter")
    tab_to(console, selector(f"[data-testid=approve-{booking_id}]"))
    console.keyboard.press("Enter")
    console.wait_for_function(f"() => document.querySelector('#booking-{booking_id} .badge').innerText === '승인'")
    screenshot(console, "keyboard-2-approved")
    manager_context.close()
