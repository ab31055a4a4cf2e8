"""The spool: durable group commits, redeliveries recognised, draining in order."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.spool import Incoming, Spool


def incoming(mid: int, payload: bytes, *, conn: int = 1, us: int = 1, dup: bool = False) -> Incoming:
    return Incoming("facility/edu/E-101/d/co2", payload, us, mid, dup, conn)


def test_redelivery_of_an_unacknowledged_message_is_not_spooled_twice(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite")
    conn = spool.connection_started()
    spool.append([incoming(1, b"500", conn=conn), incoming(2, b"501", conn=conn)])
    spool.close()  # killed before the acknowledgements went out
    spool = Spool(tmp_path / "s.sqlite")
    conn = spool.connection_started()
    # Redelivered with its packet id - with or without the DUP flag, brokers differ.
    ids = spool.append(
        [incoming(1, b"500", conn=conn), incoming(2, b"501", conn=conn, dup=True), incoming(3, b"502", conn=conn)]
    )
    assert ids[:2] == [None, None] and ids[2] is not None
    assert [m.payload for m in spool.take(10)] == [b"500", b"501", b"502"]
    assert spool.duplicates == 2


def test_acknowledged_packet_ids_are_reused_safely(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite")
    conn = spool.connection_started()
    (first,) = spool.append([incoming(7, b"500", conn=conn)])
    assert first is not None
    spool.note_acked([first])
    spool.append([incoming(8, b"600", conn=conn)])  # records the acknowledgement of the first
    conn = spool.connection_started()
    # The broker may reuse packet id 7 for a new message with the same payload: it is new.
    assert spool.append([incoming(7, b"500", conn=conn)]) != [None]
    assert len(spool.take(10)) == 3


def test_messages_of_the_current_connection_are_never_taken_for_redeliveries(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite")
    conn = spool.connection_started()
    spool.append([incoming(5, b"500", conn=conn)])
    assert spool.append([incoming(5, b"500", conn=conn)]) != [None]


def test_written_batches_leave_the_pending_set(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite")
    spool.append([incoming(i, str(i).encode(), us=i) for i in range(1, 6)])
    assert spool.pending_bytes == 5
    batch = spool.take(3)
    spool.mark_written(batch)
    assert [m.payload for m in spool.take(10)] == [b"4", b"5"]
    assert spool.pending_count() == 2 and spool.pending_bytes == 2


def test_a_poison_message_is_isolated_and_dead_lettered(tmp_path: Path, database_urls: dict[str, str]) -> None:
    """A message the store refuses for reasons of its own must not block every later one."""
    from sqlmodel import Session, select

    from facility.core.db import get_engine
    from facility.sensors.ingest import Ingest
    from facility.sensors.models import DeadLetter
    from facility.sensors.store.sql import SqlStore
    from gateway import writer as writer_module
    from gateway.writer import SpoolWriter
    from tests.conftest import clean_database
    from tests.sensors.mqtt_helpers import wait_until

    engine = get_engine(database_urls["postgresql"])
    clean_database(engine)
    spool = Spool(tmp_path / "s.sqlite")

    class ChokingStore(SqlStore):
        def write(self, readings):  # type: ignore[no-untyped-def]
            if any(r.value == 999 for r in readings):
                raise RuntimeError("database says no")
            super().write(readings)

    writer_module.RETRY_MIN_S = 0.01
    try:
        spool.append(
            [
                Incoming("facility/edu/E-1/d/co2", p, 10**15 + i, i, False)
                for i, p in enumerate([b"500", b"999", b"510"], start=1)
            ]
        )
        writer = SpoolWriter(spool, Ingest(ChokingStore(engine), engine, "gw-test"))
        writer.start()
        wait_until(lambda: spool.pending_count() == 0, timeout=20)
        writer.stop()
    finally:
        writer_module.RETRY_MIN_S = 0.5
    assert SqlStore(engine).count(["d"]) == 2
    with Session(engine) as session:
        (letter,) = session.exec(select(DeadLetter)).all()
    assert (letter.reason, letter.payload, letter.profile) == ("internal_error", "999", "facility")


def test_written_rows_expire_after_the_keep_window(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite")
    spool.append([Incoming("t", b"1", 1, 1, False)])  # received long ago
    spool.mark_written(spool.take(10))
    spool.append([Incoming("t", b"2", 2**62, 2, False)])
    spool.mark_written(spool.take(10))
    with sqlite3.connect(spool.path) as db:  # the old row expired, the recent one is kept
        assert db.execute("SELECT received_us FROM message").fetchall() == [(2**62,)]
    spool.close()
    reopened = Spool(tmp_path / "s.sqlite")  # what was written stays written
    assert reopened.pending_count() == 0 and reopened.take(10) == []
    reopened.close()


def _kept_then_marked(tmp_path: Path, kept: int) -> int:
    spool = Spool(tmp_path / f"k{kept}.sqlite")
    now = time.time_ns() // 1000
    for start in range(0, kept, 1000):
        spool.append([Incoming("t", b"1", now + i, i, False) for i in range(start, start + 1000)])
        spool.mark_written(spool.take(1000))
    spool.append([Incoming("t", b"2", now + kept + i, i, False) for i in range(100)])
    batch = spool.take(100)
    cost = _vm_steps(spool, lambda: spool.mark_written(batch))
    spool.close()
    return cost


def test_marking_a_batch_written_costs_the_same_whatever_is_kept(tmp_path: Path) -> None:
    """Per-batch cost must not grow with the history kept for redeliveries (a scan read every
    kept row: 60 ms a batch at 700,000 kept rows)."""
    small, large = _kept_then_marked(tmp_path, 1000), _kept_then_marked(tmp_path, 20_000)
    assert 0 < small and large <= small + 5, (small, large)


def test_a_backlog_of_expired_rows_is_deleted_a_bounded_number_per_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a drain, its rows expire over the following batches, not in one DELETE that holds the
    spool's lock (and every acknowledgement) for as long as it takes."""
    import gateway.spool as spool_module
    from gateway.spool import EXPIRE_AT_LEAST, KEEP_WRITTEN_S

    spool = Spool(tmp_path / "s.sqlite")
    now = time.time_ns() // 1000
    old = 2 * EXPIRE_AT_LEAST + 500
    spool.append([Incoming("t", b"1", now + i, i, False) for i in range(old)])  # a backlog, drained
    spool.mark_written(spool.take(old))
    later = now + (KEEP_WRITTEN_S + 60) * 1_000_000  # a minute past its keep window
    monkeypatch.setattr(spool_module, "_now_us", lambda: later)

    def kept() -> int:
        with sqlite3.connect(spool.path) as db:
            return int(db.execute("SELECT count(*) FROM message").fetchone()[0])

    assert kept() == old
    counts = []
    for n in range(4):
        spool.append([Incoming("t", b"2", later + n, n, False)])
        spool.mark_written(spool.take(10))
        counts.append(kept())
    spool.close()
    # Each small batch deletes EXPIRE_AT_LEAST expired rows at most, until none is left; the recent ones stay.
    assert counts == [old - EXPIRE_AT_LEAST + 1, old - 2 * EXPIRE_AT_LEAST + 2, 3, 4], counts


def test_a_spool_from_before_the_written_mark_keeps_its_pending_rows(tmp_path: Path) -> None:
    """A spool file of an earlier build flagged each row written: its unwritten rows are still
    taken, in order, and its written ones are not."""
    path = tmp_path / "s.sqlite"
    spool = Spool(path)
    spool.append([Incoming("t", str(i).encode(), time.time_ns() // 1000 + i, i, False) for i in range(1, 6)])
    spool.close()
    with sqlite3.connect(path) as db:  # as the earlier build left it: three written, two not
        db.execute("DROP TABLE spool_state")
        db.execute("UPDATE message SET written = 1 WHERE id <= 3")
    reopened = Spool(path)
    assert reopened.pending_count() == 2
    assert [m.payload for m in reopened.take(10)] == [b"4", b"5"]
    reopened.close()


def test_the_writer_reads_what_was_just_committed_from_memory_and_the_file_alike(tmp_path: Path) -> None:
    """The in-memory tail of pending rows gives exactly what the file holds, also after it overflowed."""
    from gateway import spool as spool_module

    spool = Spool(tmp_path / "s.sqlite")
    spool.append([incoming(i, str(i).encode(), us=i) for i in range(1, 4)])
    first = spool.take(10)  # read from the file, which has them all: the tail is valid from now on
    assert [m.payload for m in first] == [b"1", b"2", b"3"]
    spool.mark_written(first)
    spool.append([incoming(i, str(i).encode(), us=i) for i in range(4, 6)])
    second = spool.take(10, after=first[-1].id)
    assert [m.payload for m in second] == [b"4", b"5"]
    assert spool.take(10, after=first[-1].id) == second  # a retried batch is the same batch
    spool.mark_written(second)
    saved = spool_module.TAIL_MAX
    spool_module.TAIL_MAX = 3
    try:
        spool.append([incoming(i, str(i).encode(), us=i) for i in range(6, 10)])  # overflows: from the file
        third = spool.take(2, after=second[-1].id)
        assert [m.payload for m in third] == [b"6", b"7"]
        assert [m.payload for m in spool.take(10, after=third[-1].id)] == [b"8", b"9"]
    finally:
        spool_module.TAIL_MAX = saved
    assert spool.pending_count() == 4
    spool.close()


def test_the_recorder_takes_the_batches_stored_while_it_waited_as_one_transaction(
    tmp_path: Path, database_urls: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load the registry and alert work runs over many store batches at once, and still
    sees every reading, in order, before any of them is marked written."""
    from sqlmodel import Session, select

    from facility.core.db import get_engine
    from facility.sensors.ingest import Batch, Ingest
    from facility.sensors.models import Device
    from facility.sensors.store.sql import SqlStore
    from gateway import writer as writer_module
    from gateway.writer import SpoolWriter
    from tests.conftest import clean_database
    from tests.sensors.mqtt_helpers import wait_until

    engine = get_engine(database_urls["sqlite"])
    clean_database(engine)
    monkeypatch.setattr(writer_module, "BATCH_SIZE", 10)
    monkeypatch.setattr(writer_module, "RECORD_EVERY_S", 60.0)  # the merge ends at RECORD_MAX
    monkeypatch.setattr(writer_module, "RECORD_MAX", 90)
    recorded: list[list[float]] = []
    stores = 0
    spool = Spool(tmp_path / "s.sqlite")

    class Counting(Ingest):
        def store_batch(self, messages):  # type: ignore[no-untyped-def]
            nonlocal stores
            stores += 1
            return super().store_batch(messages)

        def record(self, batch: Batch) -> None:
            assert spool.pending_count() >= len(batch.readings)  # none of them marked written yet
            recorded.append([r.value for r in batch.readings])
            super().record(batch)

    readings = [
        Incoming(f"facility/edu/E-{i % 5}/d-{i % 5}/co2", str(400 + i).encode(), 10**15 + i, i, False)
        for i in range(1, 101)
    ]
    spool.append(readings[:10])
    writer = SpoolWriter(spool, Counting(SqlStore(engine), engine, "gw-test"))
    writer.start()
    wait_until(lambda: len(recorded) == 1)  # the first batch of a quiet spool: recorded at once
    spool.append(readings[10:])
    writer.wake()
    wait_until(lambda: spool.pending_count() == 0, timeout=20)
    writer.stop()
    assert stores == 10 and len(recorded) == 2  # nine store batches, one recorder run
    assert [v for run in recorded for v in run] == [float(400 + i) for i in range(1, 101)]
    with Session(engine) as session:
        assert sorted(d.code for d in session.exec(select(Device)).all()) == [f"d-{i}" for i in range(5)]
    assert SqlStore(engine).count([f"d-{i}" for i in range(5)]) == 100


def test_checkpoints_run_beside_the_commits_not_inside_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No commit runs SQLite's automatic checkpoint (an fsync of the file, ~160 ms under load);
    the checkpoint thread copies the WAL into the file, and close leaves no WAL behind."""
    import sqlite3

    from gateway import spool as spool_module
    from tests.sensors.mqtt_helpers import wait_until

    monkeypatch.setattr(spool_module, "CHECKPOINT_EVERY_S", 0.05)
    path = tmp_path / "s.sqlite"
    spool = Spool(path)
    assert spool._db.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    empty = path.stat().st_size
    for group in range(20):
        spool.append([incoming(group * 100 + i, b"x" * 200, us=i) for i in range(100)])
    wait_until(lambda: path.stat().st_size > empty + 400_000)  # the rows reached the file itself
    spool.close()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM message").fetchone() == (2000,)


def test_the_wal_starts_over_under_a_steady_stream_of_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checkpoints beside the commits never caught up with them, so the WAL (and every page
    lookup's cost) grew as long as the gateway ran; it must stay a few checkpoints long."""

    from gateway import spool as spool_module

    monkeypatch.setattr(spool_module, "CHECKPOINT_EVERY_S", 0.05)
    path = tmp_path / "s.sqlite"
    wal = path.with_name(path.name + "-wal")
    spool = Spool(path)
    appended, largest, mid = 0, 0, 0
    # Enough traffic that an unbounded WAL would show (80 MB: it stayed at 6-15 MB, an unbounded
    # one holds every page written): a volume, not a duration, so a loaded machine runs longer
    # instead of testing less. What a bounded WAL reaches is what is appended between two
    # checkpoints, so it grows with the spool's speed: 40 MB with multi-row inserts left too
    # little margin (10-15 MB against a limit of 10).
    while appended < 80_000_000:
        spool.append([incoming(mid + i, b"x" * 500, us=mid + i) for i in range(50)])
        mid += 50
        appended += 50 * 500
        largest = max(largest, wal.stat().st_size)
    spool.close()
    assert largest < appended / 4, (largest, appended)


def _vm_steps(spool: Spool, step: Callable[[], object]) -> int:
    """SQLite virtual-machine instructions (in tens) `step` runs on the spool's connection:
    a count of the rows it visits that a busy machine does not change."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    spool._db.set_progress_handler(count, 10)
    try:
        step()
    finally:
        spool._db.set_progress_handler(None, 10)
    return steps


def _reconnect_cost(tmp_path: Path, history: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[int]]:
    """A gateway killed with two messages unacknowledged after `history` acknowledged ones:
    the cost of its reconnect and of the end of the redelivery window, and what is left unacked."""
    import gateway.spool as spool_module

    monkeypatch.setattr(spool_module, "FLOOR_STEP", 500)  # stored every 500 rows, so crashes are comparable
    path = tmp_path / f"s{history}.sqlite"
    spool = Spool(path)
    conn = spool.connection_started()
    now = time.time_ns() // 1000  # kept for the redelivery window, not expired
    for start in range(0, history, 500):
        ids = spool.append([incoming(1 + i % 60000, b"1", conn=conn, us=now + i) for i in range(start, start + 500)])
        spool.note_acked([i for i in ids if i is not None])
        spool.mark_written(spool.take(500))
    spool.append([incoming(1, b"late", conn=conn), incoming(2, b"later", conn=conn)])  # killed before acking
    reopened = Spool(path)  # no close: a crash
    monkeypatch.setattr(spool_module, "REDELIVERY_WINDOW_S", 0.0)
    cost = _vm_steps(reopened, reopened.connection_started)
    cost += _vm_steps(reopened, lambda: reopened.append([incoming(9, b"new", conn=reopened._conn)]))
    unacked = [r[0] for r in reopened._db.execute("SELECT id FROM message WHERE acked = 0 ORDER BY id")]
    reopened.close()
    spool.close()
    return cost, unacked


def test_a_reconnect_reads_only_the_rows_that_may_come_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reconnect's read of unacknowledged rows and the update at the end of the redelivery
    window cost the same beside 1,000 or 20,000 rows kept: they read every row kept before
    (1.7 million after a drained backlog: 170-320 ms holding the lock acknowledgements wait for)."""
    small, small_left = _reconnect_cost(tmp_path, 1000, monkeypatch)
    large, large_left = _reconnect_cost(tmp_path, 20_000, monkeypatch)
    # The two rows killed unacknowledged were read as candidates and swept when the window ended;
    # only the new message, not yet acknowledged, is left.
    assert len(small_left) == len(large_left) == 1
    assert 0 < small and large <= small + 50, (small, large)


def test_rows_unacknowledged_on_an_earlier_connection_stay_above_the_floor(tmp_path: Path) -> None:
    """However acknowledgements and reconnects interleave, a row the broker may send again is
    read back after a restart: the stored floor never passes it."""
    path = tmp_path / "s.sqlite"
    spool = Spool(path)
    conn = spool.connection_started()
    a, b = spool.append([incoming(1, b"a", conn=conn), incoming(2, b"b", conn=conn)])
    assert a is not None and b is not None
    spool.note_acked([b])  # the second acked, the first not (yet)
    spool.append([incoming(3, b"c", conn=conn)])
    conn = spool.connection_started()  # a reconnect: the first and the third may come again
    spool.append([incoming(4, b"d", conn=conn)])
    spool.note_acked([a])  # acknowledged late: the broker will not redeliver it
    spool.append([incoming(5, b"e", conn=conn)])
    restarted = Spool(path)  # killed: the next process reads the rows from the stored floor
    restarted.connection_started()
    candidates = sorted((mid, row.payload) for mid, rows in restarted._candidates.items() for row in rows)
    assert candidates == [(3, b"c"), (4, b"d"), (5, b"e")]
    # Redelivered, each is recognised once.
    assert restarted.append([incoming(3, b"c", conn=restarted._conn), incoming(5, b"e", conn=restarted._conn)]) == [
        None,
        None,
    ]
    restarted.close()
    spool.close()
