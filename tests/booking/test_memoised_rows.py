"""Rows the booking request reads from per-process memos (core/memo.py): an edit made through this
process is seen by the very next request, for the user, the organisation, the room, its fees and
the quota alike."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel

from facility.booking.models import FeeSchedule, OrganizationQuota
from facility.core.models import Organization, OrgStatus, User
from facility.rooms.models import Room
from tests.booking.helpers import next_weekday, slot
from tests.factories import make_room, make_user, token_headers


def _request(client: TestClient, headers: dict[str, str], room_id: int, start: int, end: int, day=None):  # type: ignore[no-untyped-def]
    body = {"room_id": room_id, **slot(day or next_weekday(), start, end), "title": "연수", "attendees": 5}
    return client.post("/api/v1/bookings", json=body, headers=headers)


def _edit(session: Session, model: type[SQLModel], key: object, **changes: object) -> None:
    """Change a stored row and commit, as an edit page of this process would."""
    row = session.get(model, key)
    assert row is not None
    for name, value in changes.items():
        setattr(row, name, value)
    session.add(row)
    session.commit()


def test_a_disabled_user_is_refused_at_the_next_request(client: TestClient, session: Session) -> None:
    renter, room = make_user(session), make_room(session)
    headers = token_headers(client, renter)
    assert _request(client, headers, room.id, 9, 10).status_code == 201
    _edit(session, User, renter.id, active=False)
    assert _request(client, headers, room.id, 12, 13).status_code == 401


def test_a_suspended_organisation_is_refused_at_the_next_request(client: TestClient, session: Session) -> None:
    renter, room = make_user(session), make_room(session)
    headers = token_headers(client, renter)
    assert _request(client, headers, room.id, 9, 10).status_code == 201
    _edit(session, Organization, renter.organization_id, status=OrgStatus.rejected.value)
    refused = _request(client, headers, room.id, 12, 13)
    assert refused.status_code == 422 and refused.json()["code"] == "org_not_approved"


def test_fees_quota_and_a_withdrawn_room_count_at_the_next_request(client: TestClient, session: Session) -> None:
    renter, room = make_user(session), make_room(session)
    headers = token_headers(client, renter)
    first = _request(client, headers, room.id, 9, 10)
    assert first.status_code == 201
    session.add(FeeSchedule(room_id=room.id, hourly=77_000))
    session.commit()
    priced = _request(client, headers, room.id, 12, 13)
    assert priced.status_code == 201, priced.text
    # The room's own schedule now (77,000 an hour before VAT), not its kind's.
    assert priced.json()["price"] != first.json()["price"] and priced.json()["price"] >= 77_000
    session.add(OrganizationQuota(organization_id=renter.organization_id, hours_per_month=2))
    session.commit()
    over = _request(client, headers, room.id, 15, 16)
    assert over.status_code == 422 and over.json()["code"] == "quota_exceeded"
    _edit(session, Room, room.id, bookable_external=False)
    other = token_headers(client, make_user(session))
    withdrawn = _request(client, other, room.id, 18, 19)
    assert withdrawn.status_code == 422 and withdrawn.json()["code"] == "not_bookable", withdrawn.text
