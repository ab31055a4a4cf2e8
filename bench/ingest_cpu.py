"""The gateway's CPU per reading in one process, without a broker or a store server.

`python bench/ingest.py --cpu-only [--readings 50000] [--repeats 3] [--profile]` builds the MQTT v5
PUBLISH packets a broker sends while a backlog drains (facility readings from 400 devices) and
runs them through the gateway's own objects, each stage on this thread in the order the threads
run them under load: the MQTT reader (`GatewayClient._read_publishes` and `_on_publish`), the
spooler (group commits, PUBACKs queued, acknowledgements noted), the writer's store stage (take,
parse, line protocol; the HTTP request left out), the recorder (registry, alerts, dead letters in
SQLite, over a second's worth of batches as under load) and marking written. Prints microseconds
of CPU per reading by stage, the best of the repeats; `--profile` prints cProfile's top entries.
"""

from __future__ import annotations

import cProfile
import gc
import pstats
import secrets
import shutil
import struct
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from facility.core.collector import tune_garbage_collector
from facility.core.config import SensorSettings, Settings
from facility.core.db import upgrade_database
from facility.sensors.ingest import Batch
from facility.sensors.parsing import Reading
from facility.sensors.store.influx import InfluxV1Store, to_line
from gateway.runner import Gateway
from gateway.spool import Spooled
from gateway.writer import BATCH_SIZE

DEVICES, PUBLISHERS = 200, 2
# Readings the recorder takes in one run under load (a second of draining at ~40,000/s).
RECORD_GROUP = 40_000
# Bytes the socket hands the reader at a time (gateway/mqtt_client.py reads 256 KiB chunks).
CHUNK = 256 * 1024
STAGES = ("receive", "spool", "store", "record", "mark")


class LineStore(InfluxV1Store):
    """InfluxDB 1.x's line protocol, built and dropped: the request is influxd's cost, not ours."""

    def __init__(self) -> None:
        super().__init__("http://127.0.0.1:9", "cpu_bench")
        self.lines = 0

    def write(self, readings: Sequence[Reading]) -> None:
        body = "\n".join(to_line(r) for r in readings).encode()
        self.lines += body.count(b"\n") + 1 if readings else 0


def _publish(topic: str, mid: int, payload: bytes) -> bytes:
    name = topic.encode()
    body = struct.pack("!H", len(name)) + name + struct.pack("!H", mid) + b"\x00" + payload
    length, encoded = len(body), bytearray()
    while True:
        byte, length = length & 0x7F, length >> 7
        encoded.append(byte | (0x80 if length else 0))
        if not length:
            break
    return bytes([0x32]) + bytes(encoded) + body


def backlog_chunks(readings: int, start: int = 0) -> list[bytes]:
    """The PUBLISH packets of `readings` facility readings, cut into receive chunks at packet ends."""
    now = datetime.now(UTC).isoformat(timespec="microseconds").encode()
    chunks, current = [], bytearray()
    for i in range(start, start + readings):
        n = i % DEVICES
        publisher = (i // DEVICES) % PUBLISHERS
        topic = f"facility/bench/R-{n:03d}/bench-p{publisher}-{n:03d}/co2"
        payload = b'{"value": %d, "ts": "%s"}' % (400 + i % 1000, now)
        packet = _publish(topic, i % 65535 + 1, payload)
        if len(current) + len(packet) > CHUNK:
            chunks.append(bytes(current))
            current = bytearray()
        current += packet
    chunks.append(bytes(current))
    return chunks


def make_gateway(root: Path) -> Gateway:
    url = f"sqlite:///{root / 'facility.db'}"
    upgrade_database(url)
    settings = Settings(
        database_url=url,
        data_dir=root,
        secret_key=secrets.token_urlsafe(48),
        mqtt_url="mqtt://127.0.0.1:9",
        influx_url="http://127.0.0.1:9",
        influx_db="cpu_bench",
    )
    return Gateway(settings, SensorSettings(gateway_client_id="cpu-bench"), store=LineStore())


def drain(gateway: Gateway, chunks: list[bytes], clock: Callable[[], float]) -> dict[str, float]:
    """Seconds of `clock` per stage for one backlog, run stage after stage on this thread."""
    spent = dict.fromkeys(STAGES, 0.0)
    connection, client, spool, writer = gateway.connection, gateway.connection.client, gateway.spool, gateway.writer
    started = clock()
    for chunk in chunks:
        client._chunk, client._chunk_pos, client._chunk_sock = chunk, 0, client._sock
        client._read_publishes()
    spent["receive"] += clock() - started

    started = clock()
    connection._stopping.set()  # the spooler's loop returns once the inbox is empty
    connection._spool_loop()
    connection._stopping.clear()
    client._out_packet.clear()  # the PUBACKs queued for a socket there is not
    spent["spool"] += clock() - started

    taken, stored = writer._taken, []
    while True:
        started = clock()
        batch = spool.take(BATCH_SIZE, after=taken)
        if not batch:
            break
        parsed = writer.store_batch(batch)
        taken = batch[-1].id
        spent["store"] += clock() - started
        stored.append((batch, parsed))
    writer._taken = taken
    for first in range(0, len(stored), max(1, RECORD_GROUP // BATCH_SIZE)):
        group = stored[first : first + RECORD_GROUP // BATCH_SIZE]
        started = clock()
        spooled: list[Spooled] = [m for batch, _ in group for m in batch]
        merged = Batch()
        for _, parsed in group:
            merged.readings += parsed.readings
            merged.statuses += parsed.statuses
            merged.dead += parsed.dead
            merged.raw += parsed.raw
        gateway.ingest.record(merged)
        spent["record"] += clock() - started
        started = clock()
        spool.mark_written(spooled)
        spent["mark"] += clock() - started
    return spent


def run_cpu(readings: int, repeats: int, profile: bool) -> None:
    root = Path(tempfile.mkdtemp(prefix="facility-cpu-bench-"))
    gateway = make_gateway(root)
    try:
        gateway.connection._generation = gateway.spool.connection_started()
        drain(gateway, backlog_chunks(2 * DEVICES * PUBLISHERS), time.thread_time)  # every device known
        gc.collect()
        tune_garbage_collector()
        best: dict[str, float] = {}
        totals = []
        for repeat in range(repeats + profile):
            chunks = backlog_chunks(readings, start=(repeat + 1) * readings)
            profiler = cProfile.Profile() if profile and repeat == 0 else None
            cpu_started = time.process_time()
            if profiler:
                profiler.enable()
            spent = drain(gateway, chunks, time.thread_time)
            if profiler:
                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
            total = (time.process_time() - cpu_started) / readings * 1e6
            if not profiler:
                totals.append(total)
                for stage, seconds in spent.items():
                    best[stage] = min(best.get(stage, float("inf")), seconds / readings * 1e6)
            print(
                f"  run {repeat + 1}: "
                + ", ".join(f"{s} {v / readings * 1e6:.1f}" for s, v in spent.items())
                + f"; process {total:.1f} µs of CPU a reading"
                + (" (profiled, not counted)" if profiler else "")
            )
        stored = gateway.store.lines  # type: ignore[attr-defined]
        print(f"gateway in process, {readings:,} facility readings a run, {stored:,} lines built in all")
        if not totals:
            return
        print("µs of CPU per reading, best of runs: " + ", ".join(f"{s} {best[s]:.1f}" for s in STAGES))
        print(f"  stages {sum(best.values()):.1f}; whole process (checkpoint thread included) {min(totals):.1f}")
    finally:
        gateway.spool.close()
        shutil.rmtree(root, ignore_errors=True)
