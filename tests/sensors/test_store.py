"""Every reading store honours one contract: idempotent writes, latest values, windows."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from facility.core.db import get_engine
from facility.sensors.parsing import Reading
from facility.sensors.store import StoreRejected, StoreUnavailable
from facility.sensors.store.base import ReadingStore
from facility.sensors.store.influx import InfluxV1Store, to_line
from facility.sensors.store.sql import SqlStore
from tests.conftest import clean_database
from tests.sensors.services import Influxd, VictoriaMetrics

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def reading(device: str, metric: str, value: float, ts: datetime) -> Reading:
    return Reading(device, "edu", "E-101", metric, value, ts)


@pytest.fixture(params=["sqlite", "postgresql", "influx_v1"])
def store(request: pytest.FixtureRequest) -> ReadingStore:
    if request.param == "influx_v1":
        return request.getfixturevalue("influx_store")  # type: ignore[no-any-return]
    engine = get_engine(request.getfixturevalue("database_urls")[request.param])
    clean_database(engine)
    return SqlStore(engine)


def test_same_series_and_ts_overwrites_while_microseconds_apart_do_not(store: ReadingStore) -> None:
    store.write([reading("d1", "co2", 500, T0), reading("d1", "co2", 510, T0 + timedelta(microseconds=1))])
    store.write([reading("d1", "co2", 500, T0)])  # a redelivery
    assert store.count(["d1"]) == 2


def test_latest_per_device_and_metric(store: ReadingStore) -> None:
    store.write(
        [
            reading("d1", "co2", 500, T0),
            reading("d1", "co2", 900, T0 + timedelta(minutes=5)),
            reading("d1", "temperature", 21.5, T0),
            reading("d2", "co2", 1200, T0),
        ]
    )
    latest = {(x.device, x.metric): (x.value, x.ts) for x in store.latest(["d1"])}
    assert latest == {("d1", "co2"): (900, T0 + timedelta(minutes=5)), ("d1", "temperature"): (21.5, T0)}


def test_series_raw_and_downsampled(store: ReadingStore) -> None:
    store.write([reading("d1", "temperature", 20 + i, T0 + timedelta(minutes=i)) for i in range(10)])
    raw = store.series(["d1"], "temperature", T0, T0 + timedelta(minutes=5), None)
    assert [p.value for p in raw] == [20, 21, 22, 23, 24]
    means = store.series(["d1"], "temperature", T0, T0 + timedelta(minutes=10), timedelta(minutes=5))
    assert [(p.ts, p.value) for p in means] == [(T0, 22.0), (T0 + timedelta(minutes=5), 27.0)]


def test_line_protocol_escapes_and_keeps_microseconds() -> None:
    line = to_line(Reading("d 1", "edu", "E,1", "co2", 500, datetime(2026, 1, 1, 0, 0, 0, 7, tzinfo=UTC)))
    assert line == r"reading,building=edu,device=d\ 1,metric=co2,room=E\,1 value=500.0 1767225600000007"


def test_influx_down_raises_store_unavailable() -> None:
    store = InfluxV1Store("http://127.0.0.1:9", "nowhere")
    with pytest.raises(StoreUnavailable):
        store.write([reading("d1", "co2", 1, T0)])
    store.close()


def test_influx_v1_charts_past_raw_retention_from_the_rollup(influx_store: InfluxV1Store, influxd: Influxd) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    influx_store.write([reading("d1", "co2", 600, now - timedelta(hours=1))])  # raw keeps 7 days here
    # A 5-minute mean the continuous query wrote three weeks ago, when raw still had its points.
    old = now - timedelta(days=21)
    written = httpx.post(
        f"{influxd.url}/write",
        params={"db": influx_store.database, "rp": "rollup", "precision": "u"},
        content=to_line(reading("d1", "co2", 450, old)).encode(),
    )
    assert written.status_code == 204, written.text
    daily = influx_store.series(["d1"], "co2", now - timedelta(days=30), now, timedelta(days=1))
    assert [p.value for p in daily] == [450.0, 600.0]
    assert daily[0].ts <= old < daily[0].ts + timedelta(days=1)
    # Fine-grained windows stay on raw points.
    assert [p.value for p in influx_store.series(["d1"], "co2", now - timedelta(days=2), now, None)] == [600.0]


def test_influx_v1_creates_retention_and_rollup(influx_store: InfluxV1Store, influxd: Influxd) -> None:
    influx_store.write([reading("d1", "co2", 1, T0)])
    policies = httpx.get(
        f"{influxd.url}/query", params={"q": f'SHOW RETENTION POLICIES ON "{influx_store.database}"'}
    ).json()
    names = {row[0]: row for row in policies["results"][0]["series"][0]["values"]}
    assert names["raw"][1] == "168h0m0s" and names["raw"][-1] is True
    assert "rollup" in names
    again = InfluxV1Store(influxd.url, influx_store.database, retention_days=7, rollup_days=30)
    again.write([reading("d1", "co2", 2, T0 + timedelta(seconds=1))])  # setup is idempotent
    again.close()
    assert influx_store.count() == 2


def test_sql_retention_deletes_old_points(engine: Engine) -> None:
    store = SqlStore(engine)
    store.write([reading("d1", "co2", 1, T0 - timedelta(days=40)), reading("d1", "co2", 2, T0)])
    assert store.delete_before(T0 - timedelta(days=30)) == 1
    assert store.count() == 1


def test_sql_retention_keeps_points_on_the_hour_as_the_rollup(engine: Engine) -> None:
    store = SqlStore(engine)
    hour = T0.replace(minute=0, second=0) - timedelta(days=40)
    store.write([reading("d1", "co2", 1, hour), reading("d1", "co2", 2, hour + timedelta(seconds=7))])
    store.write([reading("d1", "co2", 3, hour - timedelta(days=400))])
    cutoff = T0 - timedelta(days=7)
    assert store.delete_before(cutoff, hourly_until=T0 - timedelta(days=400)) == 2
    assert [p.value for p in store.series(["d1"], "co2", hour - timedelta(days=1), T0, None)] == [1.0]


def test_history_is_charted_past_the_raw_retention_and_written_once(store: ReadingStore) -> None:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    history = [reading("h1", "temperature", 24.0, now - timedelta(days=20)), reading("h1", "temperature", 21.0, now)]
    store.write_history(history)
    store.write_history(history)
    daily = store.series(["h1"], "temperature", now - timedelta(days=30), now + timedelta(hours=1), timedelta(days=1))
    assert [p.value for p in daily] == [24.0, 21.0]
    assert [(x.metric, x.value) for x in store.latest(["h1"])] == [("temperature", 21.0)]


def test_a_late_older_point_does_not_replace_the_latest(store: ReadingStore) -> None:
    store.write([reading("d1", "co2", 900, T0 + timedelta(minutes=5))])
    store.write([reading("d1", "co2", 500, T0)])
    assert [(x.value, x.ts) for x in store.latest(["d1"])] == [(900, T0 + timedelta(minutes=5))]


def test_influx_v2_client_down_raises_store_unavailable() -> None:
    from facility.sensors.store.influx import InfluxV2Store

    store = InfluxV2Store("http://127.0.0.1:9", token="t", org="o", bucket="b")
    with pytest.raises(StoreUnavailable):
        store.write([reading("d1", "co2", 1, T0)])
    store.close()


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[VictoriaMetrics]:
    server = VictoriaMetrics(tmp_path / "vm")
    server.start()
    yield server
    server.stop()


def test_influx_v2_write_path_against_a_real_server(victoria: VictoriaMetrics) -> None:
    """VictoriaMetrics speaks InfluxDB's /api/v2/write: one call writes a large batch, tags with
    spaces and no place survive, and close() returns only after nothing is left to send."""
    from facility.sensors.store.influx import InfluxV2Store

    store = InfluxV2Store(victoria.url, token="t", org="campus", bucket="facility")
    batch = [
        reading(f"zigbee2mqtt:E-10{i % 5} air", "co2", 400 + i, T0 + timedelta(milliseconds=i)) for i in range(5000)
    ]
    batch.append(Reading("zigbee2mqtt:plant/leak", "", "", "water_leak", 1.0, T0, "zigbee2mqtt"))
    store.write(batch)
    store.close()
    points = victoria.points()
    assert len(points) == 5001
    leak = [p for p in points if p[0]["metric"] == "water_leak"]
    labels = {"__name__": "reading_value", "device": "zigbee2mqtt:plant/leak", "metric": "water_leak"}
    assert leak == [(labels, int(T0.timestamp() * 1000), 1.0)]  # no empty building/room tags
    assert len(victoria.points(device="zigbee2mqtt:E-103 air")) == 1000


def test_influx_v2_write_is_retried_until_the_server_is_back(victoria: VictoriaMetrics) -> None:
    from facility.sensors.store.influx import InfluxV2Store

    store = InfluxV2Store(victoria.url, token="t", org="campus", bucket="facility")
    batch = [reading("d1", "co2", 400 + i, T0 + timedelta(seconds=i)) for i in range(10)]
    victoria.stop()
    with pytest.raises(StoreUnavailable):
        store.write(batch)  # the gateway keeps the batch in its spool and tries again
    victoria.start()
    store.write(batch)
    store.write(batch)  # a retried batch overwrites the same points
    store.close()
    assert sorted(value for _, _, value in victoria.points(device="d1")) == [400.0 + i for i in range(10)]


def test_a_fresh_influxdb_is_bootstrapped_by_its_first_writer(influxd: Influxd) -> None:
    """`facility demo-data` on a fresh server: it reads (is the history there?), then writes."""
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    store = InfluxV1Store(influxd.url, name, retention_days=7, rollup_days=30)
    try:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        assert store.series(["env-1"], "temperature", now - timedelta(days=1), now, None) == []
        assert store.latest(["env-1"]) == [] and store.count() == 0
        store.write_history([reading("env-1", "temperature", 21.0, now - timedelta(hours=h)) for h in range(3)])
        assert store.count() == 3
        store.ensure_ready()  # idempotent
    finally:
        store.close()
        influxd.drop_database(name)


def test_line_protocol_refuses_what_it_cannot_carry() -> None:
    ts = datetime(2026, 3, 2, tzinfo=UTC)
    for device in ("a\nforged", "a\\", "tab\there"):
        with pytest.raises(StoreRejected):
            to_line(reading(device, "co2", 1.0, ts))
    assert "device=a\\ b\\,c\\=d\\e,metric=co2" in to_line(reading("a b,c=d\\e", "co2", 1.0, ts))


def test_store_writes_leave_nothing_for_the_cyclic_collector(influx_store: InfluxV1Store) -> None:
    """A write leaves no reference cycle (httpx's response and its bound stream were one, ~40
    objects a write): after a drain they made one collection that stalled the gateway 165-225 ms."""
    influx_store.write([reading("d1", "co2", 500, T0)])
    gc.collect()
    gc.disable()
    try:
        for n in range(50):
            influx_store.write([reading("d1", "co2", 500 + n, T0 + timedelta(seconds=n))])
            influx_store.query("SELECT last(value) FROM reading")
        left = gc.collect()
    finally:
        gc.enable()
    assert left < 50, f"{left} objects in reference cycles after 50 writes and 50 queries"
