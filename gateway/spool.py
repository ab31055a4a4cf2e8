"""The local durable spool: a message is acknowledged to the broker only once it is in here.

One SQLite file per gateway in the data directory. Rows are written in group commits (one fsync
for many messages) and marked written by the writer; written rows stay a few minutes so a
redelivered message (MQTT DUP flag) that was already spooled is recognised and not stored twice.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# Written rows are kept this long to recognise redeliveries of messages already spooled.
KEEP_WRITTEN_S = 600
# Brokers redeliver unacknowledged messages right after the reconnect; this is generous.
REDELIVERY_WINDOW_S = 30.0


@dataclass(frozen=True)
class Incoming:
    topic: str
    payload: bytes
    received_us: int
    mid: int
    dup: bool
    # The connection it arrived on (Spool.connection_started), persisted across restarts.
    conn: int = 0


@dataclass(frozen=True)
class Spooled:
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
    written INTEGER NOT NULL DEFAULT 0,
    conn INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_message_pending ON message (written, id);
CREATE INDEX IF NOT EXISTS ix_message_mid ON message (mid, acked, conn);
-- mark_written deletes written rows past the keep window by this range, touching only the rows it
-- deletes: with (written, id) alone it read every kept row (60 ms a batch at 700k kept rows).
CREATE INDEX IF NOT EXISTS ix_message_written_received ON message (written, received_us);
"""

DELETE_EXPIRED = "DELETE FROM message WHERE written = 1 AND received_us < ?"


class Spool:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed message survives power loss, not only a crash of this process.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._pending_bytes = self._db.execute(
            "SELECT coalesce(sum(length(payload)), 0) FROM message WHERE written = 0"
        ).fetchone()[0]
        self._acked_ids: list[int] = []
        self.duplicates = 0
        # After a (re)connect the broker first redelivers what we never acknowledged - with or
        # without the DUP flag - so for a while an incoming message is checked against the rows
        # spooled before this connection and still unacknowledged.
        self._resume_until = 0.0
        self._conn = int(self._db.execute("SELECT coalesce(max(conn), 0) FROM message").fetchone()[0])
        self._stale = True

    @property
    def pending_bytes(self) -> int:
        return int(self._pending_bytes)

    def pending_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM message WHERE written = 0").fetchone()[0])

    def connection_started(self) -> int:
        """A new connection: its number, and a redelivery window over earlier connections' rows."""
        with self._lock:
            self._conn += 1
            self._resume_until = time.monotonic() + REDELIVERY_WINDOW_S
            self._stale = True
            return self._conn

    def note_acked(self, ids: Sequence[int]) -> None:
        """These rows were acknowledged to the broker; recorded with the next group commit."""
        with self._lock:
            self._acked_ids.extend(ids)

    def append(self, messages: Sequence[Incoming]) -> list[int | None]:
        """Commit the messages durably; returns each one's row id (None: already spooled)."""
        with self._lock:
            cursor = self._db.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                if self._acked_ids:
                    cursor.executemany("UPDATE message SET acked = 1 WHERE id = ?", [(i,) for i in self._acked_ids])
                checking = time.monotonic() < self._resume_until
                if not checking and self._stale:
                    # The window is over: rows left unacknowledged will not come back.
                    cursor.execute("UPDATE message SET acked = 1 WHERE acked = 0 AND conn < ?", (self._conn,))
                    self._stale = False
                ids: list[int | None] = []
                for message in messages:
                    if checking and self._already_spooled(cursor, message):
                        ids.append(None)
                        continue
                    cursor.execute(
                        "INSERT INTO message (topic, payload, received_us, mid, conn) VALUES (?, ?, ?, ?, ?)",
                        (message.topic, message.payload, message.received_us, message.mid, message.conn),
                    )
                    ids.append(int(cursor.lastrowid or 0))
                    self._pending_bytes += len(message.payload)
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            self._acked_ids = []
            self.duplicates += ids.count(None)
        return ids

    def _already_spooled(self, cursor: sqlite3.Cursor, message: Incoming) -> bool:
        # Only a message never acknowledged can be redelivered, and only one from before this
        # connection; a redelivery keeps its packet id, topic and payload.
        row = cursor.execute(
            "SELECT id FROM message WHERE mid = ? AND acked = 0 AND conn < ? AND topic = ? "
            "AND payload = ? ORDER BY id DESC LIMIT 1",
            (message.mid, message.conn, message.topic, message.payload),
        ).fetchone()
        if row is None:
            return False
        # A packet id is redelivered once: mark the row so a later reuse is not mistaken for it.
        cursor.execute("UPDATE message SET acked = 1 WHERE id = ?", (row[0],))
        return True

    def take(self, limit: int) -> list[Spooled]:
        """The oldest messages not yet written to the store."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, topic, payload, received_us FROM message WHERE written = 0 ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall()
        return [Spooled(r[0], r[1], bytes(r[2]), r[3]) for r in rows]

    def mark_written(self, batch: Sequence[Spooled]) -> None:
        if not batch:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "UPDATE message SET written = 1 WHERE written = 0 AND id BETWEEN ? AND ?",
                (batch[0].id, batch[-1].id),
            )
            cutoff = int(time.time() * 1_000_000) - KEEP_WRITTEN_S * 1_000_000
            self._db.execute(DELETE_EXPIRED, (cutoff,))
            self._db.execute("COMMIT")
            self._pending_bytes = max(0, self._pending_bytes - sum(len(m.payload) for m in batch))

    def close(self) -> None:
        with self._lock:
            self._db.close()
