"""The writer drains the spool in batches into `facility.sensors.ingest`, retrying until it succeeds.

Two threads, in order: the store thread parses a batch and writes its readings to the store (what
makes them queryable), then hands it to the recorder, which runs the registry, alert and dead
letter transaction and only then marks the batch written in the spool. So the next batch's store
write does not wait for the previous batch's database work, and a crash anywhere leaves the batch
in the spool to be written again (the store overwrites the same points). The recorder's cost is
mostly per transaction and per device, not per reading, so under load it takes every batch stored
in the last second as one.
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from facility.sensors.ingest import Batch, Ingest
from facility.sensors.store import StoreUnavailable
from gateway import metrics
from gateway.spool import Spool, Spooled

log = logging.getLogger(__name__)

# Readings per store write at most: the writer takes whatever is spooled when it is free (after
# LINGER_S below), so at low rates batches are small, and under load they grow to this,
# which amortises the HTTP round trip and the per-batch registry and alert work (one query per
# batch, not per reading) while one batch's alert evaluation stays well under a second.
BATCH_SIZE = 5000
# A small batch waits until its oldest message is this old before it is written: at 2,000
# readings a second that is one store write per ~30 readings instead of one per spool group (200
# a second, a third of the gateway's CPU in HTTP), for a few milliseconds of latency. 25 ms gave
# a p99 of 50-52 ms at 2,000/s in bench/ingest.py, beside Node-RED's 47-50 with its join's 25 ms;
# 15 ms gave 28-33 ms in the same bench (an earlier trial of 15 ms read worse because the spool's
# reconnect sweep, since fixed, stalled the latency phase).
LINGER_S = 0.015
# Stored batches waiting for the recorder: enough to overlap the two, few enough that a database
# outage stops the store thread soon (the spool, not memory, holds the backlog).
RECORD_QUEUE = 2
# The recorder runs at most this often, over every batch stored since its last run (at low rates
# that is one batch, recorded at once), and merges at most this many readings into one run.
RECORD_EVERY_S = 1.0
RECORD_MAX = 50_000
# Retry back-off while the store (or the database) is down.
RETRY_MIN_S, RETRY_MAX_S = 0.5, 5.0
# Consecutive failures other than the store being down before the batch is split to find the
# one message at fault.
POISON_AFTER = 3
# A stored batch on its way to the recorder; None: it was stored and recorded message by message.
_Stored = tuple[list[Spooled], Batch | None]


class _Retry:
    """Back-off and poison counting of one stage."""

    def __init__(self) -> None:
        self.delay, self.failures = RETRY_MIN_S, 0

    def failed(self, stage: str, size: int, error: Exception, pending_bytes: int) -> float:
        metrics.STORE_FAILURES.inc()
        # The store being down is worth waiting for; any other error may be one bad message.
        self.failures = 0 if isinstance(error, StoreUnavailable) else self.failures + 1
        delay = self.delay
        log.warning(
            "batch of %d not %s (%s); %d bytes spooled, retrying in %.1fs",
            size,
            stage,
            str(error)[:200],
            pending_bytes,
            delay,
        )
        self.delay = min(RETRY_MAX_S, delay * 2)
        return delay

    def succeeded(self) -> None:
        self.delay, self.failures = RETRY_MIN_S, 0

    @property
    def poisoned(self) -> bool:
        return self.failures >= POISON_AFTER


class SpoolWriter:
    def __init__(self, spool: Spool, ingest: Ingest) -> None:
        self.spool = spool
        self.ingest = ingest
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._stored: queue.Queue[_Stored] = queue.Queue(RECORD_QUEUE)
        self._taken = 0  # the last spool row handed to the recorder
        self._thread = threading.Thread(target=self._run, name="gateway-writer", daemon=True)
        self._recorder = threading.Thread(target=self._record_loop, name="gateway-recorder", daemon=True)

    def start(self) -> None:
        self._recorder.start()
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
        self._recorder.join(timeout=drain_timeout)

    # --- the store thread ------------------------------------------------------------------

    def _run(self) -> None:
        retry = _Retry()
        while not self._stopping.is_set():
            batch = self.spool.take(BATCH_SIZE, after=self._taken)
            metrics.SPOOL_MESSAGES.set(self.spool.pending_count())
            if not batch:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            linger = LINGER_S - (time.time_ns() // 1000 - batch[0].received_us) / 1e6
            if len(batch) < BATCH_SIZE and linger > 0:
                self._stopping.wait(min(linger, LINGER_S))  # the wall clock may step back
                batch = self.spool.take(BATCH_SIZE, after=self._taken)
            try:
                # None: stored and recorded message by message (a poison message was looked for).
                parsed = None if retry.poisoned else self.store_batch(batch)
                if parsed is None:
                    self.write_one_by_one(batch)
            except Exception as error:  # noqa: BLE001 - keep the batch and retry it
                self._stopping.wait(retry.failed("stored", len(batch), error, self.spool.pending_bytes))
                continue
            retry.succeeded()
            self._taken = batch[-1].id
            while not self._stopping.is_set():
                try:
                    self._stored.put((batch, parsed), timeout=0.5)
                    break
                except queue.Full:
                    continue

    def store_batch(self, batch: list[Spooled]) -> Batch:
        started = time.perf_counter()
        parsed = self.ingest.store_batch(batch)  # spool rows are what Ingest reads
        metrics.BATCH_SECONDS.observe(time.perf_counter() - started)
        return parsed

    def write_one_by_one(self, batch: list[Spooled]) -> None:
        """After repeated failures not caused by the store: isolate the message at fault, which
        becomes a dead letter instead of blocking every later reading."""
        for message in batch:
            try:
                self._count(self.ingest.write([message]))
            except StoreUnavailable:
                raise
            except Exception as error:  # noqa: BLE001 - this message is the poison
                self.ingest.dead_letter(message, error)
                metrics.DEAD_LETTERS.labels("internal_error").inc()
                log.error("message on %s could not be stored, dead-lettered: %r", message.topic[:100], error)

    # --- the recorder thread ---------------------------------------------------------------

    def _record_loop(self) -> None:
        retry = _Retry()
        held: _Stored | None = None
        last_run = 0.0
        while not (self._stopping.is_set() and held is None and self._stored.empty()):
            if held is None:
                try:
                    held = self._stored.get(timeout=0.5)
                except queue.Empty:
                    continue
            (batch, parsed), held = self._gather(held, last_run + RECORD_EVERY_S)
            last_run = time.monotonic()
            while parsed is not None:
                try:
                    if retry.poisoned:
                        self.write_one_by_one(batch)
                    else:
                        self.ingest.record(parsed)
                        self._count(parsed)
                except Exception as error:  # noqa: BLE001 - keep the batch and retry it
                    if self._stopping.wait(retry.failed("recorded", len(batch), error, self.spool.pending_bytes)):
                        return  # not marked written: stored and recorded again after the restart
                    continue
                break
            retry.succeeded()
            self.spool.mark_written(batch)
            metrics.SPOOL_BYTES.set(self.spool.pending_bytes)

    def _gather(self, first: _Stored, deadline: float) -> tuple[_Stored, _Stored | None]:
        """`first` and the batches stored after it until `deadline` as one, and the item that
        ended the merge early (a batch recorded message by message), held for its own turn."""
        spooled, parsed = first
        if parsed is None:
            return first, None
        spooled = list(spooled)
        merged = Batch(list(parsed.readings), list(parsed.statuses), list(parsed.dead), raw=list(parsed.raw))
        while len(merged.readings) < RECORD_MAX and not self._stopping.is_set():
            wait = deadline - time.monotonic()
            try:
                item = self._stored.get(timeout=wait) if wait > 0 else self._stored.get_nowait()
            except queue.Empty:
                break
            if item[1] is None:
                return (spooled, merged), item
            spooled += item[0]
            merged.readings += item[1].readings
            merged.statuses += item[1].statuses
            merged.dead += item[1].dead
            merged.raw += item[1].raw
        return (spooled, merged), None

    def _count(self, written: Batch) -> None:
        metrics.STORED.inc(len(written.readings))
        for letter in written.dead:
            metrics.DEAD_LETTERS.labels(letter.reason).inc()
            log.info("dead letter (%s) on %s: %r", letter.reason, letter.topic[:100], letter.payload[:80])
