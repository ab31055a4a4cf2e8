"""The reading store interface every backend implements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from facility.sensors.parsing import Reading

MEASUREMENT = "reading"


class StoreUnavailable(Exception):
    """The store cannot take the write now; the caller keeps the points and retries."""


class StoreRejected(Exception):
    """The store refused points of the write for what they are (HTTP 4xx, a partial write):
    retrying the same points fails the same way, so the caller isolates and dead-letters them."""


@dataclass(frozen=True)
class Point:
    """One reading, or the mean of a window; an averaged point also carries the window's lowest
    and highest value, so a long chart can draw the spread the mean hides."""

    ts: datetime
    value: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Latest:
    device: str
    metric: str
    value: float
    ts: datetime


class ReadingStore(Protocol):
    def ensure_ready(self) -> None:
        """Create or verify what writes need (database, retention policies, bucket); idempotent.
        Every writer calls it through its first write; raises StoreUnavailable if it cannot."""

    def write(self, readings: Sequence[Reading]) -> None:
        """Store every reading, or raise StoreUnavailable (retry all) or StoreRejected (some points
        are bad: split the batch to find them); the same series and ts overwrite."""

    def write_history(self, readings: Sequence[Reading]) -> None:
        """Store past points on the hour (hourly or coarser means: a demo's or an import's history)
        where long charts read them, beyond the raw retention too; a point already there stays."""

    def latest(self, devices: Sequence[str]) -> list[Latest]:
        """The newest value per device and metric."""

    def series(
        self,
        devices: Sequence[str],
        metric: str,
        start: datetime,
        end: datetime,
        every: timedelta | None,
    ) -> list[Point]:
        """Points of one metric in [start, end), averaged per `every` when given."""

    def count(self, devices: Sequence[str] | None = None) -> int:
        """How many points are stored (for checks and tests)."""

    def close(self) -> None:
        """Flush and release; nothing accepted by write() may be lost."""


def bucket_means(points: Sequence[Point], start: datetime, every: timedelta) -> list[Point]:
    """Average points into windows of `every` starting at `start` (server-side downsampling),
    keeping each window's minimum and maximum beside its mean."""
    sums: dict[int, tuple[float, int, float, float]] = {}
    for point in points:
        index = int((point.ts - start) / every)
        total, n, low, high = sums.get(index, (0.0, 0, point.value, point.value))
        sums[index] = (total + point.value, n + 1, min(low, point.value), max(high, point.value))
    return [Point(start + every * i, total / n, low, high) for i, (total, n, low, high) in sorted(sums.items())]
