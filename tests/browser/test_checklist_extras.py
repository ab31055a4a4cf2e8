"""Issue 30 at 800x1280: a failed item whose template asks for a note and a photo cannot be queued
without them (the message names the item); with them, the submission that syncs carries the note,
the photo and the time of the test to the server."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from facility.core.config import Settings
from facility.core.db import get_engine, utcnow
from facility.core.models import Role
from facility.maintenance.models import Submission
from tests.browser.test_work_loops import PORTRAIT_TABLET, _sign_in
from tests.conftest import screenshot
from tests.factories import make_room, make_user
from tests.maintenance.factories import PNG_1PX, make_inspection, make_plan, make_template

ITEMS = [
    {"key": "alarm", "type": "check", "ko": "경보 시험", "note": "on_fail", "photo": "on_fail"},
    {"key": "tested_at", "type": "time", "ko": "시험 시각"},
]


def test_failed_item_asks_for_note_and_photo(live_server: str, live_settings: Settings, page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    engine = get_engine(live_settings.sqlalchemy_url)
    with Session(engine, expire_on_commit=False) as session:
        crew = make_user(session, role=Role.crew)
        template = make_template(session, items=ITEMS)  # type: ignore[arg-type]
        plan = make_plan(session, template=template, room=make_room(session, code="X-301"))
        inspection = make_inspection(session, plan=plan, due_at=utcnow())
    path = f"/maintenance/inspections/{inspection.id}/checklist"
    page.set_viewport_size(PORTRAIT_TABLET)
    _sign_in(page, live_server, crew, path)
    page.wait_for_selector("[data-testid=checklist][data-ready]")
    page.click("[data-key=alarm] .choice.fail")
    page.fill("[data-key=tested_at] input", "10:40")
    page.fill("[data-testid=confirm-name]", crew.full_name)
    page.click("[data-testid=submit]")
    error = page.locator(".form-error")
    error.wait_for()
    assert "경보 시험" in error.inner_text() and "메모" in error.inner_text()
    assert page.evaluate("document.activeElement.id") == "n-alarm"

    page.fill("#n-alarm", "3층 벨 불량")
    photo = tmp_path / "bell.png"
    photo.write_bytes(PNG_1PX)
    page.set_input_files("[data-key=alarm] .extra-photo input[type=file]", str(photo))
    page.wait_for_selector("[data-key=alarm] .extra-photo .thumbs img")
    screenshot(page, "checklist-item-extras-portrait")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=result][data-state=synced-fail]")
    with Session(engine) as session:
        submission = session.exec(select(Submission).where(Submission.inspection_id == inspection.id)).one()
        assert submission.answers["tested_at"] == "10:40"
        assert submission.item_extras["alarm"]["note"] == "3층 벨 불량"
        assert len(submission.item_extras["alarm"]["photos"]) == 1
