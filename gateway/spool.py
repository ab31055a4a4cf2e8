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


@dataclass(frozen=True)
class Incoming:
    topic: str
    payload: bytes
    received_us: int
    mid: int
    dup: bool


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
    written INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS ix_message_pending ON message (written, id);
CREATE INDEX IF NOT EXISTS ix_message_mid ON message (mid, acked);
"""


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
        self._unacked_ids: list[int] = []
        self.duplicates = 0

    @property
    def pending_bytes(self) -> int:
        return int(self._pending_bytes)

    def pending_count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM message WHERE written = 0").fetchone()[0])

    def append(self, messages: Sequence[Incoming]) -> list[Incoming]:
        """Commit the messages durably; returns the ones to acknowledge (duplicates included)."""
        with self._lock:
            cursor = self._db.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                if self._unacked_ids:
                    # The previous group was acknowledged after its commit; record that now.
                    cursor.execute(
                        "UPDATE message SET acked = 1 WHERE id BETWEEN ? AND ?",
                        (self._unacked_ids[0], self._unacked_ids[-1]),
                    )
                fresh = [m for m in messages if not (m.dup and self._already_spooled(cursor, m))]
                row = cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = 'message'").fetchone()
                first = int(row[0]) if row else 0
                cursor.executemany(
                    "INSERT INTO message (topic, payload, received_us, mid) VALUES (?, ?, ?, ?)",
                    [(m.topic, m.payload, m.received_us, m.mid) for m in fresh],
                )
                ids = list(range(first + 1, first + 1 + len(fresh)))
                self._pending_bytes += sum(len(m.payload) for m in fresh)
                self.duplicates += len(messages) - len(fresh)
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            self._unacked_ids = ids
        return list(messages)

    @staticmethod
    def _already_spooled(cursor: sqlite3.Cursor, message: Incoming) -> bool:
        # Only a message never acknowledged can be redelivered, so look among unacked rows.
        row = cursor.execute(
            "SELECT topic, payload FROM message WHERE mid = ? AND acked = 0 ORDER BY id DESC LIMIT 1",
            (message.mid,),
        ).fetchone()
        return row is not None and row[0] == message.topic and bytes(row[1]) == message.payload

    def take(self, limit: int) -> list[Spooled]:
        """The oldest messages not yet written to the store."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, topic, payload, received_us FROM message WHERE written = 0 "
                "ORDER BY id LIMIT ?",
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
            self._db.execute("DELETE FROM message WHERE written = 1 AND received_us < ?", (cutoff,))
            self._db.execute("COMMIT")
            self._pending_bytes = max(0, self._pending_bytes - sum(len(m.payload) for m in batch))

    def close(self) -> None:
        with self._lock:
            self._db.close()
