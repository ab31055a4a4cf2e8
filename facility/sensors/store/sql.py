"""The embedded reading store: a table in the app's own database, behind the same interface."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
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


class SqlStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

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
        latest: dict[tuple[str, str], Reading] = {}
        for r in readings:
            key = (r.device, r.metric)
            if key not in latest or r.ts >= latest[key].ts:
                latest[key] = r
        newest = insert(LATEST).values(
            [{"device": r.device, "metric": r.metric, "value": r.value, "ts": r.ts} for r in latest.values()]
        )
        newest = newest.on_conflict_do_update(
            index_elements=["device", "metric"],
            set_={"value": newest.excluded.value, "ts": newest.excluded.ts},
            where=LATEST.c.ts <= newest.excluded.ts,
        )
        try:
            with session_scope(self.engine) as session:
                session.execute(statement)
                session.execute(newest)
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

    def delete_before(self, cutoff: datetime) -> int:
        """Retention: drop points older than the cutoff."""
        with session_scope(self.engine) as session:
            result = session.execute(delete(TABLE).where(TABLE.c.ts < cutoff))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def close(self) -> None:
        """Every write commits before returning, so nothing is buffered here."""
