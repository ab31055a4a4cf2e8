"""Server-rendered SVG line charts: no JavaScript, readable on a tablet, downsampled upstream.

A stretch with no readings is drawn as a gap, not a straight line across it, and every point
carries its time and value as a tooltip (hover, or a long press where the browser shows titles).
An averaged series (a long range) draws the band from each window's minimum to its maximum
behind the mean, so a spike the mean flattens still shows; booked intervals are shaded under
the series (the occupancy chart), so "occupied without a booking" can be seen at a glance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from facility.core.i18n import gettext as _
from facility.sensors.catalogue import get_metric
from facility.sensors.store import Point

WIDTH, HEIGHT = 640, 200
# Points further apart than this many typical steps are on either side of a gap: the store's
# averaging leaves a step per window, so a missing window or two is noise, more is an outage.
GAP_STEPS = 2.5
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 52, 12, 12, 28


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"


def segments(points: Sequence[Point]) -> list[list[Point]]:
    """The series cut where readings stopped for longer than GAP_STEPS typical steps."""
    if len(points) < 3:
        return [list(points)] if points else []
    steps = sorted((b.ts - a.ts).total_seconds() for a, b in zip(points, points[1:], strict=False))
    limit = GAP_STEPS * steps[len(steps) // 2]
    runs: list[list[Point]] = [[points[0]]]
    for before, point in zip(points, points[1:], strict=False):
        if (point.ts - before.ts).total_seconds() > limit:
            runs.append([])
        runs[-1].append(point)
    return runs


def has_spread(points: Sequence[Point]) -> bool:
    """Whether any window's minimum and maximum differ (raw points have none to draw)."""
    return any(p.low is not None and p.high is not None and p.high - p.low > 1e-9 for p in points)


def _spread_polygons(run: Sequence[Point], x: Callable[[datetime], float], y: Callable[[float], float]) -> list[str]:
    """A run's min..max band as one polygon: along the maxima, back along the minima."""
    banded = [p for p in run if p.low is not None and p.high is not None]
    if len(banded) < 2:
        return []
    top = [f"{x(p.ts):.1f},{y(p.high):.1f}" for p in banded]  # type: ignore[arg-type]
    bottom = [f"{x(p.ts):.1f},{y(p.low):.1f}" for p in reversed(banded)]  # type: ignore[arg-type]
    return [f'<polygon points="{" ".join(top + bottom)}" class="spread"/>']


def _booked_rects(
    booked: Sequence[tuple[datetime, datetime]],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    x: Callable[[datetime], float],
) -> list[str]:
    """Shaded columns for the booked intervals, clipped to the chart, each titled with its times."""
    parts = []
    inner_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    for begins, ends in booked:
        left, right = max(begins, start), min(ends, end)
        if right <= left:
            continue
        fmt = "%H:%M" if (end - start).total_seconds() <= 2 * 86400 else "%m-%d %H:%M"
        title = _(
            "Booked {start}–{end}", start=begins.astimezone(zone).strftime(fmt), end=ends.astimezone(zone).strftime(fmt)
        )
        parts.append(
            f'<rect x="{x(left):.1f}" y="{PAD_TOP}" width="{max(x(right) - x(left), 1.0):.1f}" height="{inner_h}" '
            f'class="booked"><title>{escape(title)}</title></rect>'
        )
    return parts


def line_chart(
    points: Sequence[Point],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    metric: str,
    label: str,
    guides: Sequence[float] | None = None,
    booked: Sequence[tuple[datetime, datetime]] = (),
) -> Markup:
    """An SVG with the series, min/max labels, time ticks and guide lines: the room's alert limits
    when given (managers may have changed them), else the metric's default limit."""
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    values = [p.value for p in points]
    values += [v for p in points for v in (p.low, p.high) if v is not None]
    entry = get_metric(metric)
    guides = list(guides if guides is not None else entry.guides if entry else [])
    low = min(values + guides) if values else 0.0
    high = max(values + guides) if values else 1.0
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    span = (end - start).total_seconds() or 1.0

    def x(ts: datetime) -> float:
        return PAD_LEFT + inner_w * (ts - start).total_seconds() / span

    def y(value: float) -> float:
        return PAD_TOP + inner_h * (1 - (value - low) / (high - low))

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}">',
        f'<rect x="{PAD_LEFT}" y="{PAD_TOP}" width="{inner_w}" height="{inner_h}" class="plot"/>',
    ]
    parts.extend(_booked_rects(booked, start, end, zone, x))
    runs = segments(points)
    if has_spread(points):
        for run in runs:
            parts.extend(_spread_polygons(run, x, y))
    for guide in guides:
        parts.append(
            f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y(guide):.1f}" y2="{y(guide):.1f}" class="guide"/>'
        )
    for value in (low, high):
        parts.append(
            f'<text x="{PAD_LEFT - 6}" y="{y(value) + 4:.1f}" class="axis" text-anchor="end">{_fmt(value)}</text>'
        )
    for i in range(5):
        ts = start + (end - start) * i / 4
        fmt = "%H:%M" if span <= 2 * 86400 else "%m-%d"
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        parts.append(
            f'<text x="{x(ts):.1f}" y="{HEIGHT - 8}" class="axis" text-anchor="{anchor}">'
            f"{ts.astimezone(zone).strftime(fmt)}</text>"
        )
    unit = entry.display_unit if entry else ""
    when = "%H:%M" if span <= 2 * 86400 else "%m-%d %H:%M"
    for run in runs:
        if len(run) == 1:
            parts.append(f'<circle cx="{x(run[0].ts):.1f}" cy="{y(run[0].value):.1f}" r="2.5" class="series-dot"/>')
        else:
            path = " ".join(f"{x(p.ts):.1f},{y(p.value):.1f}" for p in run)
            parts.append(f'<polyline points="{path}" class="series"/>')
    for p in points:
        show = entry.format if entry else _fmt
        wide = p.low is not None and p.high is not None and p.high - p.low > 1e-9
        spread = f" ({show(p.low)}–{show(p.high)})" if wide else ""  # type: ignore[arg-type]
        parts.append(
            f'<circle cx="{x(p.ts):.1f}" cy="{y(p.value):.1f}" r="5" class="hover">'
            f"<title>{p.ts.astimezone(zone).strftime(when)} · {show(p.value)} {escape(unit)}{spread}</title></circle>"
        )
    if points:
        last = points[-1]
        parts.append(f'<circle cx="{x(last.ts):.1f}" cy="{y(last.value):.1f}" r="4" class="last"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
