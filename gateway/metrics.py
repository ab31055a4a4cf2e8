"""Prometheus metrics of the gateway (served by the web app's /metrics in the demo, or on the
gateway's own port with FACILITY_GATEWAY_METRICS_PORT)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RECEIVED = Counter("facility_gateway_messages_total", "MQTT messages received and spooled")
DUPLICATES = Counter("facility_gateway_redeliveries_total", "Redelivered messages already spooled")
STORED = Counter("facility_gateway_readings_stored_total", "Readings written to the reading store")
DEAD_LETTERS = Counter(
    "facility_gateway_dead_letters_total",
    "Messages that could not become readings, by reason",
    ["reason"],
)
SPOOL_BYTES = Gauge("facility_gateway_spool_bytes", "Payload bytes in the spool not yet stored")
SPOOL_MESSAGES = Gauge("facility_gateway_spool_messages", "Messages in the spool not yet stored")
SPOOL_FULL = Gauge("facility_gateway_spool_full", "1 while the spool is full and acks are held back")
STORE_FAILURES = Counter("facility_gateway_store_failures_total", "Failed batch writes (retried)")
CONNECTED = Gauge("facility_gateway_connected", "1 while connected to the broker")
BATCH_SECONDS = Histogram(
    "facility_gateway_batch_seconds",
    "Time to write one batch to the store",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
PLANT_POLLS = Counter(
    "facility_gateway_plant_polls_total",
    "Polls of plant devices (Modbus, BACnet), by protocol and outcome (ok, unreachable, timeout)",
    ["protocol", "outcome"],
)
PLANT_WRITES = Counter(
    "facility_gateway_plant_writes_total", "Writes to plant points, by protocol and outcome", ["protocol", "outcome"]
)
