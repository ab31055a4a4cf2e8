"""The renter's and the manager's booking journeys in headless Chromium, with screenshots."""

from __future__ import annotations

from sqlmodel import Session, select

from facility.booking import blocks, flows, service
from facility.booking.demo import load_demo_fees
from facility.core.config import Settings
from facility.core.db import get_engine
from facility.core.models import OrgKind, Role
from facility.demo.load import load_demo_campus
from facility.rooms.models import Room
from tests.booking.helpers import next_weekday, seoul
from tests.conftest import DESKTOP_VIEWPORT, screenshot
from tests.factories import PASSWORD, make_organization, make_user


def _sign_in(page, base: str, email: str, home: str = "/book") -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{home}")


def test_search_request_approve_invoice(live_server: str, live_settings: Settings, browser) -> None:  # type: ignore[no-untyped-def]
    with Session(get_engine(live_settings.sqlalchemy_url), expire_on_commit=False) as session:
        load_demo_campus(session)
        load_demo_fees(session)
        session.commit()
        school = make_organization(session, name="방배초등학교", kind=OrgKind.education)
        renter = make_user(session, organization=school)
        manager = make_user(session, role=Role.manager)
        room = session.exec(select(Room).where(Room.code == "E-201")).one()
    day = next_weekday(10)

    renter_context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="ko-KR", timezone_id="Asia/Seoul"
    )
    page = renter_context.new_page()
    page.set_default_timeout(20_000)
    _sign_in(page, live_server, renter.email)
    page.goto(f"{live_server}/book?day={day.isoformat()}&min_capacity=30&building=edu")
    assert page.locator("[data-room=E-201]").count() == 1
    screenshot(page, "booking-1-search")
    page.click("[data-testid=building-week-link]")
    page.wait_for_selector("[data-testid=building-week]")
    assert page.locator("[data-testid=building-week] [data-room=E-201]").count() == 1
    screenshot(page, "booking-1b-building-week")
    page.go_back()
    page.click("[data-room=E-201] [data-testid=week-link]")
    page.wait_for_selector("[data-testid=week-grid]")
    label = page.inner_text("[data-testid=week-label]")
    page.click("[data-testid=next-week]")  # htmx swaps only the grid
    page.wait_for_function(f"() => document.querySelector('[data-testid=week-label]').innerText !== '{label}'")
    page.click("[data-testid=prev-week]")
    page.wait_for_function(f"() => document.querySelector('[data-testid=week-label]').innerText === '{label}'")
    screenshot(page, "booking-2-week")
    page.click(f"[data-slot='{day.isoformat()}T10:00']")
    page.wait_for_selector("[data-testid=request-form]")
    before = page.inner_text("[data-testid=price-total]")
    page.fill("[data-testid=req-end]", "17:00")
    page.dispatch_event("[data-testid=req-end]", "change")
    page.wait_for_function(f"() => document.querySelector('[data-testid=price-total]').innerText !== '{before}'")
    # 7 h lecture room: day rate 130,000 (not 7 × 20,000) + VAT; no reduction without verified proof.
    assert page.inner_text("[data-testid=price-total]") == "143,000원"
    page.fill("[data-testid=req-title]", "학부모 독서 연수")
    page.fill("[data-testid=req-attendees]", "30")
    screenshot(page, "booking-3-request")
    page.click("[data-testid=req-submit]")
    page.wait_for_selector("[data-testid=created]")
    assert page.inner_text("[data-testid=booking-status]") == "승인 대기"
    booking_id = int(page.url.split("/my/bookings/", 1)[1].split("?", 1)[0])

    manager_context = browser.new_context(viewport=DESKTOP_VIEWPORT, locale="ko-KR", timezone_id="Asia/Seoul")
    console = manager_context.new_page()
    console.set_default_timeout(20_000)
    _sign_in(console, live_server, manager.email, "/today")
    screenshot(console, "booking-3b-manager-today")
    console.goto(f"{live_server}/manage/bookings")
    console.click(f"[data-testid=approve-{booking_id}]")
    console.wait_for_function(f"() => document.querySelector('#booking-{booking_id} .badge').innerText === '승인'")
    screenshot(console, "booking-4-approved")
    console.goto(f"{live_server}/manage/invoices")
    assert "143,000" in console.inner_text("[data-testid=revenue]")

    page.goto(f"{live_server}/my/bookings/{booking_id}")
    assert page.inner_text("[data-testid=booking-status]") == "승인"
    page.click("[data-testid=invoice-link]")
    page.wait_for_selector("[data-testid=invoice]")
    assert page.inner_text("[data-testid=invoice-total]") == "143,000원"
    assert page.inner_text("[data-testid=invoice-number]").endswith("-000001")
    assert "시설 사용료 청구서" in page.inner_text("h1")
    screenshot(page, "booking-5-invoice")
    del room
    renter_context.close()
    manager_context.close()


def test_manager_day_grid_highlights_conflicts(live_server: str, live_settings: Settings, page) -> None:  # type: ignore[no-untyped-def]
    day = next_weekday(10)
    with Session(get_engine(live_settings.sqlalchemy_url), expire_on_commit=False) as session:
        load_demo_campus(session)
        load_demo_fees(session)
        session.commit()
        renter = make_user(session)
        manager = make_user(session, role=Role.manager)
        rooms = {
            r.code: r
            for r in session.exec(
                select(Room).where(
                    Room.building_id == select(Room.building_id).where(Room.code == "W-CONV").scalar_subquery()
                )
            )
        }
        pending = service.request_booking(
            session,
            renter,
            {
                "room_id": rooms["W-CONV-A"].id,
                "start": seoul(day, 10),
                "end": seoul(day, 12),
                "title": "지역 교사 모임",
                "attendees": 80,
            },
        )
        firm = service.request_booking(
            session,
            renter,
            {
                "room_id": rooms["W-CONV-B"].id,
                "start": seoul(day, 14),
                "end": seoul(day, 17),
                "title": "학술 발표회",
                "attendees": 100,
            },
        )
        flows.approve_booking(session, manager, firm.id)  # type: ignore[arg-type]
        # A training blackout over the whole convention centre in the morning displaces the request.
        blocks.place_block(
            session,
            manager,
            room_id=rooms["W-CONV"].id,
            starts_at=seoul(day, 9),
            ends_at=seoul(day, 13),
            reason="신규 교사 연수",
            kind="training",
        )
        session.commit()
        del pending
    page.set_default_timeout(20_000)  # a loaded CI machine renders more slowly
    page.set_viewport_size(DESKTOP_VIEWPORT)
    _sign_in(page, live_server, manager.email, "/today")
    page.goto(f"{live_server}/manage/grid?building=welf&day={day.isoformat()}")
    assert page.locator("[data-room=W-CONV-A] td.occ.conflict").count() >= 1
    # The approved three hours are one bar, labelled with the organisation, title and status.
    bar = page.locator("[data-room=W-CONV-B] td.occ.booking.approved")
    assert bar.count() == 1 and bar.get_attribute("colspan") == "6"
    assert "승인" in bar.inner_text()
    assert page.locator("[data-room=W-CONV] td.occ.block").count() >= 1
    assert "충돌" in page.inner_text("[data-testid=grid-legend]")
    assert page.inner_text("[data-testid=conflict-count]").startswith("충돌")
    screenshot(page, "manager-grid")
    page.fill("[data-testid=grid-day]", next_weekday(30).isoformat())
    page.dispatch_event("[data-testid=grid-day]", "change")
    page.wait_for_function("() => !document.querySelector('[data-testid=conflict-count]')")
    assert "grid" in page.url and "day=" in page.url
    # A click on an empty half-hour opens the block form with the room and the time filled in.
    page.click("[data-room=W-CONV-B] td.free-slot[data-start='15:00']")
    page.wait_for_selector("[data-testid=block-form]")
    assert page.input_value("[data-testid=block-start]") == "15:00"
    assert page.input_value("[data-testid=block-room]") == str(rooms["W-CONV-B"].id)
    page.click("[data-testid=block-form] button.primary")  # no reason given
    assert "사유" in page.inner_text("[data-testid=form-error]")
    assert page.get_attribute("[data-testid=block-reason]", "aria-invalid") == "true"
