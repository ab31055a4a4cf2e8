"""InfluxDB stores: writes through the 1.x `/write` API or influxdb-client (2.x/3.x); reads use
InfluxQL over `/query`, which 1.x, 2.x (DBRP mapping) and 3.x all answer.

Neither store buffers: the gateway's spool is the buffer, and a write returns only once the
server has the points, so closing can never drop one (influxdb-client's batching would).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from facility.sensors.parsing import Reading
from facility.sensors.store.base import MEASUREMENT, Latest, Point, StoreRejected, StoreUnavailable

log = logging.getLogger(__name__)
# A write of a few thousand points takes milliseconds; longer means the server is in trouble.
HTTP_TIMEOUT_S = 10.0
# Above this many devices the regex filter gets long; fetch every series and filter here.
MAX_REGEX_DEVICES = 200
# `latest` looks back this far; older values are not "live" any more.
LATEST_WINDOW = "30d"
# Points per history write: a few hundred kilobytes of line protocol, well inside the HTTP timeout.
HISTORY_BATCH = 10_000
# The continuous query's bucket: charts this coarse or coarser can read the rollup policy.
ROLLUP_EVERY = timedelta(minutes=5)
_ESCAPE = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
# Series keys already escaped, by (building, device, metric, room): a campus has a few thousand.
_SERIES: dict[tuple[str, str, str, str], str] = {}
SERIES_CACHE_MAX = 100_000


# HTTP answers that refuse the points themselves (bad syntax, partial write, too large), as
# opposed to the server, the database or the credentials being unavailable.
REJECTING_STATUS = frozenset({400, 413, 422})


def tag_value(text: str) -> str:
    """A tag value escaped for line protocol; raises StoreRejected for what it cannot carry:
    control characters (a newline ends the point) and a trailing backslash (escapes the comma)."""
    if not text.isprintable() or text.endswith("\\"):
        raise StoreRejected(f"tag value not allowed in line protocol: {text[:80]!r}")
    return text.translate(_ESCAPE)


def _series(building: str, device: str, metric: str, room: str) -> str:
    key = (building, device, metric, room)
    series = _SERIES.get(key)
    if series is None:
        # Line protocol has no empty tag values: a profile's device without a reported place has none.
        tags = ",".join(
            f"{name}={tag_value(value)}"
            for name, value in (("building", building), ("device", device), ("metric", metric), ("room", room))
            if value
        )
        series = f"{MEASUREMENT},{tags}"
        if len(_SERIES) < SERIES_CACHE_MAX:
            _SERIES[key] = series
    return series


def to_line(reading: Reading) -> str:
    """One point in line protocol with microsecond precision."""
    series = _series(reading.building, reading.device, reading.metric, reading.room)
    return f"{series} value={float(reading.value)!r} {(reading.ts - _EPOCH) // _MICROSECOND}"


def _quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _rfc3339(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _from_micros(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(value))


def _combine(ts: datetime, parts: list[Point]) -> Point:
    """One bucket from its pieces on either side of the raw policy's cutoff."""
    lows = [p.low for p in parts if p.low is not None]
    highs = [p.high for p in parts if p.high is not None]
    mean = sum(p.value for p in parts) / len(parts)
    return Point(ts, mean, min(lows) if lows else None, max(highs) if highs else None)


def _regex_literal(text: str) -> str:
    # Profile device codes hold spaces, `/` and Hangul: spell every such character as \x{..},
    # which Go's RE2 reads and InfluxQL's `/.../` literal cannot mistake for its end.
    return "".join(c if c.isascii() and (c.isalnum() or c in "_-") else f"\\x{{{ord(c):x}}}" for c in text)


def _device_filter(devices: Sequence[str]) -> str:
    return "device =~ /^(" + "|".join(_regex_literal(d) for d in devices) + ")$/"


class _Client(httpx.Client):
    """An httpx client whose answers, once read whole, leave no reference cycle behind.

    httpx binds a response's stream to the response (`BoundSyncStream._response`), a cycle per
    request that only the cyclic collector frees: about 40 objects a store write. After a drain
    the gateway's young generation held 100,000 of them, and collecting them stalled every thread
    for 165-225 ms (bench/ingest.py's worst probes). A body read whole needs its stream no more."""

    def send(self, request: httpx.Request, *, stream: bool = False, **kwargs: Any) -> httpx.Response:
        response = super().send(request, stream=stream, **kwargs)
        if not stream:
            response.stream = httpx.ByteStream(b"")
        return response


class InfluxQLReader:
    """Reads through InfluxQL `/query`; subclasses say how to write."""

    def __init__(self, url: str, database: str, headers: dict[str, str] | None = None) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.http = _Client(timeout=HTTP_TIMEOUT_S, headers=headers or {})

    def query(self, q: str, *, method: str = "GET") -> list[dict[str, Any]]:
        """Series of the first statement's result; raises StoreUnavailable on any failure."""
        params = {"db": self.database, "q": q, "epoch": "u"}
        try:
            if method == "POST":
                response = self.http.post(f"{self.url}/query", params=params)
            else:
                response = self.http.get(f"{self.url}/query", params=params)
        except httpx.HTTPError as error:
            raise StoreUnavailable(f"InfluxDB query failed: {error!r}") from error
        if response.status_code != 200:
            raise StoreUnavailable(f"InfluxDB query HTTP {response.status_code}: {response.text[:200]}")
        results = response.json().get("results", [{}])
        if results and "error" in results[0]:
            if str(results[0]["error"]).startswith("database not found") and not q.startswith("CREATE"):
                return []  # nothing was written yet: the first writer creates it (ensure_ready)
            raise StoreUnavailable(f"InfluxDB: {results[0]['error']}")
        return list(results[0].get("series", [])) if results else []

    def latest(self, devices: Sequence[str]) -> list[Latest]:
        if not devices:
            return []
        where = f"time > now() - {LATEST_WINDOW}"
        if len(devices) <= MAX_REGEX_DEVICES:
            where += " AND " + _device_filter(devices)
        wanted = set(devices)
        found = []
        for series in self.query(f"SELECT last(value) FROM {MEASUREMENT} WHERE {where} GROUP BY device, metric"):
            tags = series.get("tags", {})
            if tags.get("device") in wanted:
                ts, value = series["values"][0][:2]
                found.append(Latest(tags["device"], tags["metric"], float(value), _from_micros(ts)))
        return found

    def series(
        self,
        devices: Sequence[str],
        metric: str,
        start: datetime,
        end: datetime,
        every: timedelta | None,
        *,
        policy: str = "",
        align: datetime | None = None,
    ) -> list[Point]:
        """Points of [start, end), raw or as `every`-long means; from one retention policy if named
        (else the default), with buckets counted from `align` (else `start`)."""
        if not devices:
            return []
        where = (
            f"{_device_filter(devices)} AND metric = {_quote(metric)} "
            f"AND time >= '{_rfc3339(start)}' AND time < '{_rfc3339(end)}'"
        )
        source = f'"{self.database}"."{policy}".{MEASUREMENT}' if policy else MEASUREMENT
        if every:
            seconds = max(1, int(every.total_seconds()))
            # Buckets start at `start`, as the SQL store's do, not at the epoch.
            offset = int((align or start).timestamp()) % seconds
            q = (
                f"SELECT mean(value), min(value), max(value) FROM {source} WHERE {where} "
                f"GROUP BY time({seconds}s, {offset}s) fill(none)"
            )
        else:
            q = f"SELECT value FROM {source} WHERE {where}"
        points = []
        for series in self.query(q):
            for row in series["values"]:
                ts, value = row[:2]
                if value is not None:
                    low, high = (float(v) if v is not None else None for v in row[2:4]) if every else (None, None)
                    points.append(Point(_from_micros(ts), float(value), low, high))
        return sorted(points, key=lambda p: p.ts)

    def count(self, devices: Sequence[str] | None = None) -> int:
        where = f" WHERE {_device_filter(devices)}" if devices else ""
        series = self.query(f"SELECT count(value) FROM {MEASUREMENT}{where}")
        return int(series[0]["values"][0][1]) if series else 0

    def close(self) -> None:
        self.http.close()


class InfluxV1Store(InfluxQLReader):
    """InfluxDB 1.x: `/write` with line protocol; creates the database and policies it needs."""

    def __init__(
        self,
        url: str,
        database: str,
        *,
        retention_days: int = 30,
        rollup_days: int = 0,
        username: str = "",
        password: str = "",
    ) -> None:
        auth = httpx.BasicAuth(username, password) if username else None
        super().__init__(url, database)
        if auth is not None:
            self.http.auth = auth
        self.retention_days = retention_days
        self.rollup_days = rollup_days
        self._ready = False

    def ensure_ready(self) -> None:
        """Create the database, its retention policies and the rollup query (idempotent)."""
        db = self.database
        self.query(f'CREATE DATABASE "{db}"', method="POST")
        policy = f"DURATION {self.retention_days}d REPLICATION 1 DEFAULT"
        try:
            self.query(f'CREATE RETENTION POLICY "raw" ON "{db}" {policy}', method="POST")
        except StoreUnavailable:
            self.query(f'ALTER RETENTION POLICY "raw" ON "{db}" {policy}', method="POST")
        if self.rollup_days:
            rollup = f"DURATION {self.rollup_days}d REPLICATION 1"
            try:
                self.query(f'CREATE RETENTION POLICY "rollup" ON "{db}" {rollup}', method="POST")
            except StoreUnavailable:
                self.query(f'ALTER RETENTION POLICY "rollup" ON "{db}" {rollup}', method="POST")
            try:
                self._create_rollup_query(db)
            except StoreUnavailable as error:
                if "already exists" not in str(error):
                    raise
        self._ready = True

    def _create_rollup_query(self, db: str) -> None:
        self.query(
            f'CREATE CONTINUOUS QUERY "rollup_5m" ON "{db}" BEGIN SELECT mean(value) AS value '
            f'INTO "{db}"."rollup".{MEASUREMENT} FROM "{db}"."raw".{MEASUREMENT} '
            "GROUP BY time(5m), * END",
            method="POST",
        )

    def series(
        self,
        devices: Sequence[str],
        metric: str,
        start: datetime,
        end: datetime,
        every: timedelta | None,
        *,
        policy: str = "",
        align: datetime | None = None,
    ) -> list[Point]:
        """Raw points while the raw policy keeps them; coarse buckets older than that come from
        the 5-minute rollup, so a year's chart is a year long, not the last 30 days."""
        cutoff = datetime.now(UTC) - timedelta(days=self.retention_days)
        if policy or not (self.rollup_days and every and every >= ROLLUP_EVERY and start < cutoff):
            return super().series(devices, metric, start, end, every, policy=policy, align=align)
        old = super().series(devices, metric, start, min(end, cutoff), every, policy="rollup", align=start)
        recent = super().series(devices, metric, cutoff, end, every, policy="raw", align=start) if end > cutoff else []
        # The bucket holding the cutoff gets a mean from each side: average the two (the rollup
        # keeps 5-minute means, so its band is the spread of those means).
        merged: dict[datetime, list[Point]] = {}
        for point in old + recent:
            merged.setdefault(point.ts, []).append(point)
        return [_combine(ts, parts) for ts, parts in sorted(merged.items())]

    def write(self, readings: Sequence[Reading]) -> None:
        if not readings:
            return
        if not self._ready:
            self.ensure_ready()
        self._post(readings)

    def write_history(self, readings: Sequence[Reading]) -> None:
        """Every point into the rollup policy (the continuous query never sees backdated points),
        and those the raw policy still keeps into raw too, so short charts find them as well."""
        if not readings:
            return
        if not self._ready:
            self.ensure_ready()
        cutoff = datetime.now(UTC) - timedelta(days=self.retention_days)
        recent = [r for r in readings if r.ts >= cutoff]
        for start in range(0, len(readings), HISTORY_BATCH):
            if self.rollup_days:
                self._post(readings[start : start + HISTORY_BATCH], policy="rollup")
        for start in range(0, len(recent), HISTORY_BATCH):
            self._post(recent[start : start + HISTORY_BATCH])

    def _post(self, readings: Sequence[Reading], *, policy: str = "") -> None:
        body = "\n".join(to_line(r) for r in readings)
        params = {"db": self.database, "precision": "u"} | ({"rp": policy} if policy else {})
        try:
            response = self.http.post(f"{self.url}/write", params=params, content=body.encode())
        except httpx.HTTPError as error:
            raise StoreUnavailable(f"InfluxDB write failed: {error!r}") from error
        if response.status_code in REJECTING_STATUS:
            raise StoreRejected(f"InfluxDB write HTTP {response.status_code}: {response.text[:200]}")
        if response.status_code != 204:
            raise StoreUnavailable(f"InfluxDB write HTTP {response.status_code}: {response.text[:200]}")


class InfluxV2Store(InfluxQLReader):
    """InfluxDB 2.x/3.x: synchronous writes through influxdb-client; bucket retention applies."""

    def __init__(self, url: str, *, token: str, org: str, bucket: str) -> None:
        from influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        super().__init__(url, bucket, headers={"Authorization": f"Token {token}"})
        self.client = InfluxDBClient(url=url, token=token, org=org, timeout=int(HTTP_TIMEOUT_S * 1000))
        self.write_api = self.client.write_api(write_options=SYNCHRONOUS)
        self.bucket = bucket
        self.org = org
        self._ready = False

    def write(self, readings: Sequence[Reading]) -> None:
        from influxdb_client import WritePrecision

        if not readings:
            return
        if not self._ready:
            self.ensure_ready()
        lines = [to_line(r) for r in readings]
        try:
            self.write_api.write(
                bucket=self.bucket,
                org=self.org,
                record=lines,
                write_precision=WritePrecision.US,  # type: ignore[arg-type]
            )
        except Exception as error:  # noqa: BLE001 - client raises urllib3 and API errors alike
            if getattr(error, "status", None) in REJECTING_STATUS:
                raise StoreRejected(f"InfluxDB write HTTP {error.status}: {str(error)[:200]}") from error  # type: ignore[attr-defined]
            raise StoreUnavailable(f"InfluxDB write failed: {error!r}") from error

    def ensure_ready(self) -> None:
        """The bucket is the operator's (its retention, its token): verify it exists."""
        try:
            response = self.http.get(f"{self.url}/api/v2/buckets", params={"name": self.bucket, "org": self.org})
        except httpx.HTTPError as error:
            raise StoreUnavailable(f"InfluxDB bucket check failed: {error!r}") from error
        if response.status_code in (401, 403) or (response.status_code == 200 and not response.json().get("buckets")):
            raise StoreUnavailable(
                f"InfluxDB bucket {self.bucket!r} of org {self.org!r} not found or not readable "
                f"(HTTP {response.status_code}); create it with its retention, e.g. `influx bucket create`"
            )
        # Other answers: a server without the bucket API (InfluxDB 3, VictoriaMetrics); writes decide.
        self._ready = True

    def write_history(self, readings: Sequence[Reading]) -> None:
        """The bucket's retention is the only one: history goes in beside the live points."""
        for start in range(0, len(readings), HISTORY_BATCH):
            self.write(readings[start : start + HISTORY_BATCH])

    def close(self) -> None:
        self.write_api.close()
        self.client.close()
        super().close()
