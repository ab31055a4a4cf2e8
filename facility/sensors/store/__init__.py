"""Reading stores: the SQL table (embedded default), InfluxDB 1.x and InfluxDB 2.x/3.x."""

from __future__ import annotations

from urllib.parse import urlsplit

from facility.core.config import Settings
from facility.core.db import engine_for
from facility.sensors.store.base import Latest, Point, ReadingStore, StoreRejected, StoreUnavailable

__all__ = ["Latest", "Point", "ReadingStore", "StoreRejected", "StoreUnavailable", "open_store"]


def open_store(settings: Settings) -> ReadingStore:
    """The store the settings name: InfluxDB when FACILITY_INFLUX_URL is set, else the SQL table."""
    sensor_settings = settings.sensors
    if not settings.influx_url:
        from facility.sensors.store.sql import SqlStore

        return SqlStore(engine_for(settings))
    from facility.sensors.store.influx import InfluxV1Store, InfluxV2Store

    if settings.influx_api == "v2":
        return InfluxV2Store(
            settings.influx_url,
            token=settings.influx_token,
            org=settings.influx_org,
            bucket=settings.influx_bucket,
        )
    parts = urlsplit(settings.influx_url)
    # Credentials in the URL become HTTP basic auth, not part of the address.
    netloc = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    bare = f"{parts.scheme}://{netloc}{parts.path}"
    return InfluxV1Store(
        bare,
        settings.influx_db,
        retention_days=sensor_settings.readings_retention_days,
        rollup_days=sensor_settings.readings_rollup_days,
        username=parts.username or "",
        password=parts.password or "",
    )
