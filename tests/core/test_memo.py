"""The committed read model (facility/core/memo.py): loaded only from committed data, once per
version of `read_model_version`, which a trigger bumps when any process writes a memoised table;
thread-safe while it is rebuilt."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, time

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, text
from sqlmodel import Session, func, select

from facility.booking import rules
from facility.booking.models import Closure
from facility.core import memo
from facility.rooms import service as rooms_service
from facility.rooms.models import OpeningHours, Room
from facility.rooms.plan import CampusPlan
from tests.factories import make_room, make_user, token_headers

TABLES = ("institute_closure",)


class Counted:
    """A read that counts how often it ran."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self, session: Session) -> int:
        self.reads += 1
        return session.exec(select(func.count()).select_from(Closure)).one()


def outside_write(engine: Engine, statement: str) -> None:
    """A write this process's SQLAlchemy never sees, as another worker, the CLI or psql makes it."""
    if engine.dialect.name == "postgresql":
        conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]
        return
    conn = sqlite3.connect(str(engine.url.database), timeout=30)
    try:
        conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def test_a_memo_is_kept_until_a_versioned_table_is_written(session: Session) -> None:
    read = Counted()
    assert memo.remembered(session, "test.closures", TABLES, read) == 0
    session.commit()
    assert memo.remembered(session, "test.closures", TABLES, read) == 0
    assert read.reads == 1
    session.add(Closure(day=date(2031, 5, 2), name="개교기념일"))
    session.commit()
    assert memo.remembered(session, "test.closures", TABLES, read) == 1
    session.commit()
    # Raw SQL counts as a write too: the trigger, not the application, bumps the version.
    session.exec(text("DELETE FROM institute_closure"))  # type: ignore[call-overload]
    session.commit()
    assert memo.remembered(session, "test.closures", TABLES, read) == 0
    assert read.reads == 3


def test_an_uncommitted_write_is_seen_by_its_writer_only_and_never_kept(session: Session, engine: Engine) -> None:
    read = Counted()
    session.add(Closure(day=date(2031, 5, 3), name="임시 휴관"))
    session.flush()
    assert memo.remembered(session, "test.pending", TABLES, read) == 1
    with Session(engine) as other:
        assert memo.remembered(other, "test.pending", TABLES, read) == 0
    session.rollback()
    assert memo.remembered(session, "test.pending", TABLES, read) == 0
    assert read.reads == 2


def test_a_room_renamed_and_rolled_back_is_never_served_to_another_request(session: Session, engine: Engine) -> None:
    """Issue 25.7: the dirty room in request A's identity map reached request B through the memo."""
    room = make_room(session, code="B101")
    name = room.name_ko
    with Session(engine) as request_a:
        renamed = request_a.get(Room, room.id)
        assert renamed is not None
        renamed.name_ko = "임시 이름"
        request_a.add(renamed)
        # Request A sees its own change...
        assert rooms_service.room_snapshot(request_a, room.id).name_ko == "임시 이름"  # type: ignore[arg-type, union-attr]
        request_a.rollback()
    # ... and request B, after A rolled back, the committed name.
    with Session(engine) as request_b:
        assert rooms_service.room_snapshot(request_b, room.id).name_ko == name  # type: ignore[arg-type, union-attr]


def test_a_write_committed_by_another_process_is_seen_by_the_next_request(session: Session, engine: Engine) -> None:
    room = make_room(session, code="B102")
    with Session(engine) as first:
        assert rooms_service.room_snapshot(first, room.id).name_en == room.name_en  # type: ignore[arg-type, union-attr]
    outside_write(engine, f"UPDATE room SET name_en = 'Renamed elsewhere' WHERE id = {room.id}")
    with Session(engine) as following:
        assert rooms_service.room_snapshot(following, room.id).name_en == "Renamed elsewhere"  # type: ignore[arg-type, union-attr]


def test_a_memo_of_no_table_is_read_again_when_its_time_is_up(session: Session) -> None:
    read = Counted()
    memo.remembered(session, "test.ttl", (), read, ttl_s=0)
    memo.remembered(session, "test.ttl", (), read, ttl_s=0)
    memo.remembered(session, "test.age", TABLES, read, max_age_s=0)
    memo.remembered(session, "test.age", TABLES, read, max_age_s=0)
    assert read.reads == 4


def test_every_memoised_table_bumps_the_version(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        # Row triggers: a write of no row bumps nothing, so check that each table has its three.
        with Session(engine) as session:
            triggers = session.exec(text("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'")).all()  # type: ignore[call-overload]
        counts = {table: sum(1 for (name,) in triggers if name == table) for table in memo.VERSIONED_TABLES}
        assert counts == dict.fromkeys(memo.VERSIONED_TABLES, 3)
        return
    for table in sorted(memo.VERSIONED_TABLES):
        with Session(engine) as session:
            before = memo.read_version(session.connection())
        outside_write(engine, f"DELETE FROM {table} WHERE false")
        with Session(engine) as session:
            assert memo.read_version(session.connection()) == before + 1, table


def test_a_user_disabled_by_another_worker_is_refused_at_once(
    client: TestClient, session: Session, engine: Engine
) -> None:
    """A sign-out or a disablement on one web worker counts on the others (issue 10: revocation)."""
    user = make_user(session)
    headers = token_headers(client, user)
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    outside_write(engine, f"UPDATE user_account SET active = false WHERE id = {user.id}")
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_a_closure_added_is_seen_by_the_next_booking_check(session: Session) -> None:
    day = date(2031, 5, 7)
    assert rules.holiday_name(session, day) is None
    session.add(Closure(day=day, name="시설 점검"))
    session.commit()
    assert rules.holiday_name(session, day) == "시설 점검"
    assert rules.closed_days(session, day, day) == {day: "시설 점검"}


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_readers_during_rebuilds_see_whole_snapshots_and_load_once_per_version(
    session: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each commit sets a room's Monday and Tuesday hours alike: a reader that ever saw them differ
    saw half a write. Loads are at most one per version however many readers ask at once."""
    room = make_room(session, code="B103")
    for weekday in (0, 1):
        session.add(OpeningHours(room_id=room.id, weekday=weekday, opens=time(8), closes=time(18)))
    session.commit()
    loads, plain_read = [], CampusPlan.read

    def counted(session: Session) -> CampusPlan:
        loads.append(1)
        return plain_read(session)

    monkeypatch.setattr(CampusPlan, "read", counted)
    monkeypatch.setattr(memo, "MAX_ENTRIES", 50)  # entries dropped while others are added
    done, failures, seen = threading.Event(), [], []

    def reader(index: int) -> None:
        try:
            while not done.is_set():
                with Session(engine) as request:
                    plan = CampusPlan.load(request)
                    hours = plan.room_hours[room.id]  # type: ignore[index]
                    if hours[0] != hours[1]:
                        failures.append(hours)
                    seen.append(hours[0])
                    memo.remembered(request, f"test.key:{index}:{len(seen)}", (), lambda s: 0)
        except Exception as error:  # noqa: BLE001 - reported below
            failures.append(error)

    readers = [threading.Thread(target=reader, args=(i,)) for i in range(12)]
    for thread in readers:
        thread.start()
    versions = 1
    for hour in range(9, 15):
        session.exec(text(f"UPDATE opening_hours SET opens = '{hour:02}:00' WHERE room_id = {room.id}"))  # type: ignore[call-overload]
        session.commit()
        versions += 1
    done.set()
    for thread in readers:
        thread.join(timeout=60)
    assert not failures, failures[:3]
    assert seen and len(loads) <= versions, (len(loads), versions)
    with Session(engine) as last:
        assert CampusPlan.load(last).room_hours[room.id][0][0] == time(14)  # type: ignore[index]


def test_a_savepoint_ending_keeps_the_version_its_transaction_read(session: Session, engine: Engine) -> None:
    """A booking's unit of work ends savepoints (claims, audit) between its memo reads: the
    version is read once per transaction, not again after each savepoint."""
    versions: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "read_model_version" in statement:
            versions.append(statement)

    memo.remembered(session, "test.savepoint.a", TABLES, Counted())
    event.listen(engine, "before_cursor_execute", note)
    try:
        with session.begin_nested():
            session.add(Closure(day=date(2031, 5, 3), name="임시"))
        with session.begin_nested():
            pass
        memo.remembered(session, "test.savepoint.b", ("room",), lambda s: 0)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    session.rollback()
    assert versions == []
