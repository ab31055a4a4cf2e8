"""The embedded reading store: a table in the app's own database, behind the same interface.

Retention (`delete_before`) drops raw points after FACILITY_SQL_READINGS_RETENTION_DAYS but keeps
points that fall exactly on the hour until FACILITY_READINGS_ROLLUP_DAYS: they are this store's
hourly rollup, written by `write_history` (the demo's past), so a 90-day chart stays 90 days long
while the table holds only a week of raw readings. Live readings practically never land on the
hour to the microsecond; one that does is kept as that hour's sample.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, not_, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from facility.core.db import session_scope
from facility.sensors.models import SensorLatest, SensorReading
from facility.sensors.parsing import Reading
from facility.sensors.store.base import Latest, Point, StoreUnavailable, bucket_means

TABLE = SensorReading.__table__  # type: ignore[attr-defined]
LATEST = SensorLatest.__table__  # type: ignore[attr-defined]
# SQLAlchemy's text form of a SQLite DATETIME: history written by hand must match it to the byte,
# or the unique (device, metric, ts) index would not see an existing point.
SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"
SQLITE_HISTORY_INSERT = (
    "INSERT INTO sensor_reading (device, metric, building, room, value, ts) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (device, metric, ts) DO NOTHING"
)


class SqlStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ensure_ready(self) -> None:
        """The table comes with the migrations (`facility db upgrade`): nothing to create."""

    def write(self, readings: Sequence[Reading]) -> None:
        if not readings:
            return
        rows = {
            (r.device, r.metric, r.ts): {
                "device": r.device,
                "metric": r.metric,
                "building": r.building,
                "room": r.room,
                "value": r.value,
                "ts": r.ts,
            }
            for r in readings
        }
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(TABLE).values(list(rows.values()))
        statement = statement.on_conflict_do_update(
            index_elements=["device", "metric", "ts"],
            set_={"value": statement.excluded.value, "room": statement.excluded.room},
        )
        try:
            with session_scope(self.engine) as session:
                session.execute(statement)
                session.execute(self._newest(readings))
        except OperationalError as error:
            raise StoreUnavailable(str(error)[:200]) from error

    def _newest(self, readings: Sequence[Reading]) -> Any:
        """The upsert that moves each series' latest value forward (never back)."""
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        latest: dict[tuple[str, str], Reading] = {}
        for r in readings:
            key = (r.device, r.metric)
            if key not in latest or r.ts >= latest[key].ts:
                latest[key] = r
        newest = insert(LATEST).values(
            [{"device": r.device, "metric": r.metric, "value": r.value, "ts": r.ts} for r in latest.values()]
        )
        return newest.on_conflict_do_update(
            index_elements=["device", "metric"],
            set_={"value": newest.excluded.value, "ts": newest.excluded.ts},
            where=LATEST.c.ts <= newest.excluded.ts,
        )

    def write_history(self, readings: Sequence[Reading]) -> None:
        """Bulk insert, skipping points already stored: on SQLite through the driver with the
        timestamps already in their stored text form, several times faster than per-row binding."""
        if not readings:
            return
        try:
            with session_scope(self.engine) as session:
                if self.engine.dialect.name == "sqlite":
                    # History shares its timestamps across series: format each once.
                    stamps = {ts: ts.astimezone(UTC).strftime(SQLITE_TS) for ts in {r.ts for r in readings}}
                    rows = [(r.device, r.metric, r.building, r.room, r.value, stamps[r.ts]) for r in readings]
                    session.connection().exec_driver_sql(SQLITE_HISTORY_INSERT, rows)  # type: ignore[arg-type]
                else:
                    rows_ = [
                        {"device": r.device, "metric": r.metric, "building": r.building, "room": r.room,
                         "value": r.value, "ts": r.ts}
                        for r in readings
                    ]  # fmt: skip
                    session.execute(pg_insert(TABLE).on_conflict_do_nothing(), rows_)
                session.execute(self._newest(readings))
        except OperationalError as error:
            raise StoreUnavailable(str(error)[:200]) from error

    def latest(self, devices: Sequence[str]) -> list[Latest]:
        if not devices:
            return []
        query = select(LATEST.c.device, LATEST.c.metric, LATEST.c.value, LATEST.c.ts).where(
            LATEST.c.device.in_(list(devices))
        )
        with session_scope(self.engine, write=False) as session:
            rows = session.execute(query).all()
        return [Latest(r.device, r.metric, r.value, r.ts) for r in rows]

    def series(
        self,
        devices: Sequence[str],
        metric: str,
        start: datetime,
        end: datetime,
        every: timedelta | None,
    ) -> list[Point]:
        if not devices:
            return []
        query = (
            select(TABLE.c.ts, TABLE.c.value)
            .where(TABLE.c.device.in_(list(devices)))
            .where(TABLE.c.metric == metric)
            .where(TABLE.c.ts >= start, TABLE.c.ts < end)
            .order_by(TABLE.c.ts)
        )
        with session_scope(self.engine, write=False) as session:
            points = [Point(ts, value) for ts, value in session.execute(query).all()]
        return bucket_means(points, start, every) if every else points

    def count(self, devices: Sequence[str] | None = None) -> int:
        query = select(func.count()).select_from(TABLE)
        if devices is not None:
            query = query.where(TABLE.c.device.in_(list(devices)))
        with session_scope(self.engine, write=False) as session:
            return int(session.execute(query).scalar_one())

    def _on_the_hour(self) -> ColumnElement[bool]:
        if self.engine.dialect.name == "sqlite":
            return func.strftime("%M:%f", TABLE.c.ts) == "00:00.000"  # type: ignore[no-any-return]
        return func.date_trunc("hour", TABLE.c.ts) == TABLE.c.ts  # type: ignore[no-any-return]

    def delete_before(self, cutoff: datetime, *, hourly_until: datetime | None = None) -> int:
        """Retention: drop points older than the cutoff, except points on the hour newer than
        `hourly_until` (the hourly rollup; see the module docstring)."""
        statement = delete(TABLE).where(TABLE.c.ts < cutoff)
        if hourly_until is not None:
            statement = statement.where(or_(TABLE.c.ts < hourly_until, not_(self._on_the_hour())))
        with session_scope(self.engine) as session:
            result = session.execute(statement)
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def close(self) -> None:
        """Every write commits before returning, so nothing is buffered here."""
