"""Memos of rarely written tables (facility/core/memo.py): kept until this process writes the table,
never kept from uncommitted writes, read again once their time is up, and (PostgreSQL) dropped as
soon as another process's write is announced."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, func, select

from facility.booking import rules
from facility.booking.models import Closure
from facility.core import auth, memo
from tests.factories import make_user, token_headers

TABLES = ("institute_closure",)
ON_POSTGRESQL = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


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
    memo.remembered(session, "test.ttl", (), read, ttl_s=0)
    memo.remembered(session, "test.ttl", (), read, ttl_s=0)
    memo.remembered(session, "test.age", TABLES, read, max_age_s=0)
    memo.remembered(session, "test.age", TABLES, read, max_age_s=0)
    assert read.reads == 4


# --- another process's writes (PostgreSQL: triggers, NOTIFY and the listener) ----------------


def outside_write(engine: Engine, statement: str) -> None:
    """A write this process's SQLAlchemy never sees, as another worker, the CLI or psql makes it."""
    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def eventually(check: Callable[[], bool], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def announcements_heard(engine: Engine) -> None:
    """Every listener on this database (this test's, or an app's from an earlier test in this
    process) has heard the announcements of earlier writes, such as the fixtures' TRUNCATE: one of
    our own, sent last, has reached each of them (a connection hears them in commit order).
    Otherwise a late one drops a memo in the middle of a test."""
    ears = [e for e in list(memo._listening) if e.url.database == engine.url.database]
    heard: list[str] = []
    stamp = memo._stamp

    def counted(tables: set[str]) -> None:
        heard.extend(tables & {"fee_schedule"})
        stamp(tables)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(memo, "_stamp", counted)
        outside_write(engine, "DELETE FROM fee_schedule WHERE false")
        assert eventually(lambda: len(heard) >= len(ears)), "an announcement was not heard"


@pytest.fixture(autouse=True)
def _earlier_announcements_heard(request: pytest.FixtureRequest) -> None:
    if "engine" in request.fixturenames:
        engine = request.getfixturevalue("engine")
        if engine.dialect.name == "postgresql":
            announcements_heard(engine)


def listening(engine: Engine) -> None:
    """This engine's listener connected, and every announcement of earlier writes heard."""
    memo.listen(engine)
    assert eventually(lambda: engine in memo._listening), "the listener did not connect"
    announcements_heard(engine)


@ON_POSTGRESQL
def test_every_memoised_table_announces_its_writes(engine: Engine) -> None:
    conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as listener:
        listener.execute(f"LISTEN {memo.CHANNEL}")
        for table in sorted(memo.NOTIFIED_TABLES):
            outside_write(engine, f"DELETE FROM {table} WHERE false")
        heard = {note.payload for note in listener.notifies(timeout=5, stop_after=len(memo.NOTIFIED_TABLES))}
    assert heard == memo.NOTIFIED_TABLES


@ON_POSTGRESQL
def test_another_process_write_reaches_a_long_kept_memo_at_once(session: Session, engine: Engine) -> None:
    listening(engine)
    read = Counted()
    # An hour's time limit: only the announcement can make this memo read again in the test's time.
    assert memo.remembered(session, "test.outside", TABLES, read, ttl_s=3600) == 0
    outside_write(engine, "INSERT INTO institute_closure (day, name) VALUES ('2031-05-05', '어린이날')")
    assert eventually(lambda: memo.remembered(session, "test.outside", TABLES, read, ttl_s=3600) == 1)
    reads = read.reads
    # Heard, read again, and then kept: no write since.
    assert memo.remembered(session, "test.outside", TABLES, read, ttl_s=3600) == 1
    assert read.reads == reads


@ON_POSTGRESQL
def test_a_user_disabled_by_another_worker_is_refused_at_once(
    client: TestClient, session: Session, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sign-out or a disablement on one web worker counts on the others (issue 10: revocation)."""
    monkeypatch.setattr(auth, "USER_TTL_S", 3600.0)  # without the announcement: an hour stale
    user = make_user(session)
    headers = token_headers(client, user)
    listening(engine)
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    outside_write(engine, f"UPDATE user_account SET active = false WHERE id = {user.id}")
    assert eventually(lambda: client.get("/api/v1/users/me", headers=headers).status_code == 401)


def test_a_closure_added_is_seen_by_the_next_booking_check(session: Session) -> None:
    day = date(2031, 5, 7)
    assert rules.holiday_name(session, day) is None
    session.add(Closure(day=day, name="시설 점검"))
    session.commit()
    assert rules.holiday_name(session, day) == "시설 점검"
    assert rules.closed_days(session, day, day) == {day: "시설 점검"}
