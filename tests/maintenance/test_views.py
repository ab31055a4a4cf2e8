from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.db import utcnow
from facility.core.models import Role
from facility.maintenance.models import ProblemReport, WorkOrder
from facility.maintenance.myday import start_of_day
from facility.maintenance.schemas import WorkOrderCreate
from facility.maintenance.service import create_work_order
from facility.rooms.models import Building, Floor
from tests.factories import browser_login, csrf_from, make_building, make_room, make_user
from tests.maintenance.factories import make_asset, make_inspection, make_plan, make_template


def _report(client: TestClient, code: str, token: str, text: str = "물이 샙니다") -> int:
    return client.post(f"/a/{code}/report", data={"description": text, "csrf_token": token}).status_code


def test_anyone_reports_a_problem_rate_limited_and_csrf_checked(client: TestClient, session: Session) -> None:
    asset = make_asset(session)
    page = client.get(f"/a/{asset.code}")
    assert page.status_code == 200 and "<svg" in page.text and asset.serial not in page.text
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert _report(client, asset.code, "forged") == 403
    assert [_report(client, asset.code, token) for _ in range(5)] == [200] * 5
    assert _report(client, asset.code, token) == 429
    assert len(session.exec(select(ProblemReport)).all()) == 5
    assert client.get("/a/NO-SUCH").status_code == 404


def test_manager_triages_a_report_into_a_work_order(client: TestClient, session: Session) -> None:
    asset = make_asset(session)
    manager = make_user(session, role=Role.manager)
    token = client.get(f"/a/{asset.code}").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert _report(client, asset.code, token, "소음이 심함") == 200
    browser_login(client, manager)
    listing = client.get("/maintenance/requests")
    assert "소음이 심함" in listing.text
    report = session.exec(select(ProblemReport)).one()
    csrf = csrf_from(client, "/maintenance/requests")
    response = client.post(
        f"/maintenance/requests/{report.id}",
        data={"accept": "true", "priority": "high", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 303
    session.rollback()  # end the test's read snapshot to see the app's commit
    order = session.exec(select(WorkOrder)).one()
    assert response.headers["location"] == f"/maintenance/work-orders/{order.id}"
    assert order.asset_id == asset.id and order.priority == "high" and order.source == "report"


def test_my_day_is_a_walking_route(client: TestClient, session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    building = make_building(session)
    floors = {}
    for level in (3, 1):
        floor = Floor(building_id=building.id, level=level, label=f"{level}F")
        session.add(floor)
        session.commit()
        floors[level] = floor
    upstairs = make_room(session, building=building, code="Z-301")
    upstairs.floor_id = floors[3].id
    downstairs = make_room(session, building=building, code="Z-101")
    downstairs.floor_id = floors[1].id
    session.add_all([upstairs, downstairs])
    session.commit()
    now = utcnow()
    today = start_of_day(now, ZoneInfo("Asia/Seoul"))
    first_due = make_inspection(session, plan=make_plan(session, room=upstairs), due_at=today + (now - today) / 2)
    create_work_order(
        session,
        None,
        WorkOrderCreate(title="1층 조명", room_id=downstairs.id, assignee_id=crew.id, due_at=now + timedelta(hours=1)),
    )
    make_inspection(session, plan=make_plan(session, room=downstairs), due_at=now + timedelta(days=8))
    make_inspection(session, plan=make_plan(session, room=downstairs), due_at=now - timedelta(days=40))
    session.commit()
    browser_login(client, crew)
    page = client.get("/maintenance/my-day").text
    stops = [chunk.split('"', 1)[0] for chunk in page.split('data-stop="')[1:]]
    assert stops == ["work_order-1", f"inspection-{first_due.id}"]  # assigned, then today; old and far not listed
    assert "overdue" in page.split(f'data-stop="inspection-{first_due.id}"', 1)[0].rsplit("<li", 1)[1]
    assert "기한 경과: 1건" in page and 'href="/maintenance/my-day?overdue=1"' in page
    listed = client.get("/maintenance/my-day?overdue=1").text
    assert listed.count('data-stop="inspection-') == 2


def test_checklist_page_shows_items_and_legal_basis(client: TestClient, session: Session) -> None:
    template = make_template(session)
    template.legal_basis, template.verify_regulation = "체육시설법 수질기준", True
    session.add(template)
    session.commit()
    inspection = make_inspection(session, plan=make_plan(session, template=template))
    browser_login(client, make_user(session, role=Role.crew))
    page = client.get(f"/maintenance/inspections/{inspection.id}/checklist").text
    assert 'data-key="ph"' in page and 'data-min="5.8"' in page and "체육시설법 수질기준" in page
    assert "현행 법령 확인 필요" in page
    sw = client.get("/maintenance/sw.js")
    assert sw.headers["content-type"].startswith("application/javascript") and "precache" in sw.text


def test_compliance_report_and_csv(client: TestClient, session: Session) -> None:
    yearly = "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=10;BYHOUR=9"
    plan = make_plan(session, template=make_template(session, law="소방시설법"), rrule=yearly)
    year = utcnow().year
    on_time = make_inspection(session, plan=plan, due_at=datetime(year, 1, 10, tzinfo=UTC))
    on_time.status, on_time.completed_at = "done", datetime(year, 1, 9, tzinfo=UTC)
    late = make_inspection(session, plan=plan, due_at=datetime(year, 1, 11, tzinfo=UTC))
    late.status, late.completed_at = "done", datetime(year, 1, 15, tzinfo=UTC)
    make_inspection(session, plan=plan, due_at=datetime(year, 1, 12, tzinfo=UTC))  # missed
    make_inspection(session, plan=plan, due_at=datetime(year, 12, 31, 12, tzinfo=UTC) - timedelta(days=1))
    session.add_all([on_time, late])
    session.commit()
    manager = make_user(session, role=Role.manager)
    browser_login(client, manager)
    page = client.get(f"/maintenance/compliance?year={year}")
    assert page.status_code == 200 and "소방시설법" in page.text
    csv_text = client.get(f"/maintenance/compliance.csv?year={year}").content.decode("utf-8-sig")
    row = [line for line in csv_text.splitlines() if line.startswith("소방시설법")][0].split(",")
    assert row[3:8] == ["1", "1", "1", "1" if utcnow() < datetime(year, 12, 30, 12, tzinfo=UTC) else "0", "33%"]


def test_crew_cannot_open_manager_pages(client: TestClient, session: Session) -> None:
    browser_login(client, make_user(session, role=Role.crew))
    for path in ("/maintenance/compliance", "/maintenance/plans", "/maintenance/requests"):
        assert client.get(path).status_code == 403


def test_qr_label_sheet_per_building(client: TestClient, session: Session) -> None:
    asset = make_asset(session)
    browser_login(client, make_user(session, role=Role.manager))
    code = session.get(Building, asset.building_id).code  # type: ignore[union-attr]
    sheet = client.get(f"/maintenance/assets/labels?building={code}").text
    assert f'data-asset="{asset.code}"' in sheet and sheet.count("<svg") == 1


def test_crew_works_an_order_through_the_pages(client: TestClient, session: Session) -> None:
    from tests.maintenance.factories import PNG_1PX, make_part

    crew = make_user(session, role=Role.crew)
    part = make_part(session, on_hand=2, min_level=1)
    order = create_work_order(session, None, WorkOrderCreate(title="조명 교체", assignee_id=crew.id))
    session.commit()
    browser_login(client, crew)
    page = client.get(f"/maintenance/work-orders/{order.id}").text
    assert 'data-move="in_progress"' in page and 'data-move="cancelled"' not in page
    csrf = csrf_from(client, f"/maintenance/work-orders/{order.id}")
    url = f"/maintenance/work-orders/{order.id}"
    assert client.post(f"{url}/transition", data={"to": "in_progress", "csrf_token": csrf}).status_code == 200
    client.post(f"{url}/comments", data={"body": "사다리 필요", "csrf_token": csrf})
    client.post(f"{url}/parts", data={"part_id": part.id, "quantity": 1, "csrf_token": csrf})
    client.post(f"{url}/photos", data={"csrf_token": csrf}, files={"photo": ("a.png", PNG_1PX, "image/png")})
    done = {"to": "done", "minutes_spent": "30", "csrf_token": csrf}
    refused = client.post(f"{url}/transition", data=done)
    assert refused.status_code == 422 and 'aria-invalid="true" aria-describedby="f-note-error"' in refused.text
    assert 'value="30"' in refused.text and "조치 내용을 입력하세요" in refused.text
    done |= {"note": "등기구 교체", "confirm_name": f" {crew.full_name.lower()} "}
    accepted = client.post(f"{url}/transition", data=done, follow_redirects=False)
    assert accepted.headers["location"] == url
    assert "작업지시를 완료했습니다" in client.get(accepted.headers["location"]).text
    page = client.get(url).text
    assert "사다리 필요" in page and "/maintenance/photos/" in page and "× 1" in page
    session.rollback()
    refreshed = session.get(WorkOrder, order.id)
    session.refresh(refreshed)
    assert refreshed.status == "done" and refreshed.minutes_spent == 30  # type: ignore[union-attr]
    photo_id = page.split('src="/maintenance/photos/', 1)[1].split('"', 1)[0]
    assert client.get(f"/maintenance/photos/{photo_id}").content == PNG_1PX
    client.cookies.clear()
    assert client.get(f"/maintenance/photos/{photo_id}", follow_redirects=False).status_code == 303


def test_manager_verifies_from_the_checklist_page(client: TestClient, session: Session) -> None:
    from facility.maintenance import inspections
    from facility.maintenance.schemas import SubmissionCreate
    from tests.maintenance.factories import PNG_DATA_URL, new_submission_id, passing_answers

    crew = make_user(session, role=Role.crew)
    inspection = make_inspection(session)
    body = SubmissionCreate(submission_id=new_submission_id(), answers=passing_answers(), signature=PNG_DATA_URL)
    inspections.submit_checklist(session, crew, inspection.id, body)  # type: ignore[arg-type]
    session.commit()
    browser_login(client, make_user(session, role=Role.manager))
    url = f"/maintenance/inspections/{inspection.id}/checklist"
    assert 'data-testid="verify"' in client.get(url).text
    client.post(f"/maintenance/inspections/{inspection.id}/verify", data={"csrf_token": csrf_from(client, url)})
    page = client.get(url).text
    assert 'data-testid="verify"' not in page and "확인 완료" in page


def test_manager_sets_an_assignment_rule_and_opens_work_that_asks_for_parts(
    client: TestClient, session: Session
) -> None:
    building = make_building(session)
    crew = make_user(session, role=Role.crew)
    browser_login(client, make_user(session, role=Role.manager))
    csrf = csrf_from(client, "/maintenance/work-orders")
    rule = {"building_id": building.id, "trade": "electrical", "assignee_id": crew.id, "csrf_token": csrf}
    saved = client.post("/maintenance/assignment-rules", data=rule)
    assert saved.status_code == 200 and "배정 규칙을 저장했습니다" in saved.text
    assert "전기" in saved.text.split('data-testid="assignment-rules"', 1)[1].split("</table>", 1)[0]
    new = {"title": "분전반 점검", "trade": "electrical", "needs_parts": "true", "csrf_token": csrf}
    client.post("/maintenance/work-orders", data=new)
    session.expire_all()
    order = session.exec(select(WorkOrder).where(WorkOrder.title == "분전반 점검")).one()
    assert (order.trade, order.needs_parts, order.assignee_id) == ("electrical", True, None)  # manual: no rule
