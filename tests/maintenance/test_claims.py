"""Crew claim unassigned work: in their trade and buildings, audited, exactly one winner of a race
(PostgreSQL), and the Claim buttons on the work-order page, the board and my day."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.models import AuditEntry, Role
from facility.maintenance.models import StaffProfile, WorkOrder
from tests.booking.test_races import RACERS, race, served  # noqa: F401 - the live-server fixture
from tests.factories import browser_login, csrf_from, make_building, make_room, make_user, token_headers


def _order(session: Session, **fields: object) -> WorkOrder:
    order = WorkOrder(title=str(fields.pop("title", "형광등 교체")), **fields)  # type: ignore[arg-type]
    session.add(order)
    session.commit()
    return order


def test_crew_claims_unassigned_work_once_and_it_is_audited(client: TestClient, session: Session) -> None:
    order = _order(session)
    crew, other = make_user(session, role=Role.crew), make_user(session, role=Role.crew)
    renter = make_user(session, role=Role.renter)
    claimed = client.post(f"/api/v1/work-orders/{order.id}/claim", headers=token_headers(client, crew))
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["assignee_id"] == crew.id and claimed.json()["status"] == "assigned"
    again = client.post(f"/api/v1/work-orders/{order.id}/claim", headers=token_headers(client, other))
    assert again.status_code == 409 and again.json()["code"] == "already_claimed"
    session.expire_all()
    assert session.get(WorkOrder, order.id).assignee_id == crew.id  # type: ignore[union-attr]
    (entry,) = session.exec(select(AuditEntry).where(AuditEntry.action == "work_order.claim")).all()
    assert entry.actor_id == crew.id and entry.entity_id == str(order.id)
    assert client.post("/api/v1/work-orders/999999/claim", headers=token_headers(client, crew)).status_code == 404
    assert (
        client.post(f"/api/v1/work-orders/{order.id}/claim", headers=token_headers(client, renter)).status_code == 403
    )


def test_a_staff_profile_limits_claims_to_its_trade_and_buildings(client: TestClient, session: Session) -> None:
    mine, elsewhere = make_room(session), make_room(session, building=make_building(session))
    crew = make_user(session, role=Role.crew)
    session.add(StaffProfile(user_id=crew.id, trade="electrical", building_ids=[mine.building_id]))  # type: ignore[arg-type]
    session.commit()
    plumbing = _order(session, title="배관", trade="mechanical", room_id=mine.id)
    far = _order(session, title="먼 곳", trade="electrical", room_id=elsewhere.id)
    fits = _order(session, title="차단기", trade="electrical", room_id=mine.id)
    headers = token_headers(client, crew)
    assert client.post(f"/api/v1/work-orders/{plumbing.id}/claim", headers=headers).status_code == 403
    assert client.post(f"/api/v1/work-orders/{far.id}/claim", headers=headers).status_code == 403
    assert client.post(f"/api/v1/work-orders/{fits.id}/claim", headers=headers).status_code == 200


def test_crew_racing_to_claim_one_order_leave_exactly_one_winner(session: Session, served: str) -> None:  # noqa: F811
    order = _order(session)
    crews = [make_user(session, role=Role.crew) for _ in range(RACERS)]
    responses = race(served, [("POST", f"/api/v1/work-orders/{order.id}/claim", None, c) for c in crews])
    codes = sorted(r.status_code for r in responses)
    assert codes.count(200) == 1 and codes.count(409) + codes.count(503) == RACERS - 1, codes
    winner = next(r.json()["assignee_id"] for r in responses if r.status_code == 200)
    session.expire_all()
    assert session.get(WorkOrder, order.id).assignee_id == winner  # type: ignore[union-attr]
    claims = session.exec(select(AuditEntry).where(AuditEntry.action == "work_order.claim")).all()
    assert [c.actor_id for c in claims] == [winner]


def test_claim_buttons_on_my_day_board_and_work_order_page(client: TestClient, session: Session) -> None:
    order = _order(session, title="창문 수리")
    crew, busy = make_user(session, role=Role.crew), make_user(session, role=Role.crew)
    taken = _order(session, title="이미 맡은 일", assignee_id=busy.id, status="assigned")
    browser_login(client, crew)
    day = client.get("/maintenance/my-day")
    assert 'data-testid="claimable"' in day.text and "창문 수리" in day.text and "이미 맡은 일" not in day.text
    board = client.get("/maintenance/work-orders").text
    assert f'data-testid="claim-{order.id}"' in board and f'data-testid="claim-{taken.id}"' not in board
    assert 'data-testid="claim"' in client.get(f"/maintenance/work-orders/{order.id}").text
    token = csrf_from(client, "/maintenance/my-day")
    done = client.post(f"/maintenance/work-orders/{order.id}/claim", data={"csrf_token": token})
    assert done.status_code in (200, 303)
    page = client.get(f"/maintenance/work-orders/{order.id}")
    assert 'data-testid="claim"' not in page.text
    session.expire_all()
    assert session.get(WorkOrder, order.id).assignee_id == crew.id  # type: ignore[union-attr]
    lost = client.post(f"/maintenance/work-orders/{order.id}/claim", data={"csrf_token": token})
    assert lost.status_code == 409
