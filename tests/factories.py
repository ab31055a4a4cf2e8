"""Typed factories for test data; each commits so the app's own sessions see the rows."""

from __future__ import annotations

import itertools

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facility.core.models import Organization, OrgKind, OrgStatus, Role, User
from facility.core.security import hash_password
from facility.rooms.models import Building, Campus, Equipment, Room, RoomEquipment

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def make_organization(
    session: Session,
    *,
    name: str = "",
    status: OrgStatus = OrgStatus.approved,
    kind: OrgKind = OrgKind.private,
) -> Organization:
    org = Organization(name=name or f"Org {next(_seq)}", status=status.value, kind=kind.value)
    session.add(org)
    session.commit()
    return org


def make_user(
    session: Session,
    *,
    role: Role = Role.renter,
    email: str = "",
    password: str = PASSWORD,
    organization: Organization | None = None,
) -> User:
    if role == Role.renter and organization is None:
        organization = make_organization(session)
    user = User(
        email=email or f"{role.value}{next(_seq)}@example.kr",
        password_hash=hash_password(password),
        role=role.value,
        full_name=f"Test {role.value}",
        organization_id=organization.id if organization else None,
    )
    session.add(user)
    session.commit()
    return user


def make_building(session: Session, *, code: str = "") -> Building:
    campus = session.exec(select(Campus)).first()
    if campus is None:
        campus = Campus(code="main", name_ko="본원", name_en="Main")
        session.add(campus)
        session.flush()
    building = Building(campus_id=campus.id, code=code or f"b{next(_seq)}", name_ko="교육동", name_en="Education")
    session.add(building)
    session.commit()
    return building


def make_room(
    session: Session,
    *,
    kind: str = "lecture_room",
    capacity: int = 36,
    code: str = "",
    building: Building | None = None,
    bookable_external: bool = True,
    parent: Room | None = None,
    equipment: dict[str, int] | None = None,
) -> Room:
    building = building or session.exec(select(Building)).first() or make_building(session)
    room = Room(
        code=code or f"R-{next(_seq)}",
        building_id=building.id,
        name_ko=f"강의실 {code}",
        name_en=f"Room {code}",
        kind=kind,
        capacity=capacity,
        bookable_external=bookable_external,
        parent_id=parent.id if parent else None,
    )
    session.add(room)
    session.flush()
    for item_code, quantity in (equipment or {}).items():
        item = session.exec(select(Equipment).where(Equipment.code == item_code)).first()
        if item is None:
            item = Equipment(code=item_code, name_ko=item_code, name_en=item_code)
            session.add(item)
            session.flush()
        session.add(RoomEquipment(room_id=room.id, equipment_id=item.id, quantity=quantity))
    session.commit()
    return room


def token_headers(client: TestClient, user: User, password: str = PASSWORD) -> dict[str, str]:
    """Bearer headers for a user, obtained through the real token endpoint."""
    response = client.post("/api/v1/auth/token", data={"username": user.email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def browser_login(client: TestClient, user: User, password: str = PASSWORD) -> None:
    """Sign in through the login form (with its CSRF token), as a browser would."""
    page = client.get("/login")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login",
        data={"email": user.email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def csrf_from(client: TestClient, path: str = "/rooms") -> str:
    """The session's CSRF token as a page embeds it."""
    page = client.get(path)
    return page.text.split('"X-CSRF-Token": "', 1)[1].split('"', 1)[0]
