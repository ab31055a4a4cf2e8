"""Ingest benchmark: MQTT -> gateway -> real InfluxDB, beside a bare paho subscriber.

Starts its own Mosquitto (the shipped config) and influxd on free loopback ports, a migrated
SQLite database, one `facility gateway` process, one bare subscriber process that only counts,
and one publisher process. Prints:
  1. sustained rate for DURATION s with the publisher flat out: published, bare subscriber
     (the ceiling for one Python client here) and readings stored in InfluxDB by the gateway;
  2. p50/p99 publish-to-queryable latency at a paced 2,000 readings/s;
and first, without services, the spool's cost per batch as its kept history grows.

Run from the repository root:  python bench/ingest.py [--duration 60] [--rate 2000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402

from facility.core.db import upgrade_database  # noqa: E402
from facility.sensors.broker_url import BrokerAddress, make_client  # noqa: E402
from gateway.spool import Incoming, Spool  # noqa: E402
from tests.sensors.services import Influxd, Mosquitto  # noqa: E402

DEVICES = 200
# Broker and client windows: see deploy/mosquitto/mosquitto.conf (max_inflight_messages 1000).
INFLIGHT = 1000


def topic_for(i: int, publisher: int) -> str:
    # Each publisher has its own devices: two points of one series in the same microsecond
    # would be the same point (by design), and the count would come up short.
    n = i % DEVICES
    return f"facility/bench/R-{n:03d}/bench-{publisher}-{n:03d}/co2"


def payload_for(i: int) -> bytes:
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    return json.dumps({"value": 400 + i % 1000, "ts": now}).encode()


def connect(url: str, client_id: str, **kwargs: object):  # type: ignore[no-untyped-def]
    client = make_client(url, client_id, **kwargs)
    client.max_inflight_messages_set(INFLIGHT)
    address = BrokerAddress.parse(url)
    props = Properties(PacketTypes.CONNECT)
    props.ReceiveMaximum = INFLIGHT
    client.connect(address.host, address.port, properties=props)
    return client


def publish(
    url: str,
    seconds: float,
    rate: float,
    counter: mp.Value,
    start_at: float,  # type: ignore[type-arg]
    publisher: int = 0,
) -> None:
    """Publish QoS 1 for `seconds`, flat out (rate 0) or paced at `rate` per second."""
    client = connect(url, f"bench-publisher-{os.getpid()}")
    acked = [0]  # PUBACKs received (paho calls on_publish from its network thread)

    def on_publish(*_args: object) -> None:
        acked[0] += 1

    client.on_publish = on_publish
    client.loop_start()
    while time.time() < start_at:
        time.sleep(0.01)
    started = time.monotonic()
    i = 0
    while (elapsed := time.monotonic() - started) < seconds:
        # Publish no further ahead of the broker's PUBACKs than the inflight window.
        if i - acked[0] >= INFLIGHT or (rate and i >= int(elapsed * rate)):
            time.sleep(0.0005)
            continue
        client.publish(topic_for(i, publisher), payload_for(i), qos=1)
        i += 1
        if i % 200 == 0:
            counter.value = acked[0]
    time.sleep(2)  # the last PUBACKs
    counter.value = acked[0]
    client.loop_stop()
    client.disconnect()


def count_messages(url: str, counter: mp.Value, ready: mp.Event) -> None:  # type: ignore[type-arg]
    """The bare subscriber: QoS 1, auto-acknowledge, count, nothing else."""
    client = connect(url, f"bench-bare-{os.getpid()}")

    def on_message(_c, _u, _m) -> None:  # type: ignore[no-untyped-def]
        counter.value += 1

    client.on_message = on_message
    client.subscribe("facility/bench/#", qos=1)
    ready.set()
    client.loop_forever()


def influx_count(url: str, db: str) -> int:
    try:
        body = httpx.get(f"{url}/query", params={"db": db, "q": "SELECT count(value) FROM reading"}, timeout=30).json()
        return int(body["results"][0]["series"][0]["values"][0][1])
    except (KeyError, IndexError, httpx.HTTPError, ValueError):
        return 0


def measure_latency(broker_url: str, influx_url: str, db: str, seconds: float) -> list[float]:
    """Probe readings (20/s, device `probe`) published amid the load; each one's latency is the
    time from its publish until a query returns it (polled every 20 ms)."""
    client = connect(broker_url, f"bench-probe-{os.getpid()}")
    client.loop_start()
    http = httpx.Client(timeout=10)
    sent: dict[int, float] = {}
    latencies: list[float] = []
    started = time.monotonic()
    next_probe = started
    while time.monotonic() - started < seconds or (sent and time.monotonic() - started < seconds + 10):
        now = time.monotonic()
        if now >= next_probe and now - started < seconds:
            micros = time.time_ns() // 1000
            ts = datetime.fromtimestamp(micros / 1e6, UTC).isoformat(timespec="microseconds")
            client.publish("facility/bench/R-PROBE/probe/co2", json.dumps({"value": 500, "ts": ts}), qos=1)
            sent[micros] = time.time()
            next_probe += 0.05
        body = http.get(
            f"{influx_url}/query",
            params={
                "db": db,
                "epoch": "u",
                "q": "SELECT value FROM reading WHERE device = 'probe' AND time > now() - 2m",
            },
        ).json()
        seen = time.time()
        series = body.get("results", [{}])[0].get("series", [])
        for row in series[0]["values"] if series else []:
            published = sent.pop(row[0], None)
            if published is not None:
                latencies.append(seen - published)
        time.sleep(0.02)
    client.loop_stop()
    client.disconnect()
    if sent:
        print(f"  {len(sent)} probes not queryable within 10 s")
    return latencies


def start_gateway(root: Path, broker: Mosquitto, influxd: Influxd, db: str) -> subprocess.Popen[bytes]:
    sqlite_url = f"sqlite:///{root / 'facility.db'}"
    upgrade_database(sqlite_url)
    env = {
        **os.environ,
        "FACILITY_DATABASE_URL": sqlite_url,
        "FACILITY_DATA_DIR": str(root),
        "FACILITY_MQTT_URL": broker.url,
        "FACILITY_INFLUX_URL": influxd.url,
        "FACILITY_INFLUX_DB": db,
        "FACILITY_SECRET_KEY": "bench",
        "FACILITY_GATEWAY_CLIENT_ID": "bench-gateway",
        "FACILITY_GATEWAY_SHARE_GROUP": "",
    }
    log = (root / "gateway.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "facility.cli", "gateway"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def spool_batch_cost(kept: int, *, indexed: bool = True, batches: int = 30, batch_size: int = 2000) -> float:
    """Median ms of `Spool.mark_written` per batch with `kept` written rows inside the keep window
    (`indexed=False`: without the expiry index, as before it existed)."""
    root = Path(tempfile.mkdtemp(prefix="facility-spool-bench-"))
    spool = Spool(root / "spool.sqlite")
    now_us = time.time_ns() // 1000
    with sqlite3.connect(root / "spool.sqlite") as db:  # history: written, recent, so all kept
        db.executemany(
            "INSERT INTO message (topic, payload, received_us, mid, acked, written) VALUES (?, ?, ?, ?, 1, 1)",
            ((f"facility/b/r/d-{i % 200}/co2", b"612", now_us - kept + i, i % 65535) for i in range(kept)),
        )
        if not indexed:
            db.execute("DROP INDEX ix_message_written_received")
    with sqlite3.connect(root / "spool.sqlite") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    took = []
    for n in range(batches + 3):
        spool.append(
            [Incoming("facility/b/r/d/co2", b"612", now_us + n * batch_size + i, i, False) for i in range(batch_size)]
        )
        batch = spool.take(batch_size)
        started = time.perf_counter()
        spool.mark_written(batch)
        took.append(time.perf_counter() - started)
    spool.close()
    shutil.rmtree(root)
    return statistics.median(took[3:]) * 1000


def run_spool() -> None:
    print("spool: Spool.mark_written per batch of 2,000 (median ms), by written rows kept for redelivery")
    print("      kept   with expiry index   without (before)")
    for kept in (0, 100_000, 700_000):
        print(f"  {kept:>8,}   {spool_batch_cost(kept):10.2f}          {spool_batch_cost(kept, indexed=False):10.2f}")


def run(duration: float, rate: float, latency_seconds: float, publishers: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="facility-bench-"))
    broker, influxd = Mosquitto(root / "mosquitto"), Influxd(root / "influxd")
    broker.start()
    influxd.start()
    gateway = start_gateway(root, broker, influxd, "bench")
    bare_count, ready = mp.Value("q", 0), mp.Event()
    bare = mp.Process(target=count_messages, args=(broker.url, bare_count, ready), daemon=True)
    bare.start()
    ready.wait(10)
    time.sleep(3)  # the gateway has connected and subscribed
    try:
        print(f"throughput: {publishers} publishers flat out for {duration:.0f} s, {DEVICES} devices, QoS 1")
        counters = [mp.Value("q", 0) for _ in range(publishers)]
        start_at = time.time() + 1
        procs = [
            mp.Process(target=publish, args=(broker.simulator_url, duration, 0, c, start_at, n))
            for n, c in enumerate(counters)
        ]
        for proc in procs:
            proc.start()
        time.sleep(max(0.0, start_at - time.time()))
        bare_start, stored_start = bare_count.value, influx_count(influxd.url, "bench")
        time.sleep(duration)
        bare_end, stored_end = bare_count.value, influx_count(influxd.url, "bench")
        in_window = sum(c.value for c in counters)
        for proc in procs:
            proc.join()
        published = sum(c.value for c in counters)
        print(f"  published          {in_window / duration:8.0f} msg/s  ({publishers} publishers)")
        print(f"  bare subscriber    {(bare_end - bare_start) / duration:8.0f} msg/s  (ceiling)")
        print(f"  gateway -> InfluxDB{(stored_end - stored_start) / duration:8.0f} readings/s stored")
        drain_started = time.monotonic()
        while influx_count(influxd.url, "bench") < published and time.monotonic() - drain_started < 120:
            time.sleep(1)
        final = influx_count(influxd.url, "bench")
        print(f"  backlog drained in {time.monotonic() - drain_started:.1f} s; stored {final} of {published}")

        print(f"latency: paced at {rate:.0f} readings/s for {latency_seconds:.0f} s")
        sent = mp.Value("q", 0)
        start_at = time.time() + 1
        publisher = mp.Process(target=publish, args=(broker.simulator_url, latency_seconds, rate, sent, start_at, 9))
        publisher.start()
        time.sleep(max(0.0, start_at - time.time()) + 2)  # let the paced load settle
        latencies = measure_latency(broker.simulator_url, influxd.url, "bench", latency_seconds - 4)
        publisher.join()
        latencies.sort()
        p50 = statistics.median(latencies)
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(f"  background load {sent.value / latency_seconds:.0f} readings/s; {len(latencies)} probes")
        print(
            f"  publish -> queryable  p50 {p50 * 1000:.0f} ms   p99 {p99 * 1000:.0f} ms"
            f"   max {latencies[-1] * 1000:.0f} ms"
        )
    finally:
        gateway.terminate()
        gateway.wait(30)
        bare.terminate()
        influxd.stop()
        broker.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--rate", type=float, default=2000)
    parser.add_argument("--latency-seconds", type=float, default=20)
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--spool-only", action="store_true", help="only the spool's per-batch cost (no services)")
    args = parser.parse_args()
    run_spool()
    if not args.spool_only:
        run(args.duration, args.rate, args.latency_seconds, args.publishers)
