"""Loops closed in Chromium: a crew member completes a checklist with the keyboard alone (typed name,
no signature), and a manager works an alert into a work order; screenshots at 1280x900 and 800x1280."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from facility.core.config import Settings
from facility.core.db import get_engine, utcnow
from facility.core.models import Role, User
from facility.maintenance import assignment
from facility.maintenance.models import Submission
from facility.maintenance.myday import start_of_day
from facility.maintenance.schemas import WorkOrderCreate
from facility.maintenance.service import create_work_order
from facility.sensors.models import Alert
from tests.conftest import DESKTOP_VIEWPORT, screenshot
from tests.factories import PASSWORD, make_room, make_user
from tests.maintenance.factories import make_inspection, make_plan, make_template
from tests.sensors.factories import make_alert

PORTRAIT_TABLET = {"width": 800, "height": 1280}
KEYBOARD_ITEMS = [
    {"key": "posted", "type": "check", "ko": "검사 결과 게시", "required": True},
    {"key": "ph", "type": "number", "ko": "수소이온농도", "min": 5.8, "max": 8.6, "required": True},
    {"key": "remarks", "type": "text", "ko": "특이사항"},
]


def _sign_in(page, url: str, user: User, path: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/login?next={path}")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}{path}")


def _tab_to(page, selector: str, limit: int = 80) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until the focused element matches `selector`, as a keyboard user walks a page."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def _both_viewports(page, name: str) -> None:  # type: ignore[no-untyped-def]
    for label, viewport in (("desktop", DESKTOP_VIEWPORT), ("portrait", PORTRAIT_TABLET)):
        page.set_viewport_size(viewport)
        screenshot(page, f"{name}-{label}")


def test_crew_completes_a_checklist_by_keyboard_alone(live_server: str, live_settings: Settings, page) -> None:  # type: ignore[no-untyped-def]
    engine = get_engine(live_settings.sqlalchemy_url)
    with Session(engine, expire_on_commit=False) as session:
        crew = make_user(session, role=Role.crew)
        now = utcnow()
        today = start_of_day(now, ZoneInfo("Asia/Seoul"))
        template = make_template(session, items=KEYBOARD_ITEMS)  # type: ignore[arg-type]
        rooms = [make_room(session, code=code) for code in ("P-101", "P-102")]
        inspection = make_inspection(
            session, plan=make_plan(session, template=template, room=rooms[0]), due_at=today + (now - today) / 2
        )
        make_inspection(
            session, plan=make_plan(session, template=template, room=rooms[1]), due_at=now + timedelta(hours=30)
        )
        for days in (29, 40, 75):
            make_inspection(
                session, plan=make_plan(session, template=template, room=rooms[1]), due_at=now - timedelta(days=days)
            )
        create_work_order(
            session, None, WorkOrderCreate(title="P-101 문 손잡이", room_id=rooms[0].id, assignee_id=crew.id)
        )
        session.commit()
    _sign_in(page, live_server, crew, "/maintenance/my-day")
    assert "기한 경과: 3건" in page.inner_text("[data-testid=overdue-summary]")
    _both_viewports(page, "crew-home")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.goto(f"{live_server}/maintenance/inspections/{inspection.id}/checklist")
    page.wait_for_selector("[data-testid=checklist]")
    _tab_to(page, "[data-key=posted] input[value=pass]")
    page.keyboard.press("Space")
    _tab_to(page, "[data-key=ph] input")
    page.keyboard.type("7.4")
    page.keyboard.press("Tab")
    page.keyboard.type("이상 없음")
    _tab_to(page, "[data-testid=submit]")
    page.keyboard.press("Enter")  # no name yet: the form says so and puts focus on the name field
    page.wait_for_selector(".form-error:not([hidden])")
    assert page.evaluate("document.activeElement.name") == "__confirm_name"
    page.keyboard.type(crew.full_name)
    _tab_to(page, "[data-testid=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=result][data-state=synced-pass]")
    with Session(engine) as session:
        stored = session.exec(select(Submission).where(Submission.inspection_id == inspection.id)).one()
        assert stored.signed_by == crew.full_name and stored.signature_photo_id is None
        assert stored.answers == {"posted": "pass", "ph": 7.4, "remarks": "이상 없음"}


def test_manager_works_an_alert_into_a_work_order(live_server: str, live_settings: Settings, page) -> None:  # type: ignore[no-untyped-def]
    engine = get_engine(live_settings.sqlalchemy_url)
    with Session(engine, expire_on_commit=False) as session:
        manager = make_user(session, role=Role.manager)
        crew = make_user(session, role=Role.crew)
        room = make_room(session, code="S-201")
        assignment.set_rule(session, manager, room.building_id, "", crew.id)  # type: ignore[arg-type]
        alert = make_alert(session, room=room)
        flag = make_alert(session, room=make_room(session, code="S-202"), rule="occupied_unbooked")
        flag.metric, flag.value, flag.severity = "occupancy", 0, "info"
        session.add(flag)
        session.commit()
    _sign_in(page, live_server, manager, "/sensors/alerts")
    page.fill(f"#ack-note-{alert.id}", "환기 요청함")
    page.click(f"#acknowledge-{alert.id}")
    page.wait_for_selector("#toasts [data-testid=toast]")
    assert "환기 요청함" in page.inner_text(f"#alert-{alert.id}")
    _both_viewports(page, "alerts")
    page.click(f"#work-order-{alert.id}")
    page.wait_for_selector("[data-testid=work-order-alert]")
    assert crew.full_name in page.inner_text("dl.facts")  # the building's rule assigned it
    _both_viewports(page, "work-order-from-alert")
    page.click("[data-move=in_progress]")
    page.fill("#f-note", "환기 장치 필터 교체")
    page.fill("#f-minutes_spent", "25")
    page.fill("#f-confirm_name", "다른 사람")
    page.click("[data-move=done]")
    page.wait_for_selector("#f-confirm_name[aria-invalid=true]")
    assert page.input_value("#f-note") == "환기 장치 필터 교체"  # kept beside the message
    assert page.evaluate("document.activeElement.id") == "error-summary"
    _both_viewports(page, "work-order-done-refused")
    page.fill("#f-confirm_name", manager.full_name)
    page.click("[data-move=done]")
    page.wait_for_selector("[data-testid=wo-status]:has-text('완료')")
    with Session(engine) as session:
        assert session.get(Alert, alert.id).acknowledged_by == manager.id  # type: ignore[union-attr]
