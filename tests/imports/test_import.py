"""Import and export: every sample in every encoding, round trips, and broken files."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlmodel import Session, col, func, select

from facility.booking import flows
from facility.booking import service as booking
from facility.booking.models import Block
from facility.content import seed_content
from facility.core.config import ImportLimits
from facility.core.models import AuditEntry, Role
from facility.imports import service
from facility.imports.files import read_table, write_xlsx
from facility.rooms.models import Room
from tests.booking.helpers import next_weekday, seoul
from tests.factories import make_room, make_user

SAMPLES = Path(service.__file__).with_name("samples")
ENCODINGS = ("utf-8", "utf-8-sig", "cp949", "xlsx")


def sample(kind: str, encoding: str = "utf-8") -> bytes:
    text = (SAMPLES / f"{kind}.csv").read_text(encoding="utf-8")
    if encoding == "xlsx":
        header, *rows = list(csv.reader(io.StringIO(text)))
        return write_xlsx(header, [dict(zip(header, r, strict=True)) for r in rows], kind)
    return text.encode(encoding)


def run(session: Session, kind: str, data: bytes, *, dry_run: bool = False) -> service.ImportReport:
    report = service.run_import(session, None, kind, data, dry_run=dry_run, limits=ImportLimits())
    session.commit()
    return report


def count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_sample_imports_and_exports_back_unchanged(session: Session, encoding: str) -> None:
    seed_content(session)
    for kind in service.KINDS:
        report = run(session, kind, sample(kind, encoding))
        assert report.ok, [str(p) for p in report.problems]
        assert report.counts["created"] > 0 or kind == "fees", kind
    hall = session.exec(select(Room).where(Room.code == "CONV-HALL-A")).one()
    assert hall.name_ko == "컨벤션홀 A" and hall.parent_id is not None
    for kind in service.KINDS:
        for xlsx in (False, True):
            exported = service.export_file(session, None, kind, xlsx=xlsx)
            again = run(session, kind, exported)
            assert again.ok and again.counts["unchanged"] == len(again.rows) > 0, (kind, xlsx, again.counts)
    entries = session.exec(
        select(AuditEntry).where(col(AuditEntry.action).startswith("import.")).order_by(col(AuditEntry.id))
    ).all()
    assert len(entries) == 3 * len(service.KINDS)
    assert entries[0].after["created"] == 2 and entries[0].after["rows"] == 2  # type: ignore[index]


def test_encodings_are_detected_without_asking() -> None:
    for encoding in ENCODINGS:
        table = read_table(sample("rooms", encoding), ImportLimits())
        assert table.header[0] == "code" and table.rows[0][1][2] == "제201강의실", encoding


BROKEN = {
    "missing column": ("code,name_ko,kind\nX-1,방,lecture_room\n", 1, "building"),
    "unknown building": ("code,building,name_ko,kind\nX-1,nowhere,방,lecture_room\n", 2, "building"),
    "unknown parent room": ("code,building,name_ko,kind,parent\nX-1,main-edu,방,lecture_room,NOPE\n", 2, "parent"),
    "duplicate code": (
        "code,building,name_ko,kind\nX-1,main-edu,방,lecture_room\nX-1,main-edu,방,lecture_room\n",
        3,
        "code",
    ),
    "bad time": (
        "code,building,name_ko,kind,weekday_hours\nX-1,main-edu,방,lecture_room,25:00-26:00\n",
        2,
        "weekday_hours",
    ),
    "capacity not a number": (
        "code,building,name_ko,kind,capacity\nX-1,main-edu,방,lecture_room,마흔\n",
        2,
        "capacity",
    ),
    "unknown kind": ("code,building,name_ko,kind\nX-1,main-edu,방,ballroom\n", 2, "kind"),
}


@pytest.mark.parametrize("problem", BROKEN)
def test_a_broken_file_names_row_and_column_and_imports_nothing(session: Session, problem: str) -> None:
    run(session, "buildings", sample("buildings"))
    # A good row before the broken one: all or nothing means it is not imported either.
    text, row, column = BROKEN[problem]
    header, *lines = text.splitlines()
    good = ",".join(
        {"code": "GOOD-1", "building": "main-edu", "name_ko": "좋은 방", "kind": "lecture_room"}.get(h, "")
        for h in header.split(",")
    )
    data = "\n".join([header, good, *lines]).encode("cp949") if row > 1 else text.encode()
    row = row + 1 if row > 1 else row
    for dry_run in (True, False):
        report = run(session, "rooms", data, dry_run=dry_run)
        assert not report.ok
        assert (row, column) in {(p.row, p.column) for p in report.problems}, report.problems
        assert count(session, Room) == 0
    assert count(session, AuditEntry) == 1  # the buildings import only


def test_timetable_blocks_take_precedence_and_show_their_clashes(session: Session) -> None:
    renter = make_user(session)
    manager = make_user(session, role=Role.manager)
    room = make_room(session, code="EDU-202")
    day = next_weekday(weekday=0)
    pending = booking.request_booking(
        session, renter, {"room_id": room.id, "start": seoul(day, 10), "end": seoul(day, 12), "title": "요청"}
    )
    firm = booking.request_booking(
        session, renter, {"room_id": room.id, "start": seoul(day, 14), "end": seoul(day, 16), "title": "확정 대관"}
    )
    flows.approve_booking(session, manager, firm.id)  # type: ignore[arg-type]
    session.commit()
    header = "course,title,room,first_day,last_day,weekdays,starts,ends\n"
    whole_day = f"C-1,교원 연수,EDU-202,{day},{day},MO,09:00,17:00\n"
    morning_only = f"C-2,오전 연수,EDU-202,{day},{day},월,09:00,13:00\n"
    clash = run(session, "timetable", (header + whole_day + morning_only).encode(), dry_run=True)
    assert [(p.row, p.column) for p in clash.problems] == [(2, "room")]
    assert f"#{firm.id}" in clash.problems[0].message and "확정 대관" in clash.problems[0].message
    assert count(session, Block) == 0
    morning = run(session, "timetable", (header + morning_only).encode())
    assert morning.ok and morning.counts["created"] == 1
    assert any(f"#{pending.id}" in note for note in morning.notes)
    assert session.exec(select(Block)).one().kind == "training"
