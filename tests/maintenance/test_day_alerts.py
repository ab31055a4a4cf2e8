"""Sensor alerts a manager assigned to a crew member show on that member's day page (until resolved)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.core.models import Role
from tests.factories import browser_login, make_room, make_user
from tests.sensors.factories import make_alert


def test_my_unresolved_alerts_show_on_my_day(client: TestClient, session: Session) -> None:
    crew, other = make_user(session, role=Role.crew), make_user(session, role=Role.crew)
    room = make_room(session)
    mine, theirs, done = make_alert(session, room=room), make_alert(session, room=room), make_alert(session)
    mine.assignee_id, theirs.assignee_id = crew.id, other.id
    done.assignee_id, done.state = crew.id, "resolved"
    session.add_all([mine, theirs, done])
    session.commit()
    browser_login(client, crew)
    page = client.get("/maintenance/my-day")
    assert page.status_code == 200
    section = page.text.split('data-testid="my-alerts"', 1)[1].split("</ol>", 1)[0]
    assert f'data-alert="{mine.id}"' in section
    assert f'data-alert="{theirs.id}"' not in section and f'data-alert="{done.id}"' not in section
    browser_login(client, other)
    assert f'data-alert="{mine.id}"' not in client.get("/maintenance/my-day").text
