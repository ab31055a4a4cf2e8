"""Copy an InfluxDB 1.x database out and back in as line protocol, through the HTTP API only.

Why not `influxd backup -portable`: it talks to the server's RPC bind address (port 8088), which a
production server rarely exposes beyond its own host, and it needs the `influxd` binary where the
backup runs. The HTTP API is what the app already reaches: per retention policy,
`SELECT * FROM "db"."policy"./.*/ GROUP BY *` streamed with `chunked=true` yields every point with
its tags, and `/write?rp=policy` takes the same lines back. JSON cannot tell 1 from 1.0, so each
field's type comes from `SHOW FIELD KEYS`. Policies and the rollup's continuous query are not
copied: the store creates them itself (`InfluxV1Store.ensure_ready`) before the points go in.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from facility.sensors.store.base import StoreUnavailable
from facility.sensors.store.influx import InfluxV1Store

# Points per streamed chunk and per write: a few MB of JSON or line protocol each.
CHUNK_POINTS = 10_000
WRITE_BATCH = 5_000
# A whole policy streams through one response; reading it may take minutes on a large store.
EXPORT_TIMEOUT_S = 600.0
_TAG_ESCAPE = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ "})
_NAME_ESCAPE = str.maketrans({",": r"\,", " ": r"\ "})
_DROPPED = re.compile(r"dropped=(\d+)")


def policy_file(directory: Path, policy: str) -> Path:
    return directory / f"readings-{policy}.lp.gz"


def _field(value: Any, kind: str) -> str:
    if kind == "integer":
        return f"{int(value)}i"
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "string":
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(float(value))


def _lines(series: dict[str, Any], types: dict[str, dict[str, str]]) -> Iterator[str]:
    name = str(series["name"])
    kinds = types.get(name, {})
    tags = "".join(
        f",{key.translate(_TAG_ESCAPE)}={value.translate(_TAG_ESCAPE)}"
        for key, value in sorted(series.get("tags", {}).items())
        if value
    )
    head = name.translate(_NAME_ESCAPE) + tags
    columns = series["columns"]
    for row in series.get("values", []):
        fields = ",".join(
            f"{column.translate(_TAG_ESCAPE)}={_field(value, kinds.get(column, 'float'))}"
            for column, value in zip(columns[1:], row[1:], strict=True)
            if value is not None
        )
        if fields:
            yield f"{head} {fields} {int(row[0])}"


def _field_types(store: InfluxV1Store) -> dict[str, dict[str, str]]:
    types: dict[str, dict[str, str]] = {}
    for series in store.query(f'SHOW FIELD KEYS ON "{store.database}"'):
        types[series["name"]] = {key: kind for key, kind in series.get("values", [])}
    return types


def policies(store: InfluxV1Store) -> list[str]:
    """The database's retention policies, or none when it does not exist yet."""
    try:
        found = store.query(f'SHOW RETENTION POLICIES ON "{store.database}"')
    except StoreUnavailable as error:
        if "database not found" in str(error):
            return []
        raise
    return [row[0] for series in found for row in series.get("values", [])]


def export_policy(store: InfluxV1Store, policy: str, target: Path, types: dict[str, dict[str, str]]) -> int:
    """Every point of one retention policy into a gzip'd line protocol file; returns how many."""
    q = f'SELECT * FROM "{store.database}"."{policy}"./.*/ GROUP BY *'
    params = {"db": store.database, "q": q, "epoch": "ns", "chunked": "true", "chunk_size": str(CHUNK_POINTS)}
    written = 0
    with (
        gzip.open(target, "wt", encoding="utf-8") as out,
        store.http.stream("GET", f"{store.url}/query", params=params, timeout=EXPORT_TIMEOUT_S) as response,
    ):
        if response.status_code != 200:
            raise StoreUnavailable(f"InfluxDB export HTTP {response.status_code}")
        for chunk in response.iter_lines():
            if not chunk.strip():
                continue
            for result in json.loads(chunk).get("results", []):
                if "error" in result:
                    raise StoreUnavailable(f"InfluxDB: {result['error']}")
                for series in result.get("series", []):
                    for line in _lines(series, types):
                        out.write(line + "\n")
                        written += 1
    return written


def export_database(store: InfluxV1Store, directory: Path) -> dict[str, int]:
    """Each retention policy's points into `readings-<policy>.lp.gz`; returns points per policy."""
    types = _field_types(store) if policies(store) else {}
    return {policy: export_policy(store, policy, policy_file(directory, policy), types) for policy in policies(store)}


def _write(store: InfluxV1Store, policy: str, lines: list[str]) -> int:
    """Write one batch; returns how many points the server dropped as older than the policy keeps."""
    try:
        response = store.http.post(
            f"{store.url}/write",
            params={"db": store.database, "rp": policy, "precision": "ns"},
            content="\n".join(lines).encode(),
        )
    except httpx.HTTPError as error:
        raise StoreUnavailable(f"InfluxDB write failed: {error!r}") from error
    if response.status_code == 204:
        return 0
    dropped = _DROPPED.search(response.text)
    if response.status_code == 400 and "beyond retention" in response.text and dropped:
        return int(dropped.group(1))
    raise StoreUnavailable(f"InfluxDB write HTTP {response.status_code}: {response.text[:200]}")


def import_policy(store: InfluxV1Store, policy: str, source: Path) -> tuple[int, int]:
    """Write a policy's exported points back; returns (points read, points dropped as expired)."""
    read = dropped = 0
    batch: list[str] = []
    with gzip.open(source, "rt", encoding="utf-8") as lines:
        for line in lines:
            batch.append(line.rstrip("\n"))
            if len(batch) >= WRITE_BATCH:
                dropped += _write(store, policy, batch)
                read += len(batch)
                batch = []
    if batch:
        dropped += _write(store, policy, batch)
        read += len(batch)
    return read, dropped


def drop_database(store: InfluxV1Store) -> None:
    """Remove every point, policy and query of the store's database (a forced restore)."""
    store.query(f'DROP DATABASE "{store.database}"', method="POST")


def count_points(store: InfluxV1Store, policy: str) -> int:
    """Points of every field-bearing series in one policy (the `value` field of each measurement)."""
    total = 0
    for series in store.query(f'SELECT count(*) FROM "{store.database}"."{policy}"./.*/'):
        total += max((int(v) for v in series["values"][0][1:] if v is not None), default=0)
    return total
