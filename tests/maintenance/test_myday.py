from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from facility.core.db import utcnow
from facility.core.models import Role
from facility.maintenance.myday import my_day
from facility.rooms.models import Building, Campus
from tests.factories import make_room, make_user
from tests.maintenance.factories import make_inspection, make_plan, make_template


def test_route_keeps_each_building_together_across_campuses(session: Session) -> None:
    crew = make_user(session, role=Role.crew)
    template = make_template(session)
    rooms = []
    for n, code in enumerate(("one", "two")):
        campus = Campus(code=f"c{n}", name_ko=f"캠퍼스{n}", name_en=f"C{n}")
        session.add(campus)
        session.flush()
        building = Building(campus_id=campus.id, code=code, name_ko=code, name_en=code, sort_order=0)
        session.add(building)
        session.commit()
        rooms.append(make_room(session, building=building))
    now = utcnow()
    # Due times interleave the two buildings; the route must not.
    for hours, room in ((-4, rooms[0]), (-3, rooms[1]), (-2, rooms[0]), (-1, rooms[1])):
        make_inspection(
            session, plan=make_plan(session, template=template, room=room), due_at=now + timedelta(hours=hours)
        )
    stops = my_day(session, crew, now, ZoneInfo("Asia/Seoul"))
    assert [s.building for s in stops] == ["one", "one", "two", "two"]
    assert [s.overdue for s in stops] == [True] * 4
