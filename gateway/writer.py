"""The writer drains the spool in batches into `facility.sensors.ingest`, retrying until it succeeds."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from facility.sensors.ingest import Ingest, Message
from facility.sensors.store import StoreUnavailable
from gateway import metrics
from gateway.spool import Spool, Spooled

log = logging.getLogger(__name__)

# Readings per store write at most: the writer takes whatever is spooled when it is free, so at
# low rates batches are small and flushed at once (no linger), and under load they grow to this,
# which amortises the HTTP round trip and the per-batch registry and alert work (one query per
# batch, not per reading) while one batch's alert evaluation stays well under a second.
BATCH_SIZE = 5000
# Retry back-off while the store (or the database) is down.
RETRY_MIN_S, RETRY_MAX_S = 0.5, 5.0
# Consecutive failures other than the store being down before the batch is split to find the
# one message at fault.
POISON_AFTER = 3
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _received_at(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def as_messages(batch: list[Spooled]) -> list[Message]:
    return [Message(m.topic, m.payload, _received_at(m.received_us)) for m in batch]


class SpoolWriter:
    def __init__(self, spool: Spool, ingest: Ingest) -> None:
        self.spool = spool
        self.ingest = ingest
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gateway-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, drain_timeout: float = 10.0) -> None:
        """Drain what is spooled (bounded by the timeout); the rest waits in the spool."""
        deadline = time.monotonic() + drain_timeout
        while self.spool.pending_count() and time.monotonic() < deadline and self._thread.is_alive():
            self._wake.set()
            time.sleep(0.05)
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=drain_timeout)

    def _run(self) -> None:
        delay = RETRY_MIN_S
        failures = 0
        while not self._stopping.is_set():
            batch = self.spool.take(BATCH_SIZE)
            metrics.SPOOL_MESSAGES.set(len(batch) if len(batch) < BATCH_SIZE else self.spool.pending_count())
            if not batch:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            try:
                if failures >= POISON_AFTER:
                    self.write_one_by_one(batch)
                else:
                    self.write_batch(batch)
            except Exception as error:  # noqa: BLE001 - keep the batch and retry it
                metrics.STORE_FAILURES.inc()
                # The store being down is worth waiting for; any other error may be one bad message.
                failures = 0 if isinstance(error, StoreUnavailable) else failures + 1
                log.warning(
                    "batch of %d not stored (%s); %d bytes spooled, retrying in %.1fs",
                    len(batch),
                    str(error)[:200],
                    self.spool.pending_bytes,
                    delay,
                )
                self._stopping.wait(delay)
                delay = min(RETRY_MAX_S, delay * 2)
                continue
            delay, failures = RETRY_MIN_S, 0
            self.spool.mark_written(batch)
            metrics.SPOOL_BYTES.set(self.spool.pending_bytes)

    def write_one_by_one(self, batch: list[Spooled]) -> None:
        """After repeated failures not caused by the store: isolate the message at fault, which
        becomes a dead letter instead of blocking every later reading."""
        for spooled in batch:
            try:
                self.write_batch([spooled])
            except StoreUnavailable:
                raise
            except Exception as error:  # noqa: BLE001 - this message is the poison
                (message,) = as_messages([spooled])
                self.ingest.dead_letter(message, error)
                metrics.DEAD_LETTERS.labels("internal_error").inc()
                log.error("message on %s could not be stored, dead-lettered: %r", message.topic[:100], error)

    def write_batch(self, batch: list[Spooled]) -> None:
        started = time.perf_counter()
        written = self.ingest.write(as_messages(batch))
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
        metrics.STORED.inc(len(written.readings))
        for letter in written.dead:
            metrics.DEAD_LETTERS.labels(letter.reason).inc()
            log.info("dead letter (%s) on %s: %r", letter.reason, letter.topic[:100], letter.payload[:80])
