"""Memos of rarely written tables (facility/core/memo.py): kept until this process writes the table,
never kept from uncommitted writes, and read again once their time is up."""

from __future__ import annotations

from datetime import date

from sqlalchemy import text
from sqlmodel import Session, func, select

from facility.booking import rules
from facility.booking.models import Closure
from facility.core import memo

TABLES = ("institute_closure",)


class Counted:
    """A read that counts how often it ran."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self, session: Session) -> int:
        self.reads += 1
        return session.exec(select(func.count()).select_from(Closure)).one()


def test_a_memo_is_kept_until_its_table_is_written(session: Session) -> None:
    read = Counted()
    assert memo.remembered(session, "test.closures", TABLES, read) == 0
    assert memo.remembered(session, "test.closures", TABLES, read) == 0
    assert read.reads == 1
    session.add(Closure(day=date(2031, 5, 2), name="개교기념일"))
    session.commit()
    assert memo.remembered(session, "test.closures", TABLES, read) == 1
    # Raw SQL counts as a write too, and so does a table-wide statement.
    session.exec(text("DELETE FROM institute_closure"))  # type: ignore[call-overload]
    session.commit()
    assert memo.remembered(session, "test.closures", TABLES, read) == 0
    assert read.reads == 3


def test_an_uncommitted_write_is_never_kept(session: Session) -> None:
    read = Counted()
    session.add(Closure(day=date(2031, 5, 3), name="임시 휴관"))
    session.flush()
    assert memo.remembered(session, "test.pending", TABLES, read) == 1
    session.rollback()
    assert memo.remembered(session, "test.pending", TABLES, read) == 0
    assert read.reads == 2


def test_a_memo_is_read_again_when_its_time_is_up(session: Session) -> None:
    read = Counted()
    memo.remembered(session, "test.ttl", TABLES, read, ttl_s=0)
    memo.remembered(session, "test.ttl", TABLES, read, ttl_s=0)
    assert read.reads == 2


def test_a_closure_added_is_seen_by_the_next_booking_check(session: Session) -> None:
    day = date(2031, 5, 7)
    assert rules.holiday_name(session, day) is None
    session.add(Closure(day=day, name="시설 점검"))
    session.commit()
    assert rules.holiday_name(session, day) == "시설 점검"
    assert rules.closed_days(session, day, day) == {day: "시설 점검"}
