"""Managers and visitors in headless Chromium on the demo campus: board, compliance, QR page."""

from __future__ import annotations

from sqlmodel import Session, select

from facility.core.config import Settings
from facility.core.db import get_engine
from facility.core.models import Role
from facility.demo.load import load_demo_campus
from facility.maintenance.demo import load_demo_assets
from facility.maintenance.models import ProblemReport
from tests.conftest import DESKTOP_VIEWPORT, screenshot
from tests.factories import PASSWORD, make_user


def test_visitor_reports_then_manager_sees_board_and_compliance(  # type: ignore[no-untyped-def]
    live_server: str, live_settings: Settings, page
) -> None:
    with Session(get_engine(live_settings.sqlalchemy_url), expire_on_commit=False) as session:
        load_demo_campus(session)
        load_demo_assets(session)
        session.commit()
        manager = make_user(session, role=Role.manager)

    # A visitor scans the label on an air handler: no sign-in, one short form, swapped in place.
    page.goto(f"{live_server}/a/AHU-1")
    assert "공조기" in page.inner_text("h1")
    page.fill("textarea[name=description]", "소음이 심하고 바람이 약합니다")
    page.click("form[hx-post] button[type=submit]")
    page.wait_for_selector("[data-testid=report-sent]")
    screenshot(page, "maintenance-asset-report-tablet")
    with Session(get_engine(live_settings.sqlalchemy_url)) as session:
        assert session.exec(select(ProblemReport)).one().description.startswith("소음")

    page.goto(f"{live_server}/login?next=/maintenance/requests")
    page.fill("input[name=email]", manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/maintenance/requests")
    page.click("[data-report] button.primary")
    page.wait_for_selector("[data-testid=wo-status]")
    assert "접수" in page.inner_text("[data-testid=wo-status]")

    page.set_viewport_size(DESKTOP_VIEWPORT)
    page.goto(f"{live_server}/maintenance/work-orders")
    assert page.locator("[data-column=open] [data-wo]").count() == 1
    screenshot(page, "maintenance-board-desktop")
    page.goto(f"{live_server}/maintenance/compliance")
    assert page.locator("[data-testid=compliance-rows] tr[data-row]").count() > 20
    assert "소방시설법" in page.inner_text("[data-testid=law-totals]")
    screenshot(page, "maintenance-compliance-desktop")
    page.goto(f"{live_server}/maintenance/assets/labels?building=welf")
    assert page.locator("[data-testid=labels] .label svg").count() > 5
    screenshot(page, "maintenance-labels-desktop")
