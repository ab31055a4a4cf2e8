"""A building's approval month (사용승인월), imported from a Korean 사용승인일 column, puts its yearly
fire self-inspection at the end of that month on the duties calendar."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from facility.core.config import ImportLimits
from facility.core.models import Role
from facility.imports import korean, service
from facility.maintenance import catalogue, duty_calendar
from facility.rooms.models import Building
from tests.factories import make_room, make_user
from tests.maintenance.factories import make_plan

ZONE = ZoneInfo("Asia/Seoul")
CSV = "건물코드,캠퍼스,건물명,사용승인일\nAPR-1,seoul,승인관,2015-06-30\nAPR-2,seoul,월관,9월\nAPR-3,seoul,없는관,\n"


def test_read_month_takes_months_and_dates() -> None:
    assert [korean.read_month(t) for t in ("6", "06월", "2015-06", "2015-06-30", "2015년 6월 30일")] == [6] * 5
    assert korean.read_month("13") is None and korean.read_month("유월") is None


def test_imported_approval_month_moves_the_yearly_fire_check(session: Session) -> None:
    header = korean.header_names(c.name for c in service.IMPORTERS["buildings"].columns)
    assert header[korean.squeeze("사용승인일")] == "approval_month"
    data = CSV.replace("건물코드", "code").replace("캠퍼스", "campus").replace("건물명", "name_ko").encode()
    report = service.run_import(session, None, "buildings", data, dry_run=False, limits=ImportLimits())
    assert report.ok, [str(p) for p in report.problems]
    months = {b.code: b.approval_month for b in session.exec(select(Building).where(Building.code.startswith("APR")))}  # type: ignore[attr-defined]
    assert months == {"APR-1": 6, "APR-2": 9, "APR-3": None}
    bad = service.run_import(
        session,
        None,
        "buildings",
        b"code,campus,name_ko,approval_month\nAPR-4,seoul,x,13\n",
        dry_run=True,
        limits=ImportLimits(),
    )
    assert not bad.ok and bad.problems[0].column == "approval_month"

    templates = catalogue.seed_templates(session)
    approved = session.exec(select(Building).where(Building.code == "APR-1")).one()
    plain = make_room(session, building=session.exec(select(Building).where(Building.code == "APR-3")).one())
    make_plan(session, template=templates["fire-operational"], room=make_room(session, building=approved))
    make_plan(session, template=templates["fire-operational"], room=plain)
    session.commit()
    fire = [
        e
        for e in duty_calendar.yearly_calendar(session, make_user(session, role=Role.manager), 2027, ZONE)
        if e.title == "소방시설 작동점검"
    ]
    assert [e.on for e in fire if e.building == "승인관"] == [date(2027, 6, 30)]
    unknown = [e.on for e in fire if e.building == "없는관"]  # no month known: the plan's own dates
    assert unknown and date(2027, 6, 30) not in unknown
