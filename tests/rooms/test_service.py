from datetime import time

from sqlmodel import Session

from facility.rooms import plan, service
from facility.rooms.models import OpeningHours
from tests.factories import make_building, make_room


def test_dividable_hall_claims_its_parts(session: Session) -> None:
    hall = make_room(session, code="HALL", kind="convention_hall", capacity=250)
    a = make_room(session, code="HALL-A", parent=hall)
    b = make_room(session, code="HALL-B", parent=hall)
    single = make_room(session, code="E-101")
    assert service.atomic_space_ids(session, hall.id) == sorted([a.id, b.id])
    assert service.atomic_space_ids(session, a.id) == [a.id]
    assert service.atomic_space_ids(session, single.id) == [single.id]
    assert service.related_room_ids(session, a.id) == sorted([hall.id, a.id])
    assert service.related_room_ids(session, hall.id) == sorted([hall.id, a.id, b.id])


def test_opening_hours_room_overrides_building(session: Session) -> None:
    building = make_building(session, code="edu")
    room = make_room(session, building=building)
    other = make_room(session, building=building)
    assert service.opening_hours(session, room, 0) == plan.DEFAULT_HOURS
    for day in range(5):
        session.add(OpeningHours(building_id=building.id, weekday=day, opens=time(7), closes=time(22)))
    session.add(OpeningHours(building_id=building.id, weekday=6, opens=None, closes=None))
    session.add(OpeningHours(room_id=room.id, weekday=0, opens=time(9), closes=time(18)))
    session.commit()
    assert service.opening_hours(session, room, 0) == (time(9), time(18))
    assert service.opening_hours(session, room, 1) is None  # the room's own list has no Tuesday
    assert service.opening_hours(session, other, 1) == (time(7), time(22))
    assert service.opening_hours(session, other, 6) is None
