"""The live board and the room charts with a keyboard: polling waits, focus survives swaps (WCAG 2.2.2, 2.4.3)."""

from __future__ import annotations

from typing import Any

import pytest

from facility.core.config import Settings
from tests.browser.campus import seed_small_campus
from tests.browser.test_keyboard import selector, sign_in_by_keyboard, tab_to
from tests.conftest import screenshot

pytestmark = pytest.mark.browser
# The poll as htmx issues it: a GET from #board itself (a filter change comes from the form).
POLL = "() => htmx.ajax('GET', location.href, {source: '#board', target: '#board', swap: 'outerHTML'})"


def test_board_waits_while_focused_or_paused_and_charts_keep_focus(
    live_server: str, live_settings: Settings, page: Any
) -> None:
    campus = seed_small_campus(live_settings, live_server)
    crew = campus.users["crew"]
    assert crew is not None
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if r.headers.get("hx-request") else None)
    sign_in_by_keyboard(page, live_server, crew.email)
    page.goto(f"{live_server}/sensors")
    assert page.locator("[data-testid=tile-band]").first.inner_text().strip() == "좋음"  # a word, not a colour only

    # Focus on a tile: the refresh waits, so the tile under the keyboard does not vanish.
    tab_to(page, selector(".tile a"))
    page.evaluate(POLL)
    page.wait_for_timeout(300)
    assert polls == []

    # The pause button, by keyboard: no refresh until it is pressed again.
    tab_to(page, selector("[data-testid=board-pause]"), backwards=True)
    page.keyboard.press("Enter")
    assert page.inner_text("[data-testid=board-pause]") == "자동 새로 고침 다시 시작"
    assert page.inner_text("#board-poll-state") == "자동 새로 고침을 멈췄습니다."
    page.evaluate(POLL)
    page.wait_for_timeout(300)
    assert polls == []
    screenshot(page, "board-paused-tablet")
    page.keyboard.press("Enter")
    assert page.inner_text("[data-testid=board-pause]") == "자동 새로 고침 멈춤"
    with page.expect_response(lambda r: "/sensors" in r.url):
        page.evaluate(POLL)
    assert len(polls) == 1

    # A refresh while focus is on a swapped element puts focus back on the element with its id.
    tab_to(page, selector(".tile a"))
    tile_id = page.evaluate("() => document.activeElement.id")
    with page.expect_response(lambda r: "/sensors" in r.url):
        page.evaluate("() => htmx.ajax('GET', '/sensors', {target: '#board', swap: 'outerHTML'})")
    page.wait_for_function(f"() => document.activeElement && document.activeElement.id === {tile_id!r}")

    # The chart window tabs swap the charts; focus stays on the tab chosen, and each chart has its table.
    page.goto(f"{live_server}/sensors/rooms/{campus.values['room_id']}")
    tab_to(page, selector("#window-7d"))
    with page.expect_response(lambda r: "window=7d" in r.url):
        page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#window-7d').getAttribute('aria-current') === 'page'")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'window-7d'")
    tables = page.locator("[data-testid=chart-data]")
    assert tables.count() == 2
    tab_to(page, selector("[data-testid=chart-data] summary"))
    page.keyboard.press("Enter")
    assert page.locator("[data-testid=chart-data] tbody tr").first.is_visible()
    assert "이산화탄소" in tables.first.inner_text() or "온도" in tables.first.inner_text()
