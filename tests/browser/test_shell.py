"""The shell in headless Chromium: sign in, filter the catalogue in place, switch language."""

from __future__ import annotations

from sqlmodel import Session

from facility.core.config import Settings
from facility.core.db import get_engine
from facility.core.models import Role
from facility.demo.load import load_demo_campus
from tests.conftest import DESKTOP_VIEWPORT, screenshot
from tests.factories import PASSWORD, make_user


def test_sign_in_filter_and_switch_language(live_server: str, live_settings: Settings, page) -> None:  # type: ignore[no-untyped-def]
    with Session(get_engine(live_settings.sqlalchemy_url), expire_on_commit=False) as session:
        load_demo_campus(session)
        session.commit()
        manager = make_user(session, role=Role.manager)

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/today")  # a manager's home
    assert "시설 관리자" in page.inner_text("header")
    page.goto(f"{live_server}/rooms")
    total_all = page.inner_text("[data-testid=room-total]")

    # Filtering swaps only the results, in place, and keeps the URL shareable.
    page.select_option("[data-testid=filter-building]", "welf")
    page.wait_for_function("() => document.querySelector('[data-testid=room-total]').innerText.startsWith('5')")
    assert page.locator("[data-room=W-CONV]").count() == 1
    assert "building=welf" in page.url
    page.fill("[data-testid=filter-capacity]", "200")
    page.wait_for_function("() => document.querySelector('[data-testid=room-total]').innerText.startsWith('2')")
    codes = page.eval_on_selector_all("[data-room]", "els => els.map(e => e.dataset.room)")
    assert sorted(codes) == ["W-CONV", "W-DINING"]
    assert page.inner_text("[data-testid=room-total]") != total_all
    screenshot(page, "rooms-filtered-tablet")

    page.click("[data-testid=lang-switch]")
    page.wait_for_selector("text=Rooms and halls")
    assert "Convention Centre" in page.inner_text("#room-results") or page.locator("[data-room]").count() > 0
    page.set_viewport_size(DESKTOP_VIEWPORT)
    page.goto(f"{live_server}/rooms")
    screenshot(page, "rooms-en-desktop")
    assert page.inner_text("h1") == "Rooms and halls"


def test_wrong_password_shows_message(live_server: str, live_settings: Settings, page) -> None:  # type: ignore[no-untyped-def]
    with Session(get_engine(live_settings.sqlalchemy_url), expire_on_commit=False) as session:
        user = make_user(session, role=Role.crew)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert "올바르지 않습니다" in page.inner_text(".alert")
