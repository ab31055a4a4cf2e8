from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.demo.load import load_demo_campus
from facility.rooms.models import Room


def test_catalogue_full_page_then_fragment(client: TestClient, session: Session) -> None:
    load_demo_campus(session)
    session.commit()
    full = client.get("/rooms?building=welf")
    assert full.status_code == 200
    assert "<html" in full.text and 'id="room-results"' in full.text
    assert "컨벤션센터" in full.text
    fragment = client.get("/rooms?building=welf&min_capacity=200", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "<header" not in fragment.text
    assert 'data-room="W-CONV"' in fragment.text and 'data-room="E-101"' not in fragment.text


def test_room_detail_in_both_languages(client: TestClient, session: Session) -> None:
    load_demo_campus(session)
    session.commit()
    hall = session.exec(select(Room).where(Room.code == "W-CONV")).one()
    korean = client.get(f"/rooms/{hall.id}")
    assert "컨벤션센터" in korean.text and "분할 공간" in korean.text and "운영 시간" in korean.text
    client.get("/lang/en?next=/rooms", follow_redirects=False)
    english = client.get(f"/rooms/{hall.id}")
    assert "Convention Centre Hall A" in english.text and "Opening hours" in english.text
    assert '<html lang="en">' in english.text


def test_open_redirect_is_refused(client: TestClient) -> None:
    response = client.get("/lang/en?next=//evil.example", follow_redirects=False)
    assert response.headers["location"] == "/"
