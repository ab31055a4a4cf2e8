"""Every reading store honours one contract: idempotent writes, latest values, windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine

from facility.core.db import get_engine
from facility.sensors.parsing import Reading
from facility.sensors.store import StoreUnavailable
from facility.sensors.store.base import ReadingStore
from facility.sensors.store.influx import InfluxV1Store, to_line
from facility.sensors.store.sql import SqlStore
from tests.conftest import clean_database
from tests.sensors.services import Influxd

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
