"""The preview marks each refused cell with its own messages (looked up per row, not filtered per cell)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from facility.core.models import Role
from tests.factories import browser_login, make_building, make_user


def test_preview_marks_only_the_refused_cell(client: TestClient, session: Session) -> None:
    admin = make_user(session, role=Role.admin)
    make_building(session, code="main-edu")
    session.commit()
    browser_login(client, admin)
    csrf = client.get("/admin/import").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    data = "code,building,name_ko,kind,capacity\nR-1,main-edu,a,lecture_room,40\nR-2,main-edu,b,lecture_room,many\n"
    files = {"file": ("rooms.csv", data.encode())}
    page = client.post("/admin/import/preview", data={"kind": "rooms", "csrf_token": csrf}, files=files)
    assert page.status_code == 422
    assert page.text.count('<td class="error" title="') == 1
    cell = page.text.split('<td class="error" title="', 1)[1].split("</td>", 1)[0]
    assert "many" in cell and "<small>" in cell
    assert page.text.count('<tr class="error">') == 1
