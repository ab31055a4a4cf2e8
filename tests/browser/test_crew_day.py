"""A crew member's day in Chromium at 800x1280: claim unassigned work from my day, time it with the
keyboard, see an alert assigned to them, and after a checklist with a failed item see a success
confirmation with links to the work order it opened and to the next stop of the day."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from facility.core.config import Settings
from facility.core.db import get_engine, utcnow
from facility.core.models import Role
from facility.maintenance.models import WorkOrder
from tests.browser.test_work_loops import KEYBOARD_ITEMS, PORTRAIT_TABLET, _sign_in, _tab_to
from tests.conftest import screenshot
from tests.factories import make_room, make_user
from tests.maintenance.factories import make_inspection, make_plan, make_template
from tests.sensors.factories import make_alert


def test_crew_claims_times_and_follows_the_day(live_server: str, live_settings: Settings, page) -> None:  # type: ignore[no-untyped-def]
    engine = get_engine(live_settings.sqlalchemy_url)
    with Session(engine, expire_on_commit=False) as session:
        crew = make_user(session, role=Role.crew)
        rooms = [make_room(session, code=code) for code in ("Q-101", "Q-102")]
        order = WorkOrder(title="Q-101 콘센트 교체", room_id=rooms[0].id)
        alert = make_alert(session, room=rooms[1])
        alert.assignee_id = crew.id
        session.add_all([order, alert])
        template = make_template(session, items=KEYBOARD_ITEMS)  # type: ignore[arg-type]
        now = utcnow()
        first = make_inspection(session, plan=make_plan(session, template=template, room=rooms[0]), due_at=now)
        second = make_inspection(
            session, plan=make_plan(session, template=template, room=rooms[1]), due_at=now + timedelta(minutes=5)
        )
        session.commit()
    page.set_viewport_size(PORTRAIT_TABLET)
    _sign_in(page, live_server, crew, "/maintenance/my-day")
    assert f"#{alert.id}" in page.inner_text("[data-testid=my-alerts]")
    assert "Q-101 콘센트 교체" in page.inner_text("[data-testid=claimable]")
    screenshot(page, "crew-day-claimable-portrait")
    page.click(f"[data-claimable='{order.id}'] button")
    page.wait_for_url(f"{live_server}/maintenance/work-orders/{order.id}")
    _tab_to(page, "[data-testid=timer-start]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=timer-running]")
    screenshot(page, "crew-work-order-timer-portrait")
    _tab_to(page, "[data-testid=timer-stop]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=timer-start]")
    with Session(engine) as session:
        assert session.get(WorkOrder, order.id).assignee_id == crew.id  # type: ignore[union-attr]

    # Done with a drawn signature instead of the typed name (issue 30: signatures on work orders too).
    page.click("[data-testid=move-in_progress] button")
    page.wait_for_selector("[data-testid=move-done]")
    page.fill("[data-testid=move-done] [name=note]", "콘센트 교체 완료")
    page.fill("[data-testid=move-done] [name=minutes_spent]", "15")
    pad = page.locator("[data-testid=wo-signature]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 220, box["y"] + 120, steps=8)
    page.mouse.up()
    page.click("[data-testid=move-done] button[data-move=done]")
    page.wait_for_selector("[data-testid=move-done]", state="detached")
    with Session(engine) as session:
        done = session.get(WorkOrder, order.id)
        assert done.status == "done" and done.signature_photo_id and done.signed_by == crew.full_name  # type: ignore[union-attr]

    page.goto(f"{live_server}/maintenance/inspections/{first.id}/checklist")
    page.check("[data-key=posted] input[value=pass]", force=True)  # the label covers the radio
    page.fill("[data-key=ph] input", "9.9")  # out of limits: the item fails and opens a work order
    page.fill("[name=__confirm_name]", crew.full_name)
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=result][data-state=synced-fail]")
    color = page.eval_on_selector("[data-testid=result]", "e => getComputedStyle(e).color")
    with Session(engine) as session:
        (opened,) = session.exec(select(WorkOrder.id).where(WorkOrder.inspection_id == first.id)).all()
    link = page.get_attribute("[data-testid=result-work-orders] a", "href")
    assert link == f"/maintenance/work-orders/{opened}"
    next_link = page.get_attribute("[data-testid=next-stop] a", "href")
    assert next_link == f"/maintenance/inspections/{second.id}/checklist"
    screenshot(page, "crew-checklist-submitted-portrait")
    assert color == "rgb(29, 122, 70)"  # --ok: the submission succeeded, whatever the items said
