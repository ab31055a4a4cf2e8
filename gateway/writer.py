"""The writer drains the spool into the reading store in batches, retrying until it succeeds."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from facility.core.db import session_scope
from facility.sensors import service
from facility.sensors.parsing import Reading, Rejection, StatusUpdate, parse_message
from facility.sensors.service import DeadLetterIn
from facility.sensors.store import ReadingStore, StoreUnavailable
from gateway import metrics
from gateway.spool import Spool, Spooled

log = logging.getLogger(__name__)

# Readings per store write: big enough to amortise the HTTP round trip, small enough that one
# batch's alert evaluation stays well under a second.
BATCH_SIZE = 2000
# Retry back-off while the store (or the database) is down.
RETRY_MIN_S, RETRY_MAX_S = 0.5, 5.0
# Consecutive failures other than the store being down before the batch is split to find the
# one message at fault.
POISON_AFTER = 3
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _received_at(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def parse_batch(
    batch: list[Spooled],
) -> tuple[list[Reading], list[StatusUpdate], list[DeadLetterIn]]:
    """Turn spooled messages into readings, statuses and dead letters; never raises."""
    readings: list[Reading] = []
    statuses: list[StatusUpdate] = []
    dead: list[DeadLetterIn] = []
    for message in batch:
        received = _received_at(message.received_us)
        try:
            parsed = parse_message(message.topic, message.payload, received)
        except Rejection as rejection:
            dead.append(DeadLetterIn(message.topic, message.payload, rejection.reason, rejection.detail, received))
            continue
        except Exception as error:  # noqa: BLE001 - one bad message never stops the gateway
            dead.append(DeadLetterIn(message.topic, message.payload, "internal_error", repr(error)[:200], received))
            continue
        readings.extend(parsed.readings)
        if parsed.status is not None:
            statuses.append(parsed.status)
        for partial in parsed.rejections:
            dead.append(DeadLetterIn(message.topic, message.payload, partial.reason, partial.detail, received))
    return readings, statuses, dead


class SpoolWriter:
    def __init__(self, spool: Spool, store: ReadingStore, engine: Engine, gateway_id: str) -> None:
        self.spool = spool
        self.store = store
        self.engine = engine
        self.gateway_id = gateway_id
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
        for message in batch:
            try:
                self.write_batch([message])
            except StoreUnavailable:
                raise
            except Exception as error:  # noqa: BLE001 - this message is the poison
                letter = DeadLetterIn(
                    message.topic,
                    message.payload,
                    "internal_error",
                    repr(error)[:200],
                    _received_at(message.received_us),
                )
                with session_scope(self.engine) as session:
                    service.record_dead_letters(session, [letter], self.gateway_id)
                metrics.DEAD_LETTERS.labels("internal_error").inc()
                log.error("message on %s could not be stored, dead-lettered: %r", message.topic[:100], error)

    def write_batch(self, batch: list[Spooled]) -> None:
        readings, statuses, dead = parse_batch(batch)
        started = time.perf_counter()
        self.store.write(readings)
        with session_scope(self.engine) as session:
            service.record_batch(session, readings, statuses)
            service.record_dead_letters(session, dead, self.gateway_id)
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
        metrics.STORED.inc(len(readings))
        for letter in dead:
            metrics.DEAD_LETTERS.labels(letter.reason).inc()
            log.info("dead letter (%s) on %s: %r", letter.reason, letter.topic[:100], letter.payload[:80])
