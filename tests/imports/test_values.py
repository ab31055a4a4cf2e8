"""Cell values that once imported as something else, or crashed: each is now a named problem."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from facility.core.config import ImportLimits
from facility.imports import service
from facility.rooms.models import Room
from tests.factories import make_building

HEADER = "code,building,name_ko,kind,capacity,area_m2,description"


def rooms(session: Session, text: str) -> service.ImportReport:
    report = service.run_import(session, None, "rooms", text.encode(), dry_run=False, limits=ImportLimits())
    session.commit()
    return report


REFUSED = {
    "nan area": ("X-1,main-edu,방,lecture_room,10,nan,", "area_m2"),
    "inf area": ("X-1,main-edu,방,lecture_room,10,inf,", "area_m2"),
    "1e400 area": ("X-1,main-edu,방,lecture_room,10,1e400,", "area_m2"),
    "negative area": ("X-1,main-edu,방,lecture_room,10,-3,", "area_m2"),
    "capacity beyond an INTEGER": ("X-1,main-edu,방,lecture_room,99999999999,,", "capacity"),
    "decimal comma": ('X-1,main-edu,방,lecture_room,10,"82,5",', "area_m2"),
    "thousands or decimal comma": ('X-1,main-edu,방,lecture_room,10,"1,234",', "area_m2"),
    "unquoted comma in the last column": ("X-1,main-edu,방,lecture_room,10,,창가 자리, 빔프로젝터", "description"),
    "equipment amount beyond an INTEGER": ("X-1,main-edu,방,lecture_room,10,,", "equipment"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_value_that_would_corrupt_or_crash_is_a_problem_at_its_row_and_column(session: Session, case: str) -> None:
    make_building(session, code="main-edu")
    session.commit()
    line, column = REFUSED[case]
    header = HEADER
    if column == "equipment":
        header, line = HEADER + ",equipment", line + ",projector:99999999999"
    report = rooms(session, f"{header}\n{line}\n")
    assert [(p.row, p.column) for p in report.problems] == [(2, column)], report.problems
    assert session.exec(select(Room)).first() is None


def test_grouped_thousands_are_read_where_unambiguous(session: Session) -> None:
    make_building(session, code="main-edu")
    session.commit()
    report = rooms(session, f'{HEADER}\nX-1,main-edu,방,lecture_room,"1,234","1,234.5",\n')
    assert report.ok, report.problems
    room = session.exec(select(Room)).one()
    assert (room.capacity, room.area_m2) == (1234, 1234.5)


def test_problems_carry_the_spreadsheets_own_row_numbers_after_blank_rows(session: Session) -> None:
    make_building(session, code="main-edu")
    session.commit()
    text = f"{HEADER}\nX-1,main-edu,방,lecture_room,10,,\n\n,,,,,,\nX-2,main-edu,방,lecture_room,마흔,,\n"
    report = rooms(session, text)
    assert [(p.row, p.column) for p in report.problems] == [(5, "capacity")]
