"""Fault tests against the real services: InfluxDB outage, SIGKILLed gateway, broker restart,
and two gateways sharing one subscription. Every published reading must be stored, once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from facility.core.config import SensorSettings, Settings
from facility.sensors.store.influx import InfluxV1Store
from gateway import metrics
from gateway.connection import SPOOL_GROUP_MAX
from gateway.runner import Gateway, spool_path
from tests.keys import TEST_SECRET_KEY
from tests.sensors.mqtt_helpers import publish_all, publisher, wait_until
from tests.sensors.services import REPO, Influxd, Mosquitto

pytestmark = pytest.mark.slow
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)


def timed(device: str, i: int) -> tuple[str, bytes]:
    ts = (T0 + timedelta(milliseconds=i)).isoformat()
    return f"facility/edu/E-101/{device}/co2", json.dumps({"value": 400 + i % 500, "ts": ts}).encode()


def zigbee(name: str, i: int) -> tuple[str, bytes]:
    """Profile traffic mixed in: a Zigbee2MQTT state with its own last_seen (so it is stored once)."""
    ts = (T0 + timedelta(milliseconds=i)).isoformat()
    return f"zigbee2mqtt/{name}", json.dumps({"co2": 400 + i % 500, "last_seen": ts, "linkquality": 90}).encode()


@pytest.fixture
def own_influxd(tmp_path: Path) -> Iterator[Influxd]:
    server = Influxd(tmp_path / "influxd-own")
    server.start()
    yield server
    server.stop()


def make_gateway(
    tmp_path: Path, pg_url: str, mqtt_url: str, influx_url: str, db: str, client_id: str = "gw-fault"
) -> Gateway:
    settings = Settings(
        database_url=pg_url,
        data_dir=tmp_path,
        secret_key=TEST_SECRET_KEY,
        mqtt_url=mqtt_url,
        influx_url=influx_url,
        influx_db=db,
    )
    gateway = Gateway(settings, SensorSettings(gateway_client_id=client_id))
    gateway.start()
    wait_until(gateway.connection.connected.is_set)
    return gateway


def test_influxdb_down_for_30_seconds_loses_nothing(
    tmp_path: Path, pg_url: str, mosquitto: Mosquitto, own_influxd: Influxd
) -> None:
    gateway = make_gateway(tmp_path, pg_url, mosquitto.url, own_influxd.url, "outage")
    client = publisher(mosquitto.simulator_url)
    total, sent = 700, 0
    done = threading.Event()

    def publish_steadily() -> None:
        nonlocal sent
        for i in range(total):  # ~35 s at 20 readings/s, across the whole outage
            client.publish(*timed("env-outage", i), qos=1)
            if i % 7 == 0:
                client.publish(*zigbee("outage air", i), qos=1)
            sent += 1
            time.sleep(0.05)
        done.set()

    thread = threading.Thread(target=publish_steadily)
    thread.start()
    time.sleep(2)
    own_influxd.stop()
    outage_started = time.monotonic()
    wait_until(lambda: metrics.SPOOL_BYTES._value.get() > 0, timeout=10)
    time.sleep(max(0.0, 30 - (time.monotonic() - outage_started)))
    assert not done.is_set() and gateway.spool.pending_count() > 100  # readings kept arriving
    own_influxd.start()
    thread.join()
    store = InfluxV1Store(own_influxd.url, "outage")
    wait_until(lambda: store.count(["env-outage"]) == total, timeout=30)
    wait_until(lambda: store.count(["zigbee2mqtt:outage air"]) == len(range(0, total, 7)))
    wait_until(lambda: gateway.spool.pending_count() == 0)
    store.close()
    gateway.stop()
    client.disconnect()


def _gateway_process(
    tmp_path: Path, pg_url: str, mosquitto: Mosquitto, influxd: Influxd, db: str
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "FACILITY_DATABASE_URL": pg_url,
        "FACILITY_DATA_DIR": str(tmp_path),
        "FACILITY_MQTT_URL": mosquitto.url,
        "FACILITY_INFLUX_URL": influxd.url,
        "FACILITY_INFLUX_DB": db,
        "FACILITY_GATEWAY_CLIENT_ID": "gw-killed",
        "FACILITY_SECRET_KEY": TEST_SECRET_KEY,
    }
    log = (tmp_path / "gateway.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "facility.cli", "gateway"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def test_gateway_killed_mid_stream_loses_and_duplicates_nothing(
    tmp_path: Path, pg_url: str, mosquitto: Mosquitto, influxd: Influxd
) -> None:
    db = f"k_{uuid.uuid4().hex[:8]}"
    process = _gateway_process(tmp_path, pg_url, mosquitto, influxd, db)
    spool_file = spool_path(tmp_path, "gw-killed")
    wait_until(lambda: spool_file.exists(), timeout=20)
    time.sleep(1.5)  # subscribed
    client = publisher(mosquitto.simulator_url)
    # Half carry their own ts; half get the receive time, so a redelivery must not store twice.
    half = 3000
    messages = [
        m
        for i in range(half)
        for m in (timed("env-killed", i), ("facility/edu/E-101/env-bare/co2", str(400 + i % 500).encode()))
    ]
    messages += [zigbee("killed air", i) for i in range(0, half, 10)]  # profile traffic, own ts
    infos = [client.publish(topic, payload, qos=1) for topic, payload in messages]

    def spooled() -> int:
        with sqlite3.connect(spool_file) as spool:
            return int(spool.execute("SELECT count(*) FROM message").fetchone()[0])

    wait_until(lambda: spooled() > 300, every=0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 0 < spooled() < len(messages)  # killed mid-stream
    for info in infos:
        info.wait_for_publish(20)  # the broker holds what the dead gateway did not acknowledge
    process = _gateway_process(tmp_path, pg_url, mosquitto, influxd, db)
    store = InfluxV1Store(influxd.url, db)
    try:
        wait_until(lambda: store.count(["env-killed"]) == half, timeout=40)
        wait_until(lambda: store.count(["env-bare"]) >= half, timeout=20)
        wait_until(lambda: store.count(["zigbee2mqtt:killed air"]) == half // 10, timeout=20)
        time.sleep(1)
        # Nothing is lost. A reading without its own ts whose acknowledgement was still in the
        # socket when SIGKILL reset the connection comes back as new (the broker resends it
        # without DUP and the spool had marked it acknowledged), so it may be stored twice:
        # a documented limit (docs/sensors.md): at most the one group whose PUBACKs were in
        # that write, never more.
        bare = store.count(["env-bare"])
        assert half <= bare <= half + SPOOL_GROUP_MAX
        # The same redelivery puts a message back in the spool whether or not it has a ts (the
        # store then keeps a ts reading once): the spool holds everything, plus those few.
        assert len(messages) <= spooled() <= len(messages) + SPOOL_GROUP_MAX
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        store.close()
        influxd.drop_database(db)
        client.disconnect()


def test_broker_restart_and_the_gateway_resumes(
    tmp_path: Path, pg_url: str, mosquitto: Mosquitto, influxd: Influxd
) -> None:
    db = f"r_{uuid.uuid4().hex[:8]}"
    gateway = make_gateway(tmp_path, pg_url, mosquitto.url, influxd.url, db)
    client = publisher(mosquitto.simulator_url, "pub-before")
    publish_all(client, [timed("env-restart", i) for i in range(100)])
    client.disconnect()
    store = InfluxV1Store(influxd.url, db)
    wait_until(lambda: store.count(["env-restart"]) == 100)
    mosquitto.stop()
    wait_until(lambda: not gateway.connection.connected.is_set(), timeout=10)
    mosquitto.start()
    wait_until(gateway.connection.connected.is_set, timeout=40)
    client = publisher(mosquitto.simulator_url, "pub-after")
    publish_all(client, [timed("env-restart", i) for i in range(100, 200)])
    publish_all(client, [zigbee("restart air", i) for i in range(50)])
    wait_until(lambda: store.count(["env-restart"]) == 200)
    wait_until(lambda: store.count(["zigbee2mqtt:restart air"]) == 50)
    client.disconnect()
    gateway.stop()
    store.close()
    influxd.drop_database(db)


def test_two_gateways_share_the_subscription_and_store_each_reading_once(
    tmp_path: Path, pg_url: str, mosquitto: Mosquitto, influxd: Influxd
) -> None:
    db = f"s_{uuid.uuid4().hex[:8]}"
    first = make_gateway(tmp_path, pg_url, mosquitto.url, influxd.url, db, "gw-a")
    second = make_gateway(tmp_path, pg_url, mosquitto.url, influxd.url, db, "gw-b")
    assert "$share/facility/facility/#" in first.connection.subscriptions()
    client = publisher(mosquitto.simulator_url)
    publish_all(client, [timed(f"env-share-{i % 7}", i) for i in range(2000)])
    publish_all(client, [zigbee(f"share air {i % 3}", i) for i in range(300)])
    store = InfluxV1Store(influxd.url, db)
    wait_until(lambda: store.count() == 2300)
    received = []
    for gateway in (first, second):
        with sqlite3.connect(gateway.spool.path) as spool:
            received.append(spool.execute("SELECT count(*) FROM message").fetchone()[0])
    assert sum(received) == 2300 and min(received) > 0  # each reading reached exactly one gateway
    client.disconnect()
    first.stop()
    second.stop()
    store.close()
    influxd.drop_database(db)
