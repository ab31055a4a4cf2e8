"""The spool: durable group commits, redeliveries recognised, draining in order."""

from __future__ import annotations

from pathlib import Path

from gateway.spool import Incoming, Spool


def incoming(mid: int, payload: bytes, *, dup: bool = False, us: int = 1) -> Incoming:
    return Incoming("facility/edu/E-101/d/co2", payload, us, mid, dup)


def test_redelivery_of_an_unacknowledged_message_is_not_spooled_twice(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite")
    spool.append([incoming(1, b"500"), incoming(2, b"501")])
    spool.close()  # killed before the acks were recorded
    spool = Spool(tmp_path / "s.sqlite")
    spool.append([incoming(1, b"500", dup=True), incoming(3, b"502")])
    assert [m.payload for m in spool.take(10)] == [b"500", b"501", b"502"]
    assert spool.duplicates == 1


def test_acknowledged_message_ids_are_reused_safely(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite")
    spool.append([incoming(7, b"500")])
    spool.append([incoming(8, b"600")])  # records the first group as acknowledged
    # The broker reuses packet id 7 for a new message with the same payload; one sent with DUP
    # (ours never acked, e.g. lost in a crash) must still be spooled, since 7 was acknowledged.
    spool.append([incoming(7, b"500", dup=True)])
    assert len(spool.take(10)) == 3


def test_written_batches_leave_the_pending_set(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.sqlite")
    spool.append([incoming(i, str(i).encode(), us=i) for i in range(1, 6)])
    assert spool.pending_bytes == 5
    batch = spool.take(3)
    spool.mark_written(batch)
    assert [m.payload for m in spool.take(10)] == [b"4", b"5"]
    assert spool.pending_count() == 2 and spool.pending_bytes == 2


def test_a_poison_message_is_isolated_and_dead_lettered(tmp_path: Path, database_urls: dict[str, str]) -> None:
    """A message the database refuses for reasons of its own must not block every later one."""
    from sqlmodel import Session, select

    from facility.core.db import get_engine
    from facility.sensors.models import DeadLetter
    from facility.sensors.store.sql import SqlStore
    from gateway import writer as writer_module
    from gateway.writer import SpoolWriter
    from tests.conftest import clean_database
    from tests.sensors.mqtt_helpers import wait_until

    engine = get_engine(database_urls["postgresql"])
    clean_database(engine)
    spool = Spool(tmp_path / "s.sqlite")
    original = writer_module.parse_batch

    def parse_and_choke(batch):  # type: ignore[no-untyped-def]
        if any(m.payload == b"poison" for m in batch):
            raise RuntimeError("database says no")
        return original(batch)

    writer_module.parse_batch = parse_and_choke
    writer_module.RETRY_MIN_S = 0.01
    try:
        spool.append([Incoming("facility/edu/E-1/d/co2", p, 10**15 + i, i, False)
                      for i, p in enumerate([b"500", b"poison", b"510"], start=1)])
        writer = SpoolWriter(spool, SqlStore(engine), engine, "gw-test")
        writer.start()
        wait_until(lambda: spool.pending_count() == 0, timeout=20)
        writer.stop()
    finally:
        writer_module.parse_batch = original
        writer_module.RETRY_MIN_S = 0.5
    assert SqlStore(engine).count(["d"]) == 2
    with Session(engine) as session:
        (letter,) = session.exec(select(DeadLetter)).all()
    assert (letter.reason, letter.payload) == ("internal_error", "poison")
