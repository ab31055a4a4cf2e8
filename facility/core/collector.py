"""Garbage-collector settings for the long-running processes (the web server and the gateway).

Why: both allocate many short-lived objects (a request's ORM rows, the gateway's readings by the
thousand a second). With CPython's default thresholds (700 allocations) the young generation is
collected constantly, batch-sized sets of objects survive into the older ones, and a full
collection walks everything alive, start-up included, with the GIL held. That showed as 50-100 ms
pauses at the availability search's 95th percentile (bench/availability.py), 120-200 ms stalls of
the gateway's writer (its p99), and a third of the gateway's CPU at full load (bench/ingest.py:
27,000 readings/s before, 40,000 after).
"""

from __future__ import annotations

import gc

# Allocations before a young-generation collection (CPython's default is 700).
YOUNG_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """Collect less often, and never the objects made so far (call once everything is loaded)."""
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 50, 100)
