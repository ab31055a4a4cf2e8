"""The local durable spool: a message is acknowledged to the broker only once it is in here.

One SQLite file per gateway in the data directory. Rows are written in group commits (one fsync
for many messages) and marked written by the writer; written rows stay a few minutes so a
redelivered message (MQTT DUP flag) that was already spooled is recognised and not stored twice.

The writer stores and marks rows in id order, so "written" is one number (`spool_state`), not a
flag per row: a row went into the table and, ten minutes later, out of it by a range of ids, with
no index to keep. A flag and two partial indexes on it cost each message an index insert, a row
update, an index move and an index delete: 4.2 µs of CPU a message against 2.4 (measured on this
table's own statements), a tenth of the gateway's CPU while it drains a backlog.

SQLite's automatic checkpoint runs inside the commit that crosses its threshold: every few seconds
under load one group commit (and with it a group's acknowledgements and the writer's next batch)
waited ~160 ms for the database file's fsync. Checkpoints run on their own connection and thread
instead, which SQLite's WAL mode lets proceed beside the commits.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import NamedTuple, cast

# Written rows are kept this long to recognise redeliveries of messages already spooled.
KEEP_WRITTEN_S = 600
# Brokers redeliver unacknowledged messages right after the reconnect; this is generous.
REDELIVERY_WINDOW_S = 30.0
# Pending messages also held in memory for the writer (Spool._tail); past this (a store outage)
# the writer reads them from the file instead, until it has caught up.
TAIL_MAX = 50_000
# How often the checkpoint thread copies the WAL into the database file (the WAL restarts from
# its start after each complete one, so it stays a few seconds of traffic long).
CHECKPOINT_EVERY_S = 1.0

log = logging.getLogger(__name__)


# Tuples, not dataclasses: one of each is made per message, and a NamedTuple is built in a
# fraction of a frozen dataclass's time.
class Incoming(NamedTuple):
    topic: str
    payload: bytes
    received_us: int
    mid: int
    dup: bool
    # The connection it arrived on (Spool.connection_started), persisted across restarts.
    conn: int = 0


class Spooled(NamedTuple):
    id: int
    topic: str
    payload: bytes
    received_us: int


SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    received_us INTEGER NOT NULL,
    mid INTEGER NOT NULL,
    acked INTEGER NOT NULL DEFAULT 0,
    -- Read once, by a spool from before spool_state, for its written_through; never set since.
    written INTEGER NOT NULL DEFAULT 0,
    conn INTEGER NOT NULL DEFAULT 0
);
-- Every index of earlier builds: redeliveries are recognised in memory (Spool._candidates), and
-- the pending rows, the written ones and the expired ones are ranges of ids.
DROP INDEX IF EXISTS ix_message_pending;
DROP INDEX IF EXISTS ix_message_written_received;
DROP INDEX IF EXISTS ix_message_mid;
DROP INDEX IF EXISTS ix_message_unwritten;
DROP INDEX IF EXISTS ix_message_expiry;
-- One row. unacked_from: no row below it waits unacknowledged (see Spool._floor), so a reconnect
-- reads the rows the broker may redeliver from there, not from the first row kept.
-- written_through: every row up to it is in the store (the writer marks batches in id order).
CREATE TABLE IF NOT EXISTS spool_state (unacked_from INTEGER NOT NULL, written_through INTEGER NOT NULL);
"""

# Written rows past the keep window, deleted a bounded number at a time (EXPIRE_AT_LEAST, or twice
# the batch marked written, whichever is more): a steady rate is kept up with, and a drained
# backlog's rows expire over the next minute of batches. One DELETE of a backlog of 1.8 million
# rows, ten minutes after the drain, held the spool's lock (and every acknowledgement) for a
# fraction of a second.
EXPIRE_AT_LEAST = 1000
# Batches marked written within this long of each other share one entry of Spool._expiry.
EXPIRY_BUCKET_US = 1_000_000
# The floor is stored once it has moved this many rows (a row of its own in every group commit
# cost a page in the WAL each time): a reconnect after a crash reads at most this many more rows.
FLOOR_STEP = 20_000
# Rows per INSERT statement: one statement of many rows costs half of executemany's per row (each
# of its rows is a statement run of its own); 166 rows bind 996 values, inside the 999 that SQLite
# allowed before 3.32.
INSERT_ROWS = 166


@functools.cache
def _insert_sql(rows: int) -> str:
    return "INSERT INTO message (id, topic, payload, received_us, mid, conn) VALUES " + ",".join(
        ["(?,?,?,?,?,?)"] * rows
    )


@dataclass(frozen=True)
class _Candidate:
    """A row spooled on an earlier connection and never acknowledged: it may come again."""

    id: int
    topic: str
    payload: bytes
    conn: int


def _now_us() -> int:
    return time.time_ns() // 1000


def _runs(ids: Sequence[int]) -> list[tuple[int, int]]:
    """Ascending ids as (first, last) runs of consecutive ones: a group's acks are one run."""
    runs: list[tuple[int, int]] = []
    for row_id in sorted(ids):
        if runs and row_id == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row_id)
        else:
            runs.append((row_id, row_id))
    return runs


def _checkpoint_loop(path: Path, stop: threading.Event, lock: threading.Lock) -> None:
    """Copy the WAL into the file in two PASSIVE checkpoints: the bulk beside the spool's commits,
    then, holding the spool's lock, the few frames committed meanwhile.

    Why the second: the WAL starts over from its beginning only at a write that finds every frame
    copied. Beside a steady stream of group commits the first checkpoint never catches up with
    the last one, so the WAL grew for as long as the gateway ran (620 MB in 4 minutes at 3,000
    readings/s) and its disk came back only at close. The second copies a few milliseconds of
    traffic while no commit can start."""
    while not stop.wait(CHECKPOINT_EVERY_S):
        try:
            db = sqlite3.connect(str(path), isolation_level=None)
            try:
                db.execute("PRAGMA synchronous=FULL")  # the file is fsynced before the WAL restarts
                db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                with lock:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                db.close()
        except sqlite3.Error as error:  # busy or the file gone: the next round tries again
            log.debug("spool checkpoint skipped: %s", error)
            if not path.exists():
                return


class Spool:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed message survives power loss, not only a crash of this process.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA wal_autocheckpoint=0")  # see the module docstring
        self._db.executescript(SCHEMA)
        state = self._db.execute("SELECT unacked_from, written_through FROM spool_state").fetchone()
        if state is None:  # a new spool, or one from before spool_state: its flags, read once
            first_unwritten, last = self._db.execute(
                "SELECT min(CASE WHEN written = 0 THEN id END), coalesce(max(id), 0) FROM message"
            ).fetchone()
            state = (0, last if first_unwritten is None else first_unwritten - 1)
            self._db.execute("INSERT INTO spool_state VALUES (?, ?)", state)
        self._written_through = int(state[1])
        self._pending_bytes, self._pending_count = self._db.execute(
            "SELECT coalesce(sum(length(payload)), 0), count(*) FROM message WHERE id > ?", (self._written_through,)
        ).fetchone()
        # (last row id, latest receive time, earliest) of the batches marked written and not yet
        # expired, a second's batches to an entry; rows written before this process started are
        # kept a whole window from now.
        self._expired_through = int(self._db.execute("SELECT coalesce(min(id), 1) - 1 FROM message").fetchone()[0])
        self._expiry: deque[tuple[int, int, int]] = deque()
        if self._written_through > self._expired_through:
            now = _now_us()
            self._expiry.append((self._written_through, now, now))
        self._acked_ids: list[int] = []
        # Every row that may still be unacknowledged in the file is this connection's (in
        # _unacked) or an earlier one's (in _candidates, after connection_started), and none
        # is below _floor, which group commits store. A reconnect read every row kept for the
        # redelivery window (1.7 million after a drained backlog) and the end of the window
        # updated them all, holding the lock acknowledgements wait for 170-320 ms.
        self._floor = self._stored_floor = int(state[0])
        self._unacked: set[int] = set()
        self._unacked_order: deque[int] = deque()  # the same ids, ascending (some acked since)
        self.duplicates = 0
        # After a (re)connect the broker first redelivers what we never acknowledged - with or
        # without the DUP flag - so for a while an incoming message is checked against the rows
        # spooled before this connection and still unacknowledged. Those rows (at most a few
        # inflight windows) are held in memory by packet id: no query per incoming message.
        self._resume_until = 0.0
        self._conn = int(self._db.execute("SELECT coalesce(max(conn), 0) FROM message").fetchone()[0])
        self._stale = True
        self._candidates: dict[int, list[_Candidate]] = {}
        # The pending rows as committed, so the writer need not read back what was just written:
        # valid once a read from the file found every pending row past the writer's position,
        # then extended by each commit; dropped (and the file read again) if it grows too long.
        self._tail: deque[Spooled] = deque()
        self._tail_valid = False
        self._closed = threading.Event()
        self._checkpointer = threading.Thread(
            target=_checkpoint_loop, args=(path, self._closed, self._lock), name="gateway-spool-checkpoint", daemon=True
        )
        self._checkpointer.start()

    @property
    def pending_bytes(self) -> int:
        return int(self._pending_bytes)

    def pending_count(self) -> int:
        return int(self._pending_count)

    def connection_started(self) -> int:
        """A new connection: its number, and a redelivery window over earlier connections' rows."""
        with self._lock:
            self._conn += 1
            self._resume_until = time.monotonic() + REDELIVERY_WINDOW_S
            self._stale = True
            acked = set(self._acked_ids)
            self._candidates = {}
            self._unacked, self._unacked_order = set(), deque()  # from now on candidates, read back below
            rows = self._db.execute(
                "SELECT id, mid, topic, payload, conn FROM message"
                " WHERE id >= ? AND acked = 0 AND conn < ? ORDER BY id",
                (self._floor, self._conn),
            )
            for row_id, mid, topic, payload, conn in rows:
                if row_id not in acked:
                    self._candidates.setdefault(mid, []).append(_Candidate(row_id, topic, bytes(payload), conn))
            return self._conn

    def note_acked(self, ids: Sequence[int]) -> None:
        """These rows were acknowledged to the broker, or need no acknowledgement (QoS 0): the
        broker will not send them again. Recorded with the next group commit."""
        with self._lock:
            self._acked_ids.extend(ids)
            if self._candidates:  # acknowledged late, just after a reconnect: not redelivered
                gone = set(ids)
                for mid, rows in list(self._candidates.items()):
                    self._candidates[mid] = [r for r in rows if r.id not in gone]

    def append(self, messages: Sequence[Incoming]) -> list[int | None]:
        """Commit the messages durably; returns each one's row id (None: already spooled)."""
        with self._lock:
            cursor = self._db.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            acked, stored = self._acked_ids, self._stored_floor
            try:
                if acked:
                    cursor.executemany("UPDATE message SET acked = 1 WHERE id BETWEEN ? AND ?", _runs(acked))
                checking = time.monotonic() < self._resume_until
                if not checking and self._stale:
                    # The window is over: rows left unacknowledged will not come back.
                    swept = [row.id for rows in self._candidates.values() for row in rows]
                    cursor.executemany("UPDATE message SET acked = 1 WHERE id BETWEEN ? AND ?", _runs(swept))
                    self._stale = False
                    self._candidates = {}
                # Nothing spooled before this connection waits unacknowledged: nothing to check.
                if checking and (self._candidates or any(m.conn < self._conn for m in messages)):
                    ids = self._append_checking(cursor, messages)
                else:
                    ids = self._insert(cursor, messages)
                # The floor as of the last commit: never above the true one, as this commit's
                # rows come after every row before it.
                if self._floor - stored >= FLOOR_STEP:
                    cursor.execute("UPDATE spool_state SET unacked_from = ?", (self._floor,))
                    stored = self._floor
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            self._acked_ids = []
            self._stored_floor = stored
            self._note_unacked(messages, ids, acked)
            self.duplicates += ids.count(None)
            if self._tail_valid:
                self._extend_tail(messages, ids)
        return ids

    def append_local(self, topic: str, payload: bytes) -> int:
        """Commit a message the gateway made itself (a plant poll): there is no broker to
        acknowledge it to and no redelivery to recognise, so it is stored as acknowledged."""
        message = Incoming(topic, payload, time.time_ns() // 1000, 0, False, self._conn)
        with self._lock:
            cursor = self._db.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                (row_id,) = self._insert(cursor, [message])
                cursor.execute("UPDATE message SET acked = 1 WHERE id = ?", (row_id,))
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            if self._tail_valid:
                self._extend_tail([message], [row_id])
        assert row_id is not None
        return row_id

    def _note_unacked(self, messages: Sequence[Incoming], ids: Sequence[int | None], acked: Sequence[int]) -> None:
        """After a commit: this connection's new rows wait for their acknowledgement (an earlier
        connection's are candidates, or past the redelivery window and never acked here), and
        the floor moves up to the lowest row still waiting."""
        unacked, order = self._unacked, self._unacked_order
        unacked.difference_update(acked)
        current = self._conn
        fresh: Sequence[int]
        if messages and messages[0].conn == messages[-1].conn == current and None not in ids:  # the usual group
            fresh = cast(Sequence[int], ids)
        else:
            fresh = [i for m, i in zip(messages, ids, strict=True) if i is not None and m.conn == current]
        unacked.update(fresh)
        order.extend(fresh)  # ids only grow, so `order` stays sorted
        while order and order[0] not in unacked:
            order.popleft()
        last = next((i for i in reversed(ids) if i is not None), 0)  # ids ascend
        past_all = max(self._floor, last + 1, max(acked, default=0) + 1)
        candidates = (row.id for rows in self._candidates.values() for row in rows)
        self._floor = min(order[0] if order else past_all, min(candidates, default=past_all))

    def _extend_tail(self, messages: Sequence[Incoming], ids: Sequence[int | None]) -> None:
        if len(self._tail) + len(messages) > TAIL_MAX:
            self._tail.clear()
            self._tail_valid = False
            return
        self._tail.extend(
            [Spooled(row_id, m[0], m[1], m[2]) for m, row_id in zip(messages, ids, strict=True) if row_id is not None]
        )

    def _insert(self, cursor: sqlite3.Cursor, messages: Sequence[Incoming]) -> list[int | None]:
        """Multi-row statements for the group, with the ids AUTOINCREMENT would give them."""
        first = self._next_id(cursor)
        for start in range(0, len(messages), INSERT_ROWS):
            rows = messages[start : start + INSERT_ROWS]
            values: list[object] = []
            row_id = first + start
            for topic, payload, received_us, mid, _dup, conn in rows:
                values += (row_id, topic, payload, received_us, mid, conn)
                row_id += 1
            cursor.execute(_insert_sql(len(rows)), values)
        self._pending_count += len(messages)
        self._pending_bytes += sum(len(m.payload) for m in messages)
        return list(range(first, first + len(messages)))

    def _next_id(self, cursor: sqlite3.Cursor) -> int:
        row = cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = 'message'").fetchone()
        return int(row[0]) + 1 if row else 1

    def _append_checking(self, cursor: sqlite3.Cursor, messages: Sequence[Incoming]) -> list[int | None]:
        ids: list[int | None] = []
        fresh: list[Incoming] = []
        next_id = self._next_id(cursor)
        for message in messages:
            if self._already_spooled(cursor, message):
                ids.append(None)
                continue
            ids.append(next_id)
            fresh.append(message)
            if message.conn < self._conn:  # of an earlier connection, so never acknowledged
                self._candidates.setdefault(message.mid, []).append(
                    _Candidate(next_id, message.topic, message.payload, message.conn)
                )
            next_id += 1
        self._insert(cursor, fresh)
        return ids

    def _already_spooled(self, cursor: sqlite3.Cursor, message: Incoming) -> bool:
        # Only a message never acknowledged can be redelivered, and only one from before this
        # connection; a redelivery keeps its packet id, topic and payload.
        rows = self._candidates.get(message.mid)
        if not rows:
            return False
        for index in range(len(rows) - 1, -1, -1):  # the newest such row first
            row = rows[index]
            if row.conn < message.conn and row.topic == message.topic and row.payload == message.payload:
                # A packet id is redelivered once: mark the row so a later reuse is not mistaken for it.
                cursor.execute("UPDATE message SET acked = 1 WHERE id = ?", (row.id,))
                del rows[index]
                return True
        return False

    def take(self, limit: int, after: int = 0) -> list[Spooled]:
        """The oldest messages not yet written to the store (past row `after`: the writer's
        batches still on their way to being marked written are not taken twice)."""
        with self._lock:
            tail = self._tail
            if self._tail_valid:
                while tail and tail[0].id <= after:
                    tail.popleft()
                return list(islice(tail, limit))
            rows = self._db.execute(
                "SELECT id, topic, payload, received_us FROM message WHERE id > ? ORDER BY id LIMIT ?",
                (max(after, self._written_through), limit),
            ).fetchall()
            taken = [Spooled(r[0], r[1], bytes(r[2]), r[3]) for r in rows]
            if len(taken) < limit:  # every pending row past `after`: from now on the tail has them
                tail.clear()
                tail.extend(taken)
                self._tail_valid = True
        return taken

    def mark_written(self, batch: Sequence[Spooled]) -> None:
        """The batch is in the store: the writer's batches come in id order, so every row up to
        its last is. Rows past the keep window are deleted, a bounded number at a time."""
        if not batch:
            return
        with self._lock:
            last = max(batch[-1].id, self._written_through)
            # The writer never hands over written rows again; the counts stay right if it did.
            fresh = batch if batch[0].id > self._written_through else [m for m in batch if m.id > self._written_through]
            expiry = self._expiry.copy()
            received = max(m.received_us for m in batch)
            if expiry and received - expiry[-1][2] < EXPIRY_BUCKET_US:
                expiry[-1] = (last, max(received, expiry[-1][1]), expiry[-1][2])
            else:
                expiry.append((last, received, received))
            expire_to = self._expire_to(expiry, max(EXPIRE_AT_LEAST, 2 * len(batch)))
            # No fsync for this commit: lost in a power cut, it only means the batch is written
            # to the store again, where the same points overwrite themselves. The next group
            # commit's fsync of the WAL makes it durable anyway. It also holds the lock the
            # acknowledgements wait for a shorter time.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if last > self._written_through:
                    self._db.execute("UPDATE spool_state SET written_through = ?", (last,))
                if expire_to > self._expired_through:
                    self._db.execute("DELETE FROM message WHERE id > ? AND id <= ?", (self._expired_through, expire_to))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            finally:
                self._db.execute("PRAGMA synchronous=FULL")
            self._written_through = max(self._written_through, last)
            self._expiry, self._expired_through = expiry, max(self._expired_through, expire_to)
            self._pending_bytes = max(0, self._pending_bytes - sum(len(m.payload) for m in fresh))
            self._pending_count = max(0, self._pending_count - len(fresh))
            while self._tail and self._tail[0].id <= last:
                self._tail.popleft()

    def _expire_to(self, expiry: deque[tuple[int, int, int]], limit: int) -> int:
        """The last row id to delete now (at most `limit` rows on), popping the entries of
        `expiry` that end up wholly deleted."""
        cutoff = _now_us() - KEEP_WRITTEN_S * 1_000_000
        end, bound = self._expired_through, self._expired_through + limit
        while expiry and expiry[0][1] < cutoff:
            if expiry[0][0] > bound:
                return bound
            end = expiry.popleft()[0]
        return end

    def close(self) -> None:
        self._closed.set()
        self._checkpointer.join(timeout=5)
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.close()
