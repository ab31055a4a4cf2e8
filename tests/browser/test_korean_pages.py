"""Korean pages in Chromium: no 404 for the favicon, a visible focus ring, plans in words, errors in Korean."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from facility.core.config import Settings
from facility.core.db import get_engine
from facility.core.models import Role
from tests.conftest import screenshot
from tests.factories import PASSWORD, make_room, make_user
from tests.maintenance.factories import make_plan

pytestmark = pytest.mark.browser


def test_manager_pages_in_korean(live_server: str, live_settings: Settings, page) -> None:  # type: ignore[no-untyped-def]
    with Session(get_engine(live_settings.sqlalchemy_url), expire_on_commit=False) as session:
        manager = make_user(session, role=Role.manager)
        make_plan(session, rrule="FREQ=MONTHLY;BYDAY=1MO;BYHOUR=9")
        make_room(session, code="E-101")
        session.commit()
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/today")
    page.goto(f"{live_server}/rooms")
    # The keyboard's focus ring: the brand blue on the page, a light amber on the dark top bar.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineColor")
    assert ring == "rgb(255, 209, 102)", ring
    page.focus("input[name=q]")
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineColor") == "rgb(31, 95, 168)"

    # The day grid fits the tablet: the day is seen whole, the page never scrolls sideways.
    page.set_viewport_size({"width": 800, "height": 1280})
    page.goto(f"{live_server}/manage/grid")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= page.viewport_size["width"]
    grid = page.evaluate(
        "() => [document.querySelector('.weekwrap').scrollWidth, document.querySelector('.weekwrap').clientWidth]"
    )
    assert grid[0] <= grid[1], grid
    page.goto(f"{live_server}/maintenance/plans")
    assert "매월 첫째 월요일 09:00" in page.inner_text("main")
    # Korean words in a table wrap between words, never mid-syllable.
    assert page.evaluate("() => getComputedStyle(document.querySelector('.table td')).wordBreak") == "keep-all"
    screenshot(page, "plans-ko-tablet")
    page.goto(f"{live_server}/book/rooms/424242")
    assert "424242번 공간이 없습니다." in page.inner_text("main")
    screenshot(page, "error-ko-tablet")
    page.goto(f"{live_server}/favicon.ico")
    assert missing == [f"{live_server}/book/rooms/424242"], missing  # the one page that is meant to be missing
