"""Each role lands on its own home, `?next=` still wins, and the manager's today page counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.booking import service
from facility.core.db import utcnow
from facility.core.models import Organization, OrgStatus, Role
from facility.maintenance.models import WorkOrder
from facility.sensors.models import Alert
from tests.booking.helpers import next_weekday, seoul
from tests.factories import PASSWORD, browser_login, csrf_from, make_room, make_user


@pytest.mark.parametrize(
    ("role", "home"),
    [(Role.renter, "/book"), (Role.crew, "/maintenance/my-day"), (Role.manager, "/today"), (Role.admin, "/today")],
)
def test_sign_in_lands_on_the_roles_home(client: TestClient, session: Session, role: Role, home: str) -> None:
    user = make_user(session, role=role)
    token = csrf_from(client, "/login")
    signed = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    assert client.get("/", follow_redirects=False).headers["location"] == home
    assert client.get(home).status_code == 200


def test_next_still_wins_and_anonymous_visitors_see_the_catalogue(client: TestClient, session: Session) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/rooms"
    user = make_user(session, role=Role.manager)
    token = csrf_from(client, "/login")
    data = {"email": user.email, "password": PASSWORD, "csrf_token": token, "next": "/manage/grid"}
    assert client.post("/login", data=data, follow_redirects=False).headers["location"] == "/manage/grid"


def test_today_counts_requests_alerts_and_overdue_work(client: TestClient, session: Session) -> None:
    renter, manager = make_user(session), make_user(session, role=Role.manager)
    room = make_room(session)
    day = next_weekday()
    service.request_booking(
        session, renter, {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "워크숍"}
    )
    session.add(Alert(rule="co2_high", room_id=room.id, metric="co2", severity="warning", message="CO2"))
    session.add(WorkOrder(title="조명 교체", room_id=room.id, due_at=utcnow() - timedelta(days=2)))
    session.add_all([Organization(name="새 합창단"), Organization(name="옛 단체", status=OrgStatus.rejected.value)])
    session.commit()
    browser_login(client, manager)
    page = client.get("/today")
    assert page.status_code == 200
    counts = (("count-pending", 1), ("count-alerts", 1), ("count-overdue", 1), ("count-orgs", 1))
    assert "승인: 담당자가 신청을 받아들였고" in page.text
    for testid, count in counts:
        assert f'data-testid="{testid}"><strong>{count}</strong>' in page.text, testid
    assert "워크숍" in page.text
    browser_login(client, renter)
    assert client.get("/today").status_code == 403
