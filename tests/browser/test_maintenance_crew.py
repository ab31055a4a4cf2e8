"""A crew completes checklists on a tablet in headless Chromium, one of them while offline."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from facility.core.config import Settings
from facility.core.db import get_engine, utcnow
from facility.core.models import Role, User
from facility.maintenance.models import Inspection, Submission
from facility.maintenance.myday import start_of_day
from facility.rooms.models import Floor
from tests.conftest import DESKTOP_VIEWPORT, screenshot
from tests.factories import PASSWORD, make_building, make_room, make_user
from tests.maintenance.factories import PNG_1PX, make_inspection, make_plan, make_template


def _seed(settings: Settings) -> tuple[str, list[int]]:
    with Session(get_engine(settings.sqlalchemy_url), expire_on_commit=False) as session:
        crew = make_user(session, role=Role.crew)
        building = make_building(session, code="edu")
        floor = Floor(building_id=building.id, level=2, label="2F")
        session.add(floor)
        session.commit()
        template = make_template(session)
        ids = []
        # Both due earlier today in Seoul: later could fall on tomorrow, earlier on yesterday
        # (counted as overdue, not listed).
        now = utcnow()
        today = start_of_day(now, ZoneInfo("Asia/Seoul"))
        for n, share in enumerate((1 / 3, 2 / 3)):
            room = make_room(session, building=building, code=f"E-20{n + 1}")
            room.floor_id = floor.id
            session.add(room)
            session.commit()
            plan = make_plan(session, template=template, room=room)
            ids.append(make_inspection(session, plan=plan, due_at=today + (now - today) * share).id)
        return crew.email, ids  # type: ignore[return-value]


def _fill(page, photo: Path) -> None:  # type: ignore[no-untyped-def]
    page.click("[data-key=posted] .choice.pass")
    page.fill("[data-key=ph] input", "7.2")
    page.fill("[data-key=remarks] textarea", "이상 없음")
    page.set_input_files("[data-key=photo] input[type=file]", str(photo))
    page.wait_for_selector("[data-key=photo] .thumbs img")
    pad = page.locator("[data-testid=signature]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 40)
    page.mouse.down()
    page.mouse.move(box["x"] + 200, box["y"] + 120, steps=8)
    page.mouse.move(box["x"] + 320, box["y"] + 50, steps=8)
    page.mouse.up()


def _submissions(settings: Settings, inspection_id: int) -> list[Submission]:
    with Session(get_engine(settings.sqlalchemy_url)) as session:
        query = select(Submission).where(Submission.inspection_id == inspection_id)
        return list(session.exec(query).all())


def test_crew_completes_checklists_online_and_offline(  # type: ignore[no-untyped-def]
    live_server: str, live_settings: Settings, page, tmp_path: Path
) -> None:
    email, (first, second) = _seed(live_settings)
    photo = tmp_path / "meter.png"
    photo.write_bytes(PNG_1PX)

    page.goto(f"{live_server}/login?next=/maintenance/my-day")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/maintenance/my-day")
    stops = page.eval_on_selector_all("[data-stop]", "els => els.map(e => e.dataset.stop)")
    assert stops == [f"inspection-{first}", f"inspection-{second}"]
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    screenshot(page, "maintenance-my-day-tablet")

    # Online: the checklist goes straight through.
    page.click(f"[data-stop=inspection-{first}] a")
    page.wait_for_selector("[data-testid=checklist]")
    _fill(page, photo)
    screenshot(page, "maintenance-checklist-tablet")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=result][data-state=synced-pass]")
    [stored] = _submissions(live_settings, first)
    assert stored.result == "pass" and stored.answers["ph"] == 7.2 and len(stored.answers["photo"]) == 1

    # The service worker has the day's pages for when Wi-Fi drops.
    page.goto(f"{live_server}/maintenance/my-day")
    cached_js = "caches.open('facility-crew-v2').then(c => c.keys()).then(k => k.map(r => r.url))"
    page.wait_for_function(f"{cached_js}.then(urls => urls.some(u => u.endsWith('/inspections/{second}/checklist')))")

    # Offline: the submission waits on the tablet, visibly, and is sent when the connection returns.
    page.click(f"[data-stop=inspection-{second}] a")
    page.wait_for_selector("[data-testid=checklist]")
    page.context.set_offline(True)
    _fill(page, photo)
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=result][data-state=queued]")
    page.wait_for_function("document.getElementById('sync-bar').dataset.pending === '1'")
    assert not page.locator("[data-testid=sync-bar]").is_hidden()
    assert "동기화 대기: 1" in page.inner_text("[data-testid=sync-bar]")
    screenshot(page, "maintenance-offline-queued-tablet")
    assert _submissions(live_settings, second) == []

    page.context.set_offline(False)
    page.wait_for_selector("[data-testid=result][data-state=synced-pass]")
    page.wait_for_function("document.getElementById('sync-bar').dataset.pending === '0'")
    assert page.locator("[data-testid=sync-bar]").is_hidden()
    [synced] = _submissions(live_settings, second)
    assert synced.filled_at is not None and synced.filled_at <= synced.submitted_at
    with Session(get_engine(live_settings.sqlalchemy_url)) as session:
        assert session.get(Inspection, second).status == "done"  # type: ignore[union-attr]

    page.goto(f"{live_server}/maintenance/my-day")
    assert page.locator("[data-stop]").count() == 0
    page.set_viewport_size(DESKTOP_VIEWPORT)
    screenshot(page, "maintenance-my-day-empty-desktop")


def test_unsubmitted_answers_survive_an_offline_reload_and_a_queued_one_is_never_sent_twice(  # type: ignore[no-untyped-def]
    live_server: str, live_settings: Settings, page, tmp_path: Path
) -> None:
    """Issue 30: two answers and a note typed, the tablet reloads offline: all three come back; once
    submitted offline, a reload shows it waiting (not a blank form) and the server gets it once."""
    email, (first, _second) = _seed(live_settings)
    page.goto(f"{live_server}/login?next=/maintenance/inspections/{first}/checklist")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    # A first visit straight to a checklist: the worker caches this page and the day page.
    page.wait_for_selector("[data-testid=checklist][data-ready]")
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cached_js = "caches.open('facility-crew-v2').then(c => c.keys()).then(k => k.map(r => r.url))"
    page.wait_for_function(
        f"{cached_js}.then(u => u.some(x => x.endsWith('/checklist')) && u.some(x => x.endsWith('/my-day')))"
    )

    page.fill("[data-key=ph] input", "7.2")
    page.fill("[data-key=remarks] textarea", "탁도 약간 높음")
    page.fill("#i-note", "필터 교체 필요")
    page.wait_for_selector("[data-testid=draft-state]:not([hidden])")
    page.wait_for_function(
        f"window.crewOutbox.getDraft('{first}').then(d => d && d.note === '필터 교체 필요' && d.answers.ph === 7.2)"
    )

    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("[data-testid=checklist][data-ready]")
    assert page.input_value("[data-key=ph] input") == "7.2"
    assert page.input_value("[data-key=remarks] textarea") == "탁도 약간 높음"
    assert page.input_value("#i-note") == "필터 교체 필요"
    assert "되살렸습니다" in page.inner_text("[data-testid=draft-state]")
    page.goto(f"{live_server}/maintenance/my-day")  # offline navigation to the day page: cached
    page.wait_for_selector("[data-stop]")
    page.go_back()
    page.wait_for_selector("[data-testid=checklist][data-ready]")

    page.click("[data-key=posted] .choice.pass")
    photo = tmp_path / "meter.png"
    photo.write_bytes(PNG_1PX)
    page.set_input_files("[data-key=photo] input[type=file]", str(photo))
    page.wait_for_selector("[data-key=photo] .thumbs img")
    page.fill("[data-testid=confirm-name]", "김정비")
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=result][data-state=queued]")
    page.reload()
    page.wait_for_selector("[data-testid=checklist][data-ready]")
    assert page.get_attribute("[data-testid=result]", "data-state") == "queued"
    assert page.is_disabled("[data-testid=submit]")
    assert page.evaluate("window.crewOutbox.all().then(a => a.length)") == 1
    assert page.evaluate(f"window.crewOutbox.getDraft('{first}').then(d => d === undefined)")
    assert page.locator("[data-key=photo] .thumbs img").count() == 1  # the queued photo is shown again

    # Back online, the server refuses the typed name: the crew sees why, with every answer still
    # there (back as a draft), corrects it and sends once more.
    page.context.set_offline(False)
    page.wait_for_selector(".form-error:not([hidden])", timeout=30_000)
    assert "이름" in page.inner_text(".form-error") and page.input_value("#i-note") == "필터 교체 필요"
    assert _submissions(live_settings, first) == []
    with Session(get_engine(live_settings.sqlalchemy_url)) as session:
        [name] = session.exec(select(User.full_name).where(User.email == email)).all()
    page.fill("[data-testid=confirm-name]", name)
    page.click("[data-testid=submit]")
    page.wait_for_selector("[data-testid=result][data-state=synced-pass]", timeout=30_000)
    [stored] = _submissions(live_settings, first)
    assert stored.answers["ph"] == 7.2 and stored.note == "필터 교체 필요"
