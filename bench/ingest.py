"""Ingest benchmark: the gateway beside Node-RED, the peer users would pick, on one broker and store.

Starts its own Mosquitto (the shipped config) and influxd (1.x) on free loopback ports, then runs
each consumer alone against them, alternating the order round by round so both see the same
machine: the `facility gateway` (spool, profiles, registry and alerts in SQLite, InfluxDB) and
Node-RED (`node-red` + `node-red-contrib-influxdb`, installed from npm into a cache folder on the
first run) with the flow an expert builds: `mqtt in` (QoS 1, persistent session) -> function
(payload to point) -> join (1,000 points or 25 ms) -> `influxdb batch`, and a retry loop (catch
the write's error -> 1 s delay -> delete `msg.error` -> write again).

For each consumer and round: throughput by draining a backlog: the consumer stopped (its
persistent session kept), the publishers (bench/mqtt_publisher.py) fill the broker's queue for it
for BACKLOG s, then the consumer is started with no publisher running and drains it (readings/s
from its first stored reading to its last, CPU of its processes per 1,000 readings/s, readings
lost). Then publish-to-queryable latency of probes amid a paced RATE (p50, p99, the worst). Then,
once per consumer, the outage test: influxd stopped for 20 s in the middle of a paced run, the
consumer restarted halfway through it, influxd restarted; stored against published.
One table at the end.

  python bench/ingest.py [--backlog 15] [--rate 2000] [--rounds 2]
  python bench/ingest.py --soak 600 --soak-rate 3000   # gateway only: first vs last minute p99
  python bench/ingest.py --spool-only                  # the spool's cost per batch vs history
  python bench/ingest.py --cpu-only [--profile]        # the gateway's CPU per reading, in process
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402

from bench.consumers import Consumer, Gateway, NodeRed  # noqa: E402
from bench.ingest_cpu import run_cpu  # noqa: E402
from bench.mqtt_publisher import Publisher  # noqa: E402
from facility.sensors.broker_url import BrokerAddress, make_client  # noqa: E402
from gateway.spool import Incoming, Spool  # noqa: E402
from tests.sensors.services import Influxd, Mosquitto  # noqa: E402

DEVICES = 200
# Broker and client windows: see deploy/mosquitto/mosquitto.conf (max_inflight_messages 1000).
INFLIGHT = 1000
OUTAGE_RATE, OUTAGE_BEFORE_S, OUTAGE_S, OUTAGE_AFTER_S = 250, 10, 20, 10
PROBE_TOPIC = "facility/bench/R-PROBE/probe/co2"
# A backlog is drained within this (Node-RED takes ~20,000/s: a minute for a million).
DRAIN_TIMEOUT_S, DRAIN_POLL_S = 300, 0.5
# Goal: no probe slower than this at the paced rate.
SPIKE_S = 0.1


def topic_for(i: int, publisher: str) -> str:
    # Each publisher has its own devices: two points of one series in the same microsecond
    # would be the same point (by design), and each phase counts its own publishers' readings.
    n = i % DEVICES
    return f"facility/bench/R-{n:03d}/bench-{publisher}-{n:03d}/co2"


def connect(url: str, client_id: str, **kwargs: object):  # type: ignore[no-untyped-def]
    client = make_client(url, client_id, **kwargs)
    client.max_inflight_messages_set(INFLIGHT)
    address = BrokerAddress.parse(url)
    props = Properties(PacketTypes.CONNECT)
    props.ReceiveMaximum = INFLIGHT
    client.connect(address.host, address.port, properties=props)
    return client


def forget_session(url: str, client_id: str) -> None:
    """Discard a stopped consumer's persistent session, so the broker does not queue the next
    consumer's readings for it (and hand them over at the next start)."""
    client = make_client(url, client_id)
    address = BrokerAddress.parse(url)
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 0
    client.connect(address.host, address.port, clean_start=True, properties=props)
    client.loop_start()
    time.sleep(0.5)
    client.disconnect()
    client.loop_stop()


def publish(url: str, seconds: float, rate: float, counter: mp.Value, start_at: float, publisher: str) -> None:  # type: ignore[type-arg]
    """Publish QoS 1 for `seconds`, flat out (rate 0) or paced at `rate` per second; `counter`
    follows the PUBACKs received (bench/mqtt_publisher.py: a publisher cheap enough that the
    consumers, not it, are what is measured)."""
    sender = Publisher(url, INFLIGHT)
    while time.time() < start_at:
        time.sleep(0.01)

    def progress(acked: int) -> None:
        counter.value = acked

    sender.run(seconds, rate, lambda i: topic_for(i, publisher), progress, DEVICES)


def start_publishers(
    url: str, seconds: float, rate: float, names: list[str]
) -> tuple[list[mp.Process], list[mp.Value], float]:  # type: ignore[type-arg]
    counters = [mp.Value("q", 0) for _ in names]
    start_at = time.time() + 1
    procs = [
        mp.Process(target=publish, args=(url, seconds, rate, c, start_at, name), daemon=True)
        for name, c in zip(names, counters, strict=True)
    ]
    for proc in procs:
        proc.start()
    return procs, counters, start_at


def influx_count(url: str, db: str, publisher_prefix: str) -> int:
    q = f"SELECT count(value) FROM reading WHERE device =~ /^bench-{publisher_prefix}/"
    try:
        body = httpx.get(f"{url}/query", params={"db": db, "q": q}, timeout=30).json()
        return int(body["results"][0]["series"][0]["values"][0][1])
    except (KeyError, IndexError, httpx.HTTPError, ValueError):
        return 0


def points_written(url: str, db: str) -> int:
    """Points influxd has written into `db` (its shard statistics, rollups left out): a counter as
    cheap to read as it is to keep. Counting the stored points instead, every half second while a
    backlog of a million drains, took most of influxd's CPU and slowed both consumers alike."""
    try:
        body = httpx.get(f"{url}/query", params={"q": "SHOW STATS FOR 'shard'"}, timeout=30).json()
    except (httpx.HTTPError, ValueError):
        return 0
    total = 0
    for series in body.get("results", [{}])[0].get("series", []):
        tags = series.get("tags") or {}
        if tags.get("database") != db or tags.get("retentionPolicy") == "rollup":
            continue
        row = dict(zip(series["columns"], series["values"][0], strict=False))
        total += int(row.get("writePointsOk") or 0)
    return total


def measure_latency(
    broker_url: str, influx_url: str, db: str, seconds: float, *, wait: float = 10
) -> list[tuple[float, float]]:
    """Probe readings (20/s, device `probe`) published amid the load: (seconds into the run,
    time from its publish until a query returns it, polled every 20 ms)."""
    client = connect(broker_url, f"bench-probe-{os.getpid()}")
    client.loop_start()
    http = httpx.Client(timeout=10)
    sent: dict[int, tuple[float, float]] = {}  # probe ts -> (wall clock, seconds into the run)
    latencies: list[tuple[float, float]] = []
    started = time.monotonic()
    next_probe = started
    while time.monotonic() - started < seconds or (sent and time.monotonic() - started < seconds + wait):
        now = time.monotonic()
        if now >= next_probe and now - started < seconds:
            micros = time.time_ns() // 1000
            ts = datetime.fromtimestamp(micros / 1e6, UTC).isoformat(timespec="microseconds")
            client.publish(PROBE_TOPIC, json.dumps({"value": 500, "ts": ts}), qos=1)
            sent[micros] = (time.time(), now - started)
            next_probe += 0.05
        if not sent:
            time.sleep(0.02)
            continue
        # Only the probes still awaited: a query over every recent probe grew for minutes (2,400
        # rows at 50 queries a second), and its cost showed as the consumers' latency.
        oldest_ns = min(sent) * 1000
        try:
            body = http.get(
                f"{influx_url}/query",
                params={
                    "db": db,
                    "epoch": "u",
                    "q": f"SELECT value FROM reading WHERE device = 'probe' AND time >= {oldest_ns}",
                },
            ).json()
        except httpx.HTTPError:
            body = {}
        seen = time.time()
        series = body.get("results", [{}])[0].get("series", [])
        for row in series[0]["values"] if series else []:
            probe = sent.pop(row[0], None)
            if probe is not None:
                latencies.append((probe[1], seen - probe[0]))
        time.sleep(0.02)
    client.loop_stop()
    client.disconnect()
    if sent and wait >= 10:
        print(f"    {len(sent)} probes not queryable within {wait:.0f} s")
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * q) - 1)] if ordered else float("nan")


# --- CPU of a process tree --------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # fields from `state` on


def tree_cpu_seconds(root: int) -> float:
    """user + system time of `root`, its live descendants and the children they reaped."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    total = 0
    for pid in tree:
        try:
            fields = _stat(pid)
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / TICK


# --- the consumers ----------------------------------------------------------------------------


def wait_ready(consumer: Consumer, broker: Mosquitto, influxd: Influxd, timeout: float = 60) -> None:
    """Until a probe published now is queryable: connected, subscribed and writing."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        latencies = measure_latency(broker.simulator_url, influxd.url, consumer.database, 0.2, wait=3)
        if latencies:
            return
    raise RuntimeError(f"{consumer.name} did not store a probe within {timeout:.0f} s; see its log")


# --- the phases -------------------------------------------------------------------------------


@dataclass
class Result:
    consumer: str
    round: int
    published: float = 0.0
    stored: float = 0.0
    cpu_cores: float = 0.0
    lost: int = 0
    total: int = 0
    p50: float = float("nan")
    p99: float = float("nan")
    worst: float = float("nan")
    spikes: int = 0
    probes: int = 0
    outage: tuple[int, int] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def cpu_per_k(self) -> float:
        return self.cpu_cores / (self.stored / 1000) if self.stored else float("nan")


def drain(
    consumer: Consumer, broker: Mosquitto, influxd: Influxd, tag: str, backlog_s: float, publishers: int, result: Result
) -> None:
    """Readings/s and CPU of draining a broker backlog with no publisher running: flat-out
    publishing would measure each side's share of a saturated CPU, not what it can take in."""
    consumer.stop()  # its persistent session stays: the broker queues what follows for it
    names = [f"{tag}p{n}" for n in range(publishers)]
    procs, counters, _start_at = start_publishers(broker.simulator_url, backlog_s, 0, names)
    for proc in procs:
        proc.join()
    published = sum(c.value for c in counters)
    result.published = published / backlog_s
    before = points_written(influxd.url, consumer.database)
    consumer.start()
    first: tuple[float, int, float] | None = None
    last: tuple[float, int, float] | None = None
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while time.monotonic() < deadline:
        count = points_written(influxd.url, consumer.database) - before
        sample = (time.monotonic(), count, tree_cpu_seconds(consumer.pid))
        if count and first is None:
            first = sample
        if count:
            last = sample
        if count >= published:
            break
        time.sleep(DRAIN_POLL_S)
    final = influx_count(influxd.url, consumer.database, tag)
    result.total, result.lost = published, max(0, published - final)
    if first and last and last[0] > first[0]:
        elapsed = last[0] - first[0]
        result.stored = (last[1] - first[1]) / elapsed
        result.cpu_cores = (last[2] - first[2]) / elapsed
    print(
        f"  {consumer.name}: backlog of {published:,} ({result.published:,.0f}/s published), drained at "
        f"{result.stored:,.0f}/s, CPU {result.cpu_cores * 100:.0f}% of a core; {final:,} of {published:,} stored"
    )


def latency(
    consumer: Consumer, broker: Mosquitto, influxd: Influxd, tag: str, rate: float, seconds: float, result: Result
) -> None:
    procs, _counters, start_at = start_publishers(broker.simulator_url, seconds, rate, [f"{tag}l"])
    time.sleep(max(0.0, start_at - time.time()) + 2)  # let the paced load settle
    samples = [lat for _, lat in measure_latency(broker.simulator_url, influxd.url, consumer.database, seconds - 4)]
    for proc in procs:
        proc.join()
    result.p50, result.p99, result.probes = percentile(samples, 0.5), percentile(samples, 0.99), len(samples)
    result.worst = max(samples, default=float("nan"))
    result.spikes = sum(1 for sample in samples if sample > SPIKE_S)
    print(
        f"  {consumer.name}: at {rate:,.0f}/s p50 {result.p50 * 1000:.0f} ms, p99 {result.p99 * 1000:.0f} ms, "
        f"worst {result.worst * 1000:.0f} ms ({result.spikes} of {len(samples)} probes above {SPIKE_S * 1000:.0f} ms)"
    )


def outage(consumer: Consumer, broker: Mosquitto, influxd: Influxd, tag: str, result: Result) -> None:
    seconds = OUTAGE_BEFORE_S + OUTAGE_S + OUTAGE_AFTER_S
    procs, counters, start_at = start_publishers(broker.simulator_url, seconds, OUTAGE_RATE, [f"{tag}o"])
    time.sleep(max(0.0, start_at - time.time()) + OUTAGE_BEFORE_S)
    influxd.stop()
    time.sleep(OUTAGE_S / 2)
    consumer.restart()  # what it held in memory for the store is lost; what it made durable is not
    time.sleep(OUTAGE_S / 2)
    influxd.start()
    for proc in procs:
        proc.join()
    published = sum(c.value for c in counters)
    deadline = time.monotonic() + 60
    while influx_count(influxd.url, consumer.database, f"{tag}o") < published and time.monotonic() < deadline:
        time.sleep(1)
    stored = influx_count(influxd.url, consumer.database, f"{tag}o")
    result.outage = (stored, published)
    print(
        f"  {consumer.name}: influxd down {OUTAGE_S} s at {OUTAGE_RATE}/s, restarted halfway: "
        f"stored {stored:,} of {published:,}"
    )


def run_consumer(
    consumer: Consumer, broker: Mosquitto, influxd: Influxd, args: argparse.Namespace, round_no: int, do_outage: bool
) -> Result:
    result = Result(consumer.name, round_no)
    consumer.start()
    try:
        wait_ready(consumer, broker, influxd)
        tag = f"r{round_no}{consumer.name[0]}"
        drain(consumer, broker, influxd, tag, args.backlog, args.publishers, result)
        latency(consumer, broker, influxd, tag, args.rate, args.latency_seconds, result)
        if do_outage:
            outage(consumer, broker, influxd, tag, result)
    finally:
        consumer.stop()
        forget_session(broker.url, consumer.client_id)
    return result


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    print()
    print(
        f"ingest: backlog of {args.publishers} publishers flat out {args.backlog:.0f} s, drained with no publisher "
        f"running, {DEVICES} devices per publisher, QoS 1; latency at {args.rate:,.0f}/s; outage: influxd down "
        f"{OUTAGE_S} s at {OUTAGE_RATE}/s, the consumer restarted halfway"
    )
    print(
        "| consumer | round | backlog | drained/s | CPU % core | CPU % per 1k/s "
        "| p50 ms | p99 ms | worst ms | lost | outage: stored of published |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        outage_text = f"{r.outage[0]:,} of {r.outage[1]:,}" if r.outage else ""
        print(
            f"| {r.consumer} | {r.round} | {r.total:,} | {r.stored:,.0f} "
            f"| {r.cpu_cores * 100:.0f} | {r.cpu_per_k * 100:.2f} | {ms(r.p50)} | {ms(r.p99)} | {ms(r.worst)} "
            f"| {r.lost:,} | {outage_text} |"
        )
    gw = [r for r in results if r.consumer == "gateway"]
    nr = [r for r in results if r.consumer == "node-red"]

    def med(rows: list[Result], attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in rows)

    stored = med(gw, "stored") / med(nr, "stored")
    cpu = med(gw, "cpu_per_k") / med(nr, "cpu_per_k")
    p99 = med(gw, "p99") / med(nr, "p99")
    lost = sum(r.lost for r in gw) + sum(o[1] - o[0] for r in gw if (o := r.outage))
    nr_lost = sum(r.lost for r in nr) + sum(o[1] - o[0] for r in nr if (o := r.outage))
    worst = max(r.worst for r in gw)
    print(
        f"gateway / Node-RED (medians of {len(gw)} rounds): readings/s drained {stored:.2f}x (goal >= 1.5), "
        f"CPU per 1k/s {cpu:.2f}x (goal <= 0.5), p99 {p99:.2f}x (goal <= 1); gateway's worst probe "
        f"{ms(worst)} ms (goal <= {ms(SPIKE_S)}); lost: gateway {lost} (goal 0), Node-RED {nr_lost}"
    )


def run(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="facility-bench-"))
    broker, influxd = Mosquitto(root / "mosquitto"), Influxd(root / "influxd")
    broker.start()
    influxd.start()
    consumers: list[Consumer] = [Gateway(root, broker, influxd), NodeRed(root, broker, influxd)]
    results: list[Result] = []
    try:
        for round_no in range(1, args.rounds + 1):
            order = consumers if round_no % 2 else consumers[::-1]
            print(f"round {round_no}: {' then '.join(c.name for c in order)}")
            for consumer in order:
                results.append(run_consumer(consumer, broker, influxd, args, round_no, round_no == args.rounds))
        print_table(results, args)
    finally:
        for consumer in consumers:
            consumer.stop()
        influxd.stop()
        broker.stop()
        shutil.rmtree(root, ignore_errors=True)


def run_soak(args: argparse.Namespace) -> None:
    """The gateway alone at a paced rate for a long run: p99 of the first minute against the last."""
    root = Path(tempfile.mkdtemp(prefix="facility-soak-"))
    broker, influxd = Mosquitto(root / "mosquitto"), Influxd(root / "influxd")
    broker.start()
    influxd.start()
    gateway = Gateway(root, broker, influxd)
    gateway.start()
    try:
        wait_ready(gateway, broker, influxd)
        print(f"soak: gateway at {args.soak_rate:,.0f} readings/s for {args.soak:.0f} s")
        names = [f"s{n}" for n in range(args.publishers)]
        procs, counters, start_at = start_publishers(
            broker.simulator_url, args.soak, args.soak_rate / len(names), names
        )
        time.sleep(max(0.0, start_at - time.time()))
        cpu_start = tree_cpu_seconds(gateway.pid)
        samples = measure_latency(broker.simulator_url, influxd.url, gateway.database, args.soak)
        cpu = (tree_cpu_seconds(gateway.pid) - cpu_start) / args.soak
        for proc in procs:
            proc.join()
        published = sum(c.value for c in counters)
        first = [lat for at, lat in samples if at < 60]
        last = [lat for at, lat in samples if at >= args.soak - 60]
        deadline = time.monotonic() + 120
        while influx_count(influxd.url, gateway.database, "s") < published and time.monotonic() < deadline:
            time.sleep(1)
        stored = influx_count(influxd.url, gateway.database, "s")
        p_first, p_last = percentile(first, 0.99), percentile(last, 0.99)
        print(
            f"  published {published / args.soak:,.0f}/s; stored {stored:,} of {published:,}; "
            f"CPU {cpu * 100:.0f}% of a core"
        )
        minutes = [[lat for at, lat in samples if m * 60 <= at < (m + 1) * 60] for m in range(int(args.soak // 60))]
        print("  p99 by minute, ms: " + " ".join(ms(percentile(m, 0.99)) for m in minutes))
        print(
            f"  p99 first minute {ms(p_first)} ms ({len(first)} probes), last minute {ms(p_last)} ms "
            f"({len(last)} probes): last/first {p_last / p_first:.2f} (goal <= 1.20)"
        )
    finally:
        gateway.stop()
        influxd.stop()
        broker.stop()
        shutil.rmtree(root, ignore_errors=True)


# --- the spool alone --------------------------------------------------------------------------


def spool_batch_cost(kept: int, *, batches: int = 30, batch_size: int = 2000) -> tuple[float, float]:
    """Median ms of `Spool.append` (a group of 500) and `Spool.mark_written` (a batch) with `kept`
    written rows inside the keep window."""
    root = Path(tempfile.mkdtemp(prefix="facility-spool-bench-"))
    spool = Spool(root / "spool.sqlite")
    now_us = time.time_ns() // 1000
    for start in range(0, kept, 5000):  # history: written, recent, so all kept
        spool.append(
            [
                Incoming(f"facility/b/r/d-{i % 200}/co2", b"612", now_us - kept + i, i % 65535, False)
                for i in range(start, start + 5000)
            ]
        )
        spool.mark_written(spool.take(5000))
    appended, marked = [], []
    for n in range(batches + 3):
        for group in range(0, batch_size, 500):
            started = time.perf_counter()
            spool.append(
                [
                    Incoming("facility/b/r/d/co2", b"612", now_us + n * batch_size + group + i, i, False)
                    for i in range(500)
                ]
            )
            appended.append(time.perf_counter() - started)
        batch = spool.take(batch_size)
        started = time.perf_counter()
        spool.mark_written(batch)
        marked.append(time.perf_counter() - started)
    spool.close()
    shutil.rmtree(root)
    return statistics.median(appended[12:]) * 1000, statistics.median(marked[3:]) * 1000


def run_spool() -> None:
    print("spool: median ms of a group commit of 500 and of marking a batch of 2,000 written,")
    print("by written rows kept for redelivery")
    print("      kept   append (500)   mark_written (2,000)")
    for kept in (0, 100_000, 700_000):
        append, mark = spool_batch_cost(kept)
        print(f"  {kept:>8,}   {append:10.2f}   {mark:10.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=float, default=15, help="seconds of flat-out publishing into the backlog")
    parser.add_argument("--rate", type=float, default=2000, help="paced readings/s of the latency phase")
    parser.add_argument("--latency-seconds", type=float, default=20)
    parser.add_argument("--publishers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="rounds; the order of the consumers alternates")
    parser.add_argument("--soak", type=float, default=0, help="seconds of the gateway-only soak run instead")
    parser.add_argument("--soak-rate", type=float, default=3000)
    parser.add_argument("--spool-only", action="store_true", help="only the spool's per-batch cost (no services)")
    parser.add_argument("--cpu-only", action="store_true", help="gateway CPU per reading, in process")
    parser.add_argument("--readings", type=int, default=50_000, help="readings per --cpu-only run")
    parser.add_argument("--repeats", type=int, default=3, help="--cpu-only runs (the best is printed)")
    parser.add_argument("--profile", action="store_true", help="--cpu-only: one more run under cProfile first")
    args = parser.parse_args()
    if args.spool_only:
        run_spool()
    elif args.cpu_only:
        run_cpu(args.readings, args.repeats, args.profile)
    elif args.soak:
        run_soak(args)
    else:
        run(args)
