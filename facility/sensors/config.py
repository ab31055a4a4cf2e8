"""Settings of the sensors domain and the gateway (prefix FACILITY_, beside the core settings)."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class SensorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FACILITY_", extra="ignore")

    # Raw points older than this expire (InfluxDB retention policy "raw").
    readings_retention_days: int = 30
    # The embedded SQL store is for the demo and small sites: it keeps a week by default.
    sql_readings_retention_days: int = 7
    # InfluxDB 1.x: also keep 5-minute means this long in the "rollup" policy (0 = no rollup).
    readings_rollup_days: int = 400
    # Device profiles the gateway reads, comma separated (facility, zigbee2mqtt, tasmota, shelly,
    # homeassistant or esphome, chirpstack, ttn); `all` is every built-in one.
    device_profiles: str = "all"
    # A YAML mapping file for devices no built-in profile knows (see facility/sensors/profiles/mapping.py).
    device_mapping_file: str = ""
    # Home Assistant discovery: announced topics must start with one of these (comma separated;
    # empty = any concrete topic), and at most this many devices may be announced.
    discovery_topic_prefixes: str = ""
    discovery_max_devices: int = 1000
    gateway_client_id: str = "facility-gateway-1"
    # Gateways sharing this group split the load ($share/<group>/<filter>); empty = subscribe alone.
    gateway_share_group: str = "facility"
    spool_max_mb: int = 512
    gateway_metrics_port: int = 0
    simulate_interval_s: float = 10.0


@lru_cache
def get_sensor_settings() -> SensorSettings:
    return SensorSettings()
