"""Scheduled jobs of the sensors domain."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import col, update

from facility.core.config import Settings
from facility.core.db import session_scope
from facility.core.jobs import Job
from facility.sensors import alert_work
from facility.sensors.bookings import flag_job
from facility.sensors.models import Device
from facility.sensors.store.sql import SqlStore

log = logging.getLogger(__name__)
# A device silent this long is shown offline even if it never said so (battery, power cut).
SILENT_AFTER = timedelta(minutes=15)


def delete_old_readings(engine: Engine, settings: Settings, now: datetime) -> int:
    """Retention of the embedded store (InfluxDB enforces its own retention policy): raw points
    for the SQL retention, points on the hour (its hourly rollup) for the rollup retention."""
    if settings.influx_url:
        return 0
    sensor_settings = settings.sensors
    days = sensor_settings.sql_readings_retention_days
    deleted = SqlStore(engine).delete_before(
        now - timedelta(days=days), hourly_until=now - timedelta(days=sensor_settings.readings_rollup_days)
    )
    if deleted:
        log.info("deleted %d readings older than %d days", deleted, days)
    return deleted


def mark_silent_devices_offline(engine: Engine, _settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        result = session.exec(  # type: ignore[call-overload]
            update(Device)
            .where(col(Device.online).is_(True), col(Device.last_seen_at) < now - SILENT_AFTER)
            .values(online=False)
        )
    return int(result.rowcount or 0)


def wake_snoozed_alerts(engine: Engine, _settings: Settings, now: datetime) -> int:
    with session_scope(engine) as session:
        return alert_work.wake_snoozed(session, now)


JOBS = [
    Job("sensors.bookings_vs_occupancy", 300, flag_job),
    Job("sensors.retention", 3600, delete_old_readings),
    Job("sensors.silent_devices", 300, mark_silent_devices_offline),
    Job("sensors.wake_snoozed", 60, wake_snoozed_alerts),
]
