"""Server-rendered SVG line charts: no JavaScript, readable on a tablet, downsampled upstream.

A stretch with no readings is drawn as a gap, not a straight line across it, and every point
carries its time and value as a tooltip (hover, or a long press where the browser shows titles).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

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


def line_chart(
    points: Sequence[Point],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    *,
    metric: str,
    label: str,
    guides: Sequence[float] | None = None,
) -> Markup:
    """An SVG with the series, min/max labels, time ticks and guide lines: the room's alert limits
    when given (managers may have changed them), else the metric's default limit."""
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    values = [p.value for p in points]
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
    for run in segments(points):
        if len(run) == 1:
            parts.append(f'<circle cx="{x(run[0].ts):.1f}" cy="{y(run[0].value):.1f}" r="2.5" class="series-dot"/>')
        else:
            path = " ".join(f"{x(p.ts):.1f},{y(p.value):.1f}" for p in run)
            parts.append(f'<polyline points="{path}" class="series"/>')
    for p in points:
        shown = entry.format(p.value) if entry else _fmt(p.value)
        parts.append(
            f'<circle cx="{x(p.ts):.1f}" cy="{y(p.value):.1f}" r="5" class="hover">'
            f"<title>{p.ts.astimezone(zone).strftime(when)} · {shown} {escape(unit)}</title></circle>"
        )
    if points:
        last = points[-1]
        parts.append(f'<circle cx="{x(last.ts):.1f}" cy="{y(last.value):.1f}" r="4" class="last"/>')
    parts.append("</svg>")
    return Markup("".join(parts))
