"""Optimum start: how long before a window each room needs, learned from its own past days.

For each earlier window we look at the room's temperature from the moment conditioning began and
note how long it took to come within a tolerance of the comfort setpoint. The lead is the median
of those ramps with a margin, bounded by the settings; a room that never got there gets the
maximum; a room with no ramps keeps its kind's default.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from statistics import median

from facility.sensors.store import Point

# Close enough to the setpoint to call the room ready (°C).
TOLERANCE_C = 0.5
# A median ramp is not every ramp: a colder morning needs more.
MARGIN = 1.2
# Ramps looked at per room (the last two weeks of working days).
RAMPS_KEPT = 10


def time_to_setpoint(points: Sequence[Point], started_at: datetime, setpoint: float) -> timedelta | None:
    """From `started_at`, how long until the temperature reached the setpoint (heating or cooling,
    told by where it started); None if it never did in these points."""
    after = [p for p in points if p.ts >= started_at]
    if not after:
        return None
    heating = after[0].value < setpoint
    for point in after:
        reached = point.value >= setpoint - TOLERANCE_C if heating else point.value <= setpoint + TOLERANCE_C
        if reached:
            return point.ts - started_at
    return None


def learned_lead(ramps: Sequence[timedelta | None], *, minimum: timedelta, maximum: timedelta) -> timedelta | None:
    """The lead for the next window: median ramp x margin within [minimum, maximum]; a ramp that
    never reached the setpoint counts as the maximum; None when there is nothing to learn from."""
    if not ramps:
        return None
    seconds = [(maximum if r is None else r).total_seconds() for r in ramps[-RAMPS_KEPT:]]
    lead = timedelta(seconds=median(seconds) * MARGIN)
    rounded = timedelta(minutes=round(lead.total_seconds() / 60))
    return min(max(rounded, minimum), maximum)
